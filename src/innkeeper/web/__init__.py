"""Server-rendered pages (Jinja2): the landing page for now; guest site and staff console later."""
