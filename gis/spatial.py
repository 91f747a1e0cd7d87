"""The few portable spatial SQL helpers: identical answers on SpatiaLite and PostGIS."""

from __future__ import annotations

from sqlalchemy import Float, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


class distance_m(GenericFunction):
    """Geodesic distance in metres between two EPSG:4326 geometries."""

    type = Float()
    inherit_cache = True


@compiles(distance_m, "postgresql")
def _distance_pg(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"ST_Distance(({compiler.process(a, **kw)})::geography, ({compiler.process(b, **kw)})::geography)"


@compiles(distance_m, "sqlite")
def _distance_sqlite(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"ST_Distance({compiler.process(a, **kw)}, {compiler.process(b, **kw)}, 1)"


class envelope(GenericFunction):
    """A lon/lat rectangle (EPSG:4326) from xmin, ymin, xmax, ymax."""

    inherit_cache = True


@compiles(envelope, "postgresql")
def _envelope_pg(element, compiler, **kw):
    return f"ST_MakeEnvelope({compiler.process(element.clauses, **kw)}, 4326)"


@compiles(envelope, "sqlite")
def _envelope_sqlite(element, compiler, **kw):
    return f"BuildMbr({compiler.process(element.clauses, **kw)}, 4326)"


def point(lon: float, lat: float):
    """A SQL point literal in EPSG:4326."""
    return func.ST_GeomFromText(f"POINT({float(lon)!r} {float(lat)!r})", 4326)
