"""In-transaction reactions of service orders to booking changes (kit.events)."""
