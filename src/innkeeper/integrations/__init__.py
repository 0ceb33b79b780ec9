"""Outbound webhooks, calendar feeds and imports, the gRPC meeting service, Stripe Connect.

See docs/integrations.md."""
