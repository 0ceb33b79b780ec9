"""The staff console under /staff."""
