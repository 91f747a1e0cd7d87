"""Crews and their work: the roster dispatchers keep, and assignments of crews to interruption records,
each moving through dispatched, en route, on site and done (models, schemas, service)."""
