"""A tiny, exactly known cooperative for the tests (counts are asserted against it)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from shapely.geometry import LineString, MultiLineString, Point, Polygon, box

JC = (-98.4194, 30.2769)  # Johnson City
MF = (-98.2728, 30.5782)  # Marble Falls
JC_TOWN = (-98.4119, 30.2769)  # Johnson City's real location: the landbase's place

# feeder -> (members, members via recloser R1, of those via fuse F1)
MEMBERS = {"JC-014": 10_000, "JC-015": 500, "MF-001": 1_500}
VIA_R1, VIA_F1 = 6_000, 1_000
TOTAL = sum(MEMBERS.values())
INTERRUPTIBLE = 10_000  # the one interruptible service point: meter M00010001, on JC-015
COOPERATIVE = "Hill Country Electric Cooperative (synthetic)"  # the name the scheduler's notices carry (tick)


def _line(start, dx, dy, n=5):
    return LineString([(start[0] + dx * k / n, start[1] + dy * k / n) for k in range(n + 1)])


def facility_layers(members: dict[str, int] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Layers in the file schema of :mod:`gis.files`, EPSG:4326 (``members`` per feeder: the benchmarks
    scale them; the tests keep :data:`MEMBERS`)."""
    feeders = {
        "JC-014": _line(JC, 0.10, 0.0),  # east of Johnson City
        "JC-015": _line(JC, -0.08, 0.0),  # west
        "MF-001": _line(MF, 0.0, 0.08),  # north of Marble Falls
    }
    crs = 4326
    layers = {
        "substations": gpd.GeoDataFrame(
            {"substation_id": ["JC-S01", "MF-S01"], "name": ["Johnson City", "Marble Falls"]},
            geometry=[Point(JC), Point(MF)],
            crs=crs,
        ),
        "transmission_lines": gpd.GeoDataFrame(
            {
                "line_id": ["TL-001"],
                "name": ["Johnson City - Marble Falls 138 kV"],
                "voltage_kv": [138.0],
                "substation_ids": ["JC-S01,MF-S01"],
            },
            geometry=[LineString([JC, MF])],
            crs=crs,
        ),
        "feeders": gpd.GeoDataFrame(
            {
                "feeder_id": list(feeders),
                "substation_id": ["JC-S01", "JC-S01", "MF-S01"],
                "name": ["JC 14 East", "JC 15 West", "MF 1 North"],
                "voltage_kv": [12.47, 12.47, 24.9],
            },
            geometry=[MultiLineString([g]) for g in feeders.values()],
            crs=crs,
        ),
        "devices": gpd.GeoDataFrame(
            {
                "device_id": ["JC-014-R1", "JC-014-F1"],
                "feeder_id": ["JC-014", "JC-014"],
                "kind": ["recloser", "fuse"],
                "upstream_device_id": [None, "JC-014-R1"],
            },
            geometry=[Point(JC[0] + 0.04, JC[1]), Point(JC[0] + 0.08, JC[1])],
            crs=crs,
        ),
        "service_areas": gpd.GeoDataFrame(
            {
                "area_id": ["SYSTEM", "DIV-JC", "DIV-MF", "COM-JOHNSON-CITY", "CTY-BLANCO"],
                "name": [
                    "Test system",
                    "Johnson City Division",
                    "Marble Falls Division",
                    "Johnson City",
                    "Blanco County",
                ],
                "kind": ["system", "division", "division", "community", "county"],
            },
            geometry=[
                box(-98.6, 30.1, -98.1, 30.8),
                box(-98.6, 30.1, -98.1, 30.45),
                box(-98.6, 30.45, -98.1, 30.8),
                box(-98.45, 30.25, -98.38, 30.30),
                box(-98.6, 30.1, -98.1, 30.8),
            ],
            crs=crs,
        ),
        # the optional landbase (base map): one place, one road, one water polygon
        "places": gpd.GeoDataFrame({"name": ["Johnson City"], "rank": [2]}, geometry=[Point(JC_TOWN)], crs=crs),
        "roads": gpd.GeoDataFrame(
            {"name": ["US 290"], "rank": [1]},
            geometry=[LineString([(-98.6, 30.24), (-98.4119, 30.2769), (-98.1, 30.21)])],
            crs=crs,
        ),
        "water": gpd.GeoDataFrame(
            {"name": ["Pedernales River"]},
            geometry=[Polygon([(-98.5, 30.31), (-98.3, 30.33), (-98.3, 30.335), (-98.5, 30.315)])],
            crs=crs,
        ),
    }
    meters, accounts, feeder_col, device_col, geoms = [], [], [], [], []
    for feeder, count in (members or MEMBERS).items():
        line = feeders[feeder]
        along = (np.arange(count) + 0.5) / count
        for i, frac in enumerate(along):
            p = line.interpolate(frac, normalized=True)
            meters.append(f"M{len(meters) + 1:08d}")
            accounts.append(f"{1_000_000_000 + len(accounts) + 1}")
            feeder_col.append(feeder)
            device = None
            if feeder == "JC-014" and i >= count - VIA_R1:
                device = "JC-014-F1" if i >= count - VIA_F1 else "JC-014-R1"
            device_col.append(device)
            geoms.append(Point(p.x, p.y + 0.0005))
    layers["service_points"] = gpd.GeoDataFrame(
        {
            "meter_number": meters,
            "account_number": accounts,
            "feeder_id": feeder_col,
            "device_id": device_col,
            "interruptible": [i == INTERRUPTIBLE for i in range(len(meters))],
        },
        geometry=geoms,
        crs=crs,
    )
    return layers


def sp(n: int) -> dict:
    """Account and meter of the n-th service point of the test cooperative (see facility_layers)."""
    return {"account_number": str(1_000_000_000 + n), "meter_number": f"M{n:08d}"}


# members' service points, as they sign up with them
JC014_POINT = {"account_number": "1000000100", "meter_number": "M00000100"}  # on JC-014, not below a device
ANA = {"account_number": "1000005000", "meter_number": "M00005000"}  # JC-014, below recloser R1, not fuse F1
BO = {"account_number": "1000009500", "meter_number": "M00009500"}  # JC-014, below fuse F1 (so below R1 too)
CY = {"account_number": "1000000100", "meter_number": "M00000100"}  # JC-014, above R1: stays on
DI = {"account_number": "1000010200", "meter_number": "M00010200"}  # JC-015

COMMUNITY = box(-98.45, 30.25, -98.38, 30.30)  # COM-JOHNSON-CITY of facility_layers()
