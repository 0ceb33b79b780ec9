"""CMS pages."""
