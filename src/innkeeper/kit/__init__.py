"""Infrastructure with no domain knowledge. Nothing here imports a domain package."""
