"""Webhook subscriptions and deliveries, calendar feeds and imports, meetings."""
