"""CMS pages: platform-wide and per property; see docs/content.md."""
