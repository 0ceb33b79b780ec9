"""Payments: gateways (simulated, Stripe), payment and refund records, the webhook inbox."""
