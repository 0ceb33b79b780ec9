"""Jobs of the integrations: webhook delivery, calendar import polling."""
