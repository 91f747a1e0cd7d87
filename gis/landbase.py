"""The base map (landbase) as a phone map draws it: roads, places and water, simplified and rounded.

The landbase is the co-op's own reference layers (imported with the facility layer, see
:func:`gis.service.replace_landbase`); nothing in it is tied to a member or a facility.
"""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy.orm import Session

from gis.models import LandbaseFeature
from gis.service import read_layer

TOLERANCE_DEG = 0.0005  # simplification [degrees]: about 50 m, below what a phone shows at town zoom
DECIMALS = 5  # coordinates rounded to 1e-5 degrees (about 1 m)
DRAW_ORDER = {"water": 0, "road": 1, "place": 2}  # drawn bottom to top; within roads, major roads last


def landbase_geojson(*, session: Session, tolerance: float = TOLERANCE_DEG, decimals: int = DECIMALS) -> dict:
    """The landbase as a GeoJSON FeatureCollection (properties ``kind``, ``name``, ``rank``), in drawing order:
    water, then roads (local to highway), then places.  Lines and polygons are simplified by ``tolerance``
    [degrees] keeping their topology; coordinates are rounded to ``decimals``; a feature simplified to nothing
    is left out."""
    frame = read_layer(
        session,
        LandbaseFeature,
        {"kind": LandbaseFeature.kind, "name": LandbaseFeature.name, "rank": LandbaseFeature.rank},
    )
    if not len(frame):
        return {"type": "FeatureCollection", "features": []}
    geoms = shapely.simplify(frame.geometry.values, tolerance, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    ranks = [None if rank != rank or rank is None else int(rank) for rank in frame["rank"]]
    order = sorted(
        range(len(frame)),
        key=lambda i: (DRAW_ORDER[frame["kind"].iat[i]], -(ranks[i] or 9), frame["name"].iat[i] or "", i),
    )
    features = []
    for i in order:
        geom = geoms[i]
        if geom is None or geom.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": frame["kind"].iat[i], "name": frame["name"].iat[i], "rank": ranks[i]},
                "geometry": _lists(shapely.geometry.mapping(geom)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _lists(value):
    """A GeoJSON mapping with lists for tuples (and plain floats), as ``json`` writes it compactly."""
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(item) for item in value]
    return float(value) if isinstance(value, np.floating) else value
