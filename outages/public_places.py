"""What the public map's search finds: its areas (communities, counties) and the ZIP codes inside them.

ZIP codes come from the ``zipcodes`` package (offline, the US Postal Service's ZIP list with a centroid per
code).  A ZIP code is offered when its centroid falls inside a public area, and it leads to the community that
contains the centroid, else to the county.  Privacy (D14): every entry is a public area or a ZIP code with that
area's bounds; nothing about a home, a facility or the registry.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
import zipcodes
from sqlalchemy.orm import Session

from outages.public_map import public_areas

KIND_ORDER = ("community", "county")  # a ZIP code leads to the first kind of area containing it
ZIP_TYPES = ("STANDARD", "PO BOX")  # 'UNIQUE' codes belong to one organisation, 'MILITARY' ones are overseas
EARTH_RADIUS_MILES = 3958.8


def search_entries(*, session: Session, areas: gpd.GeoDataFrame | None = None) -> list[dict]:
    """The public map's search entries: one per public area (``areas``: the GeoDataFrame of
    :func:`outages.public_map.public_areas`, read from ``session`` when not given), ordered by kind then name,
    then one per ZIP code whose centroid falls inside a public area, by code::

        {"label": "Kerrville", "kind": "community", "area": "COM-KERRVILLE", "bounds": [[s, w], [n, e]]}
        {"label": "78028 Kerrville", "kind": "zip", "zip": "78028", "area": "COM-KERRVILLE", "bounds": ...}

    ``bounds`` are the area's [[south, west], [north, east]] in degrees (as Leaflet's ``fitBounds`` takes).
    """
    if areas is None:
        areas = public_areas(session=session)
    if not len(areas):
        return []
    order = sorted(range(len(areas)), key=lambda i: (str(areas["kind"].iat[i]), str(areas["name"].iat[i]), i))
    geoms = areas.geometry.values
    bounds = [_bounds(g) for g in geoms]
    entries = [
        {"label": areas["name"].iat[i], "kind": areas["kind"].iat[i], "area": areas["code"].iat[i], "bounds": bounds[i]}
        for i in order
    ]
    for code, city, i in _zips_in(areas):
        entries.append(
            {"label": f"{code} {city}", "kind": "zip", "zip": code, "area": areas["code"].iat[i], "bounds": bounds[i]}
        )
    return entries


def _bounds(geom) -> list[list[float]]:
    west, south, east, north = shapely.bounds(geom)
    return [[round(float(south), 5), round(float(west), 5)], [round(float(north), 5), round(float(east), 5)]]


def _zips_in(areas: gpd.GeoDataFrame) -> list[tuple[str, str, int]]:
    """(ZIP code, city, index of the area it leads to) for each ZIP code centroid inside an area, by code."""
    west, south, east, north = (float(v) for v in areas.total_bounds)
    lat, lon = (south + north) / 2, (west + east) / 2
    radius = _miles(lon, lat, east, north) + 1.0  # a circle around the areas' box: the package's cheap prefilter
    candidates = [
        z
        for z in zipcodes.filter_by_coordinates(lat, lon, radius)
        if z.get("active") and z.get("zip_code_type") in ZIP_TYPES
    ]
    if not candidates:
        return []
    xy = np.array([[float(z["long"]), float(z["lat"])] for z in candidates])
    inside_box = (xy[:, 0] >= west) & (xy[:, 0] <= east) & (xy[:, 1] >= south) & (xy[:, 1] <= north)
    candidates = [z for z, keep in zip(candidates, inside_box) if keep]
    points = shapely.points(xy[inside_box])
    tree = shapely.STRtree(areas.geometry.values)
    point_idx, area_idx = tree.query(points, predicate="within")
    rank = {kind: n for n, kind in enumerate(KIND_ORDER)}
    best: dict[int, tuple] = {}
    for p, a in zip(point_idx.tolist(), area_idx.tolist()):
        key = (rank.get(areas["kind"].iat[a], len(rank)), str(areas["name"].iat[a]), a)
        if p not in best or key < best[p]:
            best[p] = key
    found = [(candidates[p]["zip_code"], candidates[p]["city"], key[2]) for p, key in best.items()]
    return sorted(found)


def _miles(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance [miles] (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))
