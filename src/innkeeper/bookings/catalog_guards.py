"""Guards the catalog asks for through kit.events: no deleting what future bookings need."""
