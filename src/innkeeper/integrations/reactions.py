"""In-transaction reactions: domain events become webhook deliveries in the outbox."""
