"""Reviews, favorites, loyalty and support tickets; see docs/engagement.md."""
