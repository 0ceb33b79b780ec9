"""The guest web site: search, property and resource pages, booking flow, account."""
