"""Services ordered on a booking (airport pickup, laundry, spa, food) and their orders; see docs/extras.md."""
