"""E-mail and SMS behind one interface, always delivered through the outbox after commit."""
