"""Service catalog and service orders."""
