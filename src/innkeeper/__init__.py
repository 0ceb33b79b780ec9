"""Innkeeper: booking and property-management platform."""

__version__ = "0.1.0"
