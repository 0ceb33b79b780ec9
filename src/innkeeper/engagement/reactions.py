"""In-transaction reactions of engagement to booking changes (loyalty points at check-out)."""
