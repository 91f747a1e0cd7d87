"""The composition root: web app, API routes, pages, CLI, migrations and scheduler."""
