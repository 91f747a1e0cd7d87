"""Deterministic generator of a SYNTHETIC electric cooperative in the Texas Hill Country.

Everything produced here is made up: "Hill Country Electric Cooperative
(synthetic)" does not exist.  Only the town and county-seat locations are real
(approximate); substations, feeders, devices, service points, service areas and
interruption records are randomly generated from a seed.

Outputs (in ``out_dir``):

* ``facilities.gpkg`` -- layers ``substations``, ``transmission_lines``,
  ``feeders``, ``devices``, ``service_areas``, ``service_points`` and the
  landbase (base map) ``places``, ``roads``, ``water`` (EPSG:4326).
* ``interruptions.csv`` -- five years (2021-2025) of interruption records.

Usage::

    python -m sample_data.generate --out DIR [--seed N] [--scale F]

The same seed and scale always give byte-identical CSV output and identical
GeoPackage contents.  See ``sample_data/README.md``.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

COOP_NAME = "Hill Country Electric Cooperative (synthetic)"
TZ = ZoneInfo("America/Chicago")
CRS = "EPSG:4326"

# Local equirectangular frame (km) used while drawing the network.
LON0, LAT0 = -98.4, 30.3
KX = 111.320 * math.cos(math.radians(LAT0))  # km per degree of longitude
KY = 110.86  # km per degree of latitude

FIRST_DAY = date(2021, 1, 1)
LAST_DAY = date(2025, 12, 31)

N_SERVICE_POINTS = 250_000  # at scale 1.0
N_SUBSTATIONS = 110  # at scale 1.0

# ---------------------------------------------------------------------------
# Real places (approximate lon/lat).  Order = priority when the system is small.
# code, name, lon, lat, weight (relative size), county, division code, roads
# ---------------------------------------------------------------------------
TOWNS: list[tuple[str, str, float, float, float, str, str, tuple[str, ...]]] = [
    ("JC", "Johnson City", -98.4119, 30.2769, 3.0, "Blanco", "JC", ("US 290", "US 281", "RR 1323", "FM 2766")),
    ("MF", "Marble Falls", -98.2728, 30.5782, 6.0, "Burnet", "MF", ("FM 1431", "US 281", "FM 2147", "FM 1855")),
    ("DS", "Dripping Springs", -98.0867, 30.1902, 7.0, "Hays", "DS", ("US 290", "RR 12", "FM 150", "FM 967")),
    ("KV", "Kerrville", -99.1403, 30.0474, 6.0, "Kerr", "KV", ("SH 16", "SH 27", "SH 173", "FM 783")),
    ("FB", "Fredericksburg", -98.8720, 30.2752, 6.0, "Gillespie", "FB", ("US 87", "US 290", "RR 965", "FM 2093")),
    ("BT", "Bertram", -98.0553, 30.7438, 2.0, "Burnet", "MF", ("SH 29", "FM 243", "FM 1174")),
    ("LH", "Liberty Hill", -97.9225, 30.6649, 6.0, "Williamson", "LH", ("SH 29", "RM 1869", "FM 3405", "US 183")),
    ("CP", "Cedar Park", -97.8203, 30.5052, 6.0, "Williamson", "LH", ("US 183", "RM 1431", "RM 620")),
    ("CL", "Canyon Lake", -98.2625, 29.8752, 5.0, "Comal", "JC", ("FM 306", "FM 2673", "FM 3159", "FM 484")),
    ("KY", "Kyle", -97.8772, 29.9891, 5.0, "Hays", "DS", ("FM 150", "FM 2770", "FM 1626")),
    ("JN", "Junction", -99.7720, 30.4894, 2.0, "Kimble", "KV", ("US 377", "US 83", "RM 2169", "FM 2291")),
    ("LL", "Llano", -98.6753, 30.7593, 3.0, "Llano", "MF", ("SH 16", "SH 71", "SH 29", "RR 152")),
    ("BL", "Blanco", -98.4214, 30.0980, 3.0, "Blanco", "JC", ("US 281", "RR 165", "FM 1623", "RR 32")),
    ("WM", "Wimberley", -98.0986, 29.9974, 4.0, "Hays", "DS", ("RR 12", "RR 3237", "RR 2325", "RR 32")),
    ("BU", "Burnet", -98.2283, 30.7582, 4.0, "Burnet", "MF", ("SH 29", "US 281", "FM 963", "FM 2340")),
    ("LE", "Leander", -97.8531, 30.5788, 6.0, "Williamson", "LH", ("US 183", "RM 2243", "CR 175")),
    ("BD", "Buda", -97.8403, 30.0852, 4.0, "Hays", "DS", ("FM 967", "FM 2001", "FM 1626")),
    ("BO", "Boerne", -98.7320, 29.7947, 5.0, "Kendall", "KV", ("SH 46", "FM 474", "FM 3351", "US 87")),
    ("CF", "Comfort", -98.9053, 29.9677, 2.0, "Kendall", "KV", ("SH 27", "FM 473", "US 87", "FM 1621")),
    ("MS", "Mason", -99.2306, 30.7488, 1.5, "Mason", "FB", ("US 87", "SH 29", "FM 386", "RR 1723")),
    ("KL", "Kingsland", -98.4406, 30.6585, 2.5, "Llano", "MF", ("RR 1431", "FM 3404", "RR 2900")),
    ("HB", "Horseshoe Bay", -98.3739, 30.5441, 2.5, "Llano", "MF", ("RR 2147", "FM 2831", "SH 71")),
    ("SW", "Spicewood", -98.1567, 30.4752, 2.5, "Travis", "MF", ("SH 71", "CR 404", "RR 1431")),
    ("BC", "Bee Cave", -97.9450, 30.3085, 3.0, "Travis", "DS", ("SH 71", "RM 620", "FM 2244")),
    ("LW", "Lakeway", -97.9797, 30.3638, 3.0, "Travis", "DS", ("RM 620", "RR 2322", "FM 2769")),
    ("HP", "Harper", -99.2445, 30.2999, 1.0, "Gillespie", "KV", ("US 290", "FM 783", "RR 2291")),
    ("SN", "Stonewall", -98.6567, 30.2355, 1.5, "Gillespie", "FB", ("US 290", "RR 1", "FM 1623")),
]

DIVISIONS = {
    "JC": "Johnson City",
    "MF": "Marble Falls",
    "DS": "Dripping Springs",
    "KV": "Kerrville",
    "FB": "Fredericksburg",
    "LH": "Liberty Hill",
}

# County seats that are not in TOWNS (they only shape the synthetic counties).
EXTRA_COUNTY_SEATS = [
    ("San Marcos", -97.9414, 29.8833, "Hays"),
    ("Austin", -97.7431, 30.2672, "Travis"),
    ("Georgetown", -97.6770, 30.6333, "Williamson"),
    ("New Braunfels", -98.1245, 29.7030, "Comal"),
]

CREEKS = (
    "Pedernales River",
    "Cypress Creek",
    "Onion Creek",
    "Barton Creek",
    "Miller Creek",
    "Guadalupe River",
    "Llano River",
    "Sandy Creek",
    "Hamilton Creek",
    "Cow Creek",
    "Flat Creek",
    "Bear Creek",
    "Blanco River",
    "South Fork",
    "Spring Branch",
)

NAME_PREFIX = (
    "Cedar",
    "Oak",
    "Mesquite",
    "Limestone",
    "Granite",
    "Pecan",
    "Cypress",
    "Sycamore",
    "Bluebonnet",
    "Walnut",
    "Elm",
    "Rocky",
    "Sandy",
    "Bear",
    "Deer",
    "Turkey",
    "Hawk",
    "Eagle",
    "Fox",
    "Buck",
    "Live Oak",
    "Post Oak",
    "Persimmon",
    "Agarita",
)
NAME_SUFFIX = (
    "Creek",
    "Hollow",
    "Ridge",
    "Springs",
    "Valley",
    "Mesa",
    "Bend",
    "Crossing",
    "Flat",
    "Gap",
    "Hill",
    "Draw",
)

CAUSES = (
    "lightning",
    "wind",
    "ice_snow",
    "flood",
    "heat",
    "vegetation",
    "animal",
    "equipment_failure",
    "public_vehicle",
    "power_supply",
    "planned",
    "overload",
    "unknown",
)
C = {c: i for i, c in enumerate(CAUSES)}

CSV_COLUMNS = (
    "record_ref",
    "incident_ref",
    "feeder_id",
    "transmission_line_id",
    "device_id",
    "cause",
    "scheduled",
    "members_notified",
    "start",
    "restored_at",
    "members_out",
    "steps",
    "location",
    "notes",
)

# Normal (non-storm) sustained outages, per feeder-year.
SUSTAINED_RATE = {
    "lightning": 0.52,
    "wind": 0.44,
    "ice_snow": 0.06,
    "flood": 0.05,
    "heat": 0.22,
    "vegetation": 1.20,
    "animal": 1.12,
    "equipment_failure": 1.25,
    "public_vehicle": 0.34,
    "power_supply": 0.04,
    "overload": 0.10,
    "unknown": 0.50,
}
MOMENTARY_RATE = {"lightning": 0.8, "wind": 0.62, "vegetation": 0.8, "animal": 0.45, "unknown": 0.5}
PLANNED_RATE = 0.40  # per feeder-year
TLINE_RATE = 0.12  # per line-year

SEASON = {  # Jan..Dec multipliers (normalised later)
    "lightning": [0.1, 0.2, 0.6, 1.3, 2.2, 2.0, 1.3, 1.2, 1.0, 0.7, 0.3, 0.1],
    "wind": [0.6, 0.8, 1.4, 1.7, 1.6, 1.2, 0.8, 0.7, 0.7, 0.8, 0.7, 0.6],
    "ice_snow": [3.0, 2.5, 0.3, 0, 0, 0, 0, 0, 0, 0, 0.4, 2.0],
    "flood": [0.3, 0.3, 0.6, 1.0, 2.0, 1.6, 0.7, 0.5, 1.0, 1.8, 0.8, 0.3],
    "heat": [0, 0, 0, 0.1, 0.6, 2.0, 3.0, 3.2, 1.5, 0.2, 0, 0],
    "vegetation": [0.7, 0.7, 1.0, 1.2, 1.4, 1.3, 1.1, 1.0, 1.0, 0.9, 0.8, 0.7],
    "animal": [0.6, 0.8, 1.3, 1.6, 1.4, 1.0, 0.8, 0.7, 0.9, 1.3, 1.0, 0.6],
    "equipment_failure": [1.0, 0.9, 0.8, 0.8, 1.0, 1.2, 1.4, 1.5, 1.1, 0.9, 0.8, 1.0],
    "public_vehicle": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.1, 1.3],
    "power_supply": [1.2, 1.2, 0.8, 0.8, 1, 1.2, 1.3, 1.3, 1, 0.8, 0.8, 1],
    "overload": [1.4, 1.0, 0.4, 0.3, 0.6, 1.2, 1.8, 2.0, 1.0, 0.3, 0.4, 1.0],
    "unknown": [1] * 12,
}


def _hours(peaks: list[tuple[int, float]], base: float = 1.0) -> np.ndarray:
    h = np.full(24, base)
    for hour, w in peaks:
        h[hour % 24] += w
    return h / h.sum()


HOURLY = {
    "storm": _hours([(14, 1), (15, 2), (16, 3), (17, 4), (18, 4), (19, 3), (20, 2), (21, 1)], 0.6),
    "animal": _hours([(6, 1), (7, 3), (8, 4), (9, 4), (10, 3), (11, 2), (17, 1), (18, 1)], 0.5),
    "day": _hours([(10, 1), (11, 1), (12, 1), (13, 1.5), (14, 2), (15, 2), (16, 2), (17, 2), (18, 1)], 1.0),
    "vehicle": _hours([(17, 1), (18, 2), (19, 2), (20, 2), (21, 2), (22, 2), (23, 1), (0, 1), (1, 1)], 1.0),
    "night": _hours([(0, 1), (1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2), (7, 1)], 1.0),
    "flat": _hours([], 1.0),
}
CAUSE_HOURS = {
    "lightning": "storm",
    "wind": "storm",
    "flood": "storm",
    "ice_snow": "night",
    "heat": "day",
    "vegetation": "day",
    "animal": "animal",
    "equipment_failure": "day",
    "public_vehicle": "vehicle",
    "power_supply": "day",
    "overload": "day",
    "unknown": "flat",
}
# record kind probabilities [small group, device lockout, whole feeder]
CAUSE_KIND = {
    "animal": (0.45, 0.50, 0.05),
    "vegetation": (0.35, 0.50, 0.15),
    "equipment_failure": (0.55, 0.33, 0.12),
    "lightning": (0.35, 0.50, 0.15),
    "wind": (0.30, 0.50, 0.20),
    "public_vehicle": (0.30, 0.40, 0.30),
    "heat": (0.70, 0.25, 0.05),
    "ice_snow": (0.40, 0.45, 0.15),
    "flood": (0.40, 0.40, 0.20),
    "overload": (0.60, 0.30, 0.10),
    "unknown": (0.40, 0.45, 0.15),
    "power_supply": (0.0, 0.0, 1.0),
}
MEDIAN_MIN = {  # median sustained duration (minutes)
    "lightning": 95,
    "wind": 100,
    "ice_snow": 200,
    "flood": 240,
    "heat": 75,
    "vegetation": 95,
    "animal": 55,
    "equipment_failure": 115,
    "public_vehicle": 170,
    "power_supply": 60,
    "overload": 70,
    "unknown": 65,
}

NOTES = {
    "animal": (
        "Squirrel contact on transformer",
        "Squirrel on cutout",
        "Bird contact on jumper",
        "Raccoon contact at riser",
        "Snake in pad-mount",
    ),
    "vegetation": (
        "Tree limb on line",
        "Cedar contact on phase",
        "Oak limb broke conductor",
        "Dead tree fell into line",
        "Vines on guy and primary",
    ),
    "lightning": ("Lightning arrester failed", "Lightning strike on pole", "Transformer failed after strike"),
    "wind": ("Conductor slap in high wind", "Broken crossarm", "Pole down in wind", "Limb blown into line"),
    "equipment_failure": (
        "Failed transformer",
        "Cutout failure",
        "Underground cable fault",
        "Crossarm failure",
        "Connector burned open",
        "Insulator failure",
    ),
    "public_vehicle": ("Vehicle struck pole", "Dig-in on underground cable", "Oversized load hit line"),
    "heat": ("Transformer overheated", "Heat-related connector failure"),
    "ice_snow": ("Ice-laden limbs on line", "Conductor down under ice load", "Pole broken under ice"),
    "flood": ("Pad-mount transformer flooded", "Low-water crossing blocked access"),
    "overload": ("Cold load pickup", "Overloaded transformer"),
    "power_supply": ("Loss of transmission source", "Substation transformer tripped"),
    "planned": (
        "Pole replacement",
        "Line upgrade",
        "Recloser maintenance",
        "Transformer change-out",
        "Reconductoring",
        "Tree trimming near primary",
    ),
    "unknown": ("Patrolled, no cause found", "Fuse replaced, no cause found"),
}


def _log(progress: bool, t0: float, msg: str) -> None:
    if progress:
        print(f"[{time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def _to_lonlat(xy: np.ndarray) -> np.ndarray:
    out = np.empty_like(xy, dtype=float)
    out[..., 0] = xy[..., 0] / KX + LON0
    out[..., 1] = xy[..., 1] / KY + LAT0
    return out


def _to_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return np.column_stack([(np.asarray(lon) - LON0) * KX, (np.asarray(lat) - LAT0) * KY])


def _walk(
    rng: np.random.Generator,
    start: np.ndarray,
    heading: float,
    length: float,
    step: float = 0.2,
    noise: float = 0.12,
    persist: float = 0.9,
):
    """A jittered, road-like route: heading meanders around `heading`."""
    n = max(2, int(math.ceil(length / step)))
    step = length / n
    e = rng.normal(0.0, noise, n)
    turns = rng.random(n) < 0.02
    e[turns] += rng.normal(0.0, 0.5, int(turns.sum()))
    kern = persist ** np.arange(min(n, 50))
    dev = np.clip(np.convolve(e, kern)[:n], -1.1, 1.1)
    h = heading + dev
    v = np.empty((n + 1, 2))
    v[0] = start
    v[1:, 0] = start[0] + np.cumsum(step * np.cos(h))
    v[1:, 1] = start[1] + np.cumsum(step * np.sin(h))
    return v, h, step


def _unique_numbers(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct random integers in [low, high), in random order."""
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        draw = rng.integers(low, high, size=int((n - out.size) * 1.1) + 16, dtype=np.int64)
        cand = np.concatenate([out, draw])
        _, first = np.unique(cand, return_index=True)
        out = cand[np.sort(first)]
    return out[:n]


# ---------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------
@dataclass
class Network:
    town_idx_active: list[int]
    sub_id: list[str]
    sub_name: list[str]
    sub_town: np.ndarray
    sub_xy: np.ndarray
    tl_id: list[str]
    tl_name: list[str]
    tl_kv: list[int]
    tl_subs: list[list[int]]
    tl_coords: list[np.ndarray]
    fd_id: list[str]
    fd_sub: np.ndarray
    fd_name: list[str]
    fd_kv: np.ndarray
    fd_len: np.ndarray
    seg_feeder: np.ndarray
    seg_verts: list[np.ndarray]
    seg_step: np.ndarray
    seg_base_dev: np.ndarray
    dv_id: list[str]
    dv_feeder: np.ndarray
    dv_kind: list[str]
    dv_seg: np.ndarray
    dv_pos: np.ndarray
    dv_up: np.ndarray
    dv_xy: np.ndarray
    dv_anc: list[frozenset] = field(default_factory=list)
    # service points
    sp_xy: np.ndarray | None = None
    sp_feeder: np.ndarray | None = None
    sp_dev: np.ndarray | None = None
    sp_interruptible: np.ndarray | None = None
    sp_meter: list[str] | None = None
    sp_account: list[str] | None = None
    fd_n: np.ndarray | None = None
    fd_sp_start: np.ndarray | None = None
    dv_down: np.ndarray | None = None
    tl_n: np.ndarray | None = None


def _allocate_substations(scale: float) -> list[int]:
    """Town index of each substation."""
    n_sub = max(3, int(round(N_SUBSTATIONS * scale)))
    n_town = len(TOWNS)
    if n_sub <= n_town:
        return list(range(n_sub))
    w = np.array([t[4] for t in TOWNS])
    extra = n_sub - n_town
    quota = extra * w / w.sum()
    base = np.floor(quota).astype(int)
    rem = extra - base.sum()
    order = np.lexsort((np.arange(n_town), -(quota - base)))
    base[order[:rem]] += 1
    out: list[int] = []
    for t in range(n_town):
        out += [t] * int(1 + base[t])
    return out


def _build_network(rng: np.random.Generator, scale: float) -> Network:
    town_xy = _to_km(np.array([t[2] for t in TOWNS]), np.array([t[3] for t in TOWNS]))
    sub_town_list = _allocate_substations(scale)

    # --- substations -------------------------------------------------------
    counts = np.bincount(sub_town_list, minlength=len(TOWNS))
    sub_xy_l: list[np.ndarray] = []
    sub_town: list[int] = []
    sub_id: list[str] = []
    names_pool = [f"{p} {s}" for p in NAME_PREFIX for s in NAME_SUFFIX]
    perm = rng.permutation(len(names_pool))
    for t in range(len(TOWNS)):
        k = int(counts[t])
        if k == 0:
            continue
        radius = 2.0 + 2.4 * math.sqrt(k)
        for j in range(k):
            best = None
            for _attempt in range(60):
                ang = rng.uniform(0, 2 * math.pi)
                r = radius * math.sqrt(rng.uniform(0.04, 1.0))
                cand = town_xy[t] + r * np.array([math.cos(ang), math.sin(ang)])
                if not sub_xy_l:
                    best = cand
                    break
                dmin = np.min(np.hypot(*(np.array(sub_xy_l) - cand).T))
                if dmin >= 2.5:
                    best = cand
                    break
                if best is None:
                    best = cand
            sub_xy_l.append(best)
            sub_town.append(t)
            sub_id.append(f"{TOWNS[t][0]}-S{j + 1:02d}")
    n_sub = len(sub_id)
    sub_xy = np.array(sub_xy_l)
    sub_name = [names_pool[perm[i % len(names_pool)]] for i in range(n_sub)]
    sub_town_a = np.array(sub_town)

    # --- transmission lines --------------------------------------------------
    remaining = set(range(n_sub))
    cur = int(np.argmin(sub_xy[:, 0]))
    tour = [cur]
    remaining.discard(cur)
    while remaining:
        rem = np.array(sorted(remaining))
        d = np.hypot(*(sub_xy[rem] - sub_xy[cur]).T)
        cur = int(rem[np.argmin(d)])
        tour.append(cur)
        remaining.discard(cur)
    groups: list[list[int]] = []
    i = 0
    while i < n_sub:
        r = n_sub - i
        if r <= 5:
            size = r
        else:
            size = int(rng.choice([2, 3, 4, 5], p=[0.2, 0.35, 0.3, 0.15]))
            if r - size == 1:
                size = size + 1 if size < 5 else size - 1
        groups.append(tour[i : i + size])
        i += size
    tl_id, tl_name, tl_kv, tl_coords = [], [], [], []
    for g_i, g in enumerate(groups):
        pts = sub_xy[g]
        # interconnect point "behind" the first substation
        away = pts[0] - pts[1]
        away = away / (np.hypot(*away) + 1e-9)
        rot = rng.uniform(-0.6, 0.6)
        ca, sa = math.cos(rot), math.sin(rot)
        away = np.array([ca * away[0] - sa * away[1], sa * away[0] + ca * away[1]])
        origin = pts[0] + away * rng.uniform(4, 10)
        chain = np.vstack([origin, pts])
        coords = [chain[0]]
        for a, b in zip(chain[:-1], chain[1:]):
            dist = float(np.hypot(*(b - a)))
            m = max(2, int(dist / 1.5))
            tt = np.linspace(0, 1, m + 1)[1:]
            normal = np.array([-(b - a)[1], (b - a)[0]]) / (dist + 1e-9)
            bridge = np.cumsum(rng.normal(0, 1, m))
            bridge = bridge - tt * bridge[-1]
            bridge *= 0.025 * dist / (np.abs(bridge).max() + 1e-9)
            seg = a + np.outer(tt, b - a) + np.outer(bridge, normal)
            seg[-1] = b
            coords.extend(seg)
        coords = np.array(coords)
        length = float(np.sum(np.hypot(*np.diff(coords, axis=0).T)))
        kv = 138 if (length > 30 or rng.random() < 0.25) else 69
        ta, tb = TOWNS[sub_town_a[g[0]]][1], TOWNS[sub_town_a[g[-1]]][1]
        nm = f"{ta} - {tb} {kv} kV" if ta != tb else f"{ta} Loop {kv} kV"
        tl_id.append(f"TL-{g_i + 1:03d}")
        tl_name.append(nm)
        tl_kv.append(kv)
        tl_coords.append(coords)

    # --- feeders, laterals and devices --------------------------------------
    fd_id, fd_sub, fd_name, fd_kv, fd_len = [], [], [], [], []
    seg_feeder, seg_verts, seg_step, seg_base = [], [], [], []
    dv_id, dv_feeder, dv_kind, dv_seg, dv_pos, dv_up, dv_xy = [], [], [], [], [], [], []
    sub_num = {}
    for s in range(n_sub):
        code = TOWNS[sub_town_a[s]][0]
        snum = int(sub_id[s].split("-S")[1])
        sub_num[s] = snum
        k = int(rng.choice([3, 4, 5], p=[0.25, 0.5, 0.25]))
        # spread feeders evenly, rotated to point away from nearby substations
        dvec = sub_xy - sub_xy[s]
        dd = np.hypot(dvec[:, 0], dvec[:, 1])
        near = (dd > 0) & (dd < 9.0)
        base = rng.uniform(0, 2 * math.pi)
        if near.any():
            nang = np.arctan2(dvec[near, 1], dvec[near, 0])
            cands = base + np.linspace(0, 2 * math.pi / k, 12, endpoint=False)
            fa = cands[:, None] + 2 * math.pi * np.arange(k)[None, :] / k
            diff = np.abs((fa[:, :, None] - nang[None, None, :] + math.pi) % (2 * math.pi) - math.pi)
            base = float(cands[int(np.argmax(diff.min(axis=(1, 2))))])
        headings = base + 2 * math.pi * np.arange(k) / k + rng.uniform(-0.3, 0.3, k) * math.pi / k
        for j in range(k):
            f = len(fd_id)
            fid = f"{code}-{snum:02d}{j + 1}"
            # local segments: (verts, headings, step, parent_local, branch_pos)
            L_t = float(np.clip(rng.lognormal(math.log(6.5), 0.4), 2.5, 13.0))
            tv, th, tstep = _walk(rng, sub_xy[s], float(headings[j]), L_t)
            segs = [(tv, th, tstep, -1, 0.0)]
            total = L_t
            nlat = 1 + int(rng.poisson(L_t / 2.0))
            lat_idx = np.sort(rng.integers(3, len(tv) - 1, nlat)) if len(tv) > 4 else np.array([], int)
            for li in lat_idx:
                side = 1.0 if rng.random() < 0.5 else -1.0
                ang = float(th[min(li, len(th) - 1)]) + side * rng.uniform(1.0, 1.9)
                ll = float(np.clip(rng.lognormal(math.log(1.3), 0.5), 0.4, 4.0))
                if total + ll > 24.0:
                    break
                lv, lh, lstep = _walk(rng, tv[li], ang, ll)
                segs.append((lv, lh, lstep, 0, li * tstep))
                total += ll
                pl = len(segs) - 1
                if ll >= 1.5:
                    for _ in range(int(rng.binomial(2, 0.35))):
                        si = int(rng.integers(2, len(lv) - 1))
                        sside = 1.0 if rng.random() < 0.5 else -1.0
                        sang = float(lh[min(si, len(lh) - 1)]) + sside * rng.uniform(1.0, 1.9)
                        sl = float(np.clip(rng.lognormal(math.log(0.7), 0.4), 0.25, 1.8))
                        if total + sl > 24.0:
                            break
                        sv, sh, sstep = _walk(rng, lv[si], sang, sl)
                        segs.append((sv, sh, sstep, pl, si * lstep))
                        total += sl
            # devices: (local seg, pos, kind)
            devs: list[tuple[int, float, str]] = []
            if rng.random() < 0.85 or len(segs) == 1:
                devs.append((0, rng.uniform(0.3, 0.6) * L_t, "recloser"))
                if L_t > 8 and rng.random() < 0.4:
                    devs.append((0, rng.uniform(0.65, 0.85) * L_t, "recloser"))
            rec_pos = [p for (sg, p, kd) in devs if kd == "recloser"]
            for ls in range(1, len(segs)):
                sv, _sh, sstep, parent, bpos = segs[ls]
                seg_len = (len(sv) - 1) * sstep
                pos = min(rng.uniform(0.03, 0.15), 0.3 * seg_len)
                r = rng.random()
                if parent == 0:
                    if r < 0.55:
                        devs.append((ls, pos, "fuse"))
                    elif r < 0.70 and any(rp <= bpos for rp in rec_pos):
                        devs.append((ls, pos, "sectionalizer"))
                elif r < 0.35:
                    devs.append((ls, pos, "fuse"))
            if len(devs) > 6:
                keep = [d for d in devs if d[2] == "recloser"]
                others = [d for d in devs if d[2] != "recloser"]
                pick = np.sort(rng.choice(len(others), 6 - len(keep), replace=False))
                devs = keep + [others[p] for p in pick]
            while len(devs) < 2:
                has_rec = any(d[2] == "recloser" for d in devs)
                free = [ls for ls in range(1, len(segs)) if not any(d[0] == ls for d in devs)]
                if not has_rec:
                    devs.append((0, rng.uniform(0.3, 0.6) * L_t, "recloser"))
                elif free:
                    ls = free[int(rng.integers(len(free)))]
                    sv, _sh, sstep, _p, _b = segs[ls]
                    devs.append((ls, min(0.05, 0.3 * (len(sv) - 1) * sstep), "fuse"))
                else:
                    devs.append((0, 0.8 * L_t, "sectionalizer"))
            # order: reclosers by trunk position, then by (seg, pos)
            devs.sort(key=lambda d: (d[2] != "recloser", d[0], d[1]))
            counters = {"recloser": 0, "fuse": 0, "sectionalizer": 0}
            letter = {"recloser": "R", "fuse": "F", "sectionalizer": "S"}
            g0 = len(dv_id)
            seg0 = len(seg_verts)
            for ls, pos, kd in devs:
                counters[kd] += 1
                dv_id.append(f"{fid}-{letter[kd]}{counters[kd]}")
                dv_feeder.append(f)
                dv_kind.append(kd)
                dv_seg.append(seg0 + ls)
                dv_pos.append(pos)
                sv, _sh, sstep, _p, _b = segs[ls]
                x = pos / sstep
                i0 = min(int(x), len(sv) - 2)
                fr = x - i0
                dv_xy.append(sv[i0] * (1 - fr) + sv[i0 + 1] * fr)

            def governing(ls: int, pos: float, strict: bool, base_local: list[int]) -> int:
                best, bp = -1, -1.0
                for di, (dls, dpos, _k) in enumerate(devs):  # noqa: B023 - called within this iteration
                    if dls == ls and (dpos < pos if strict else dpos <= pos) and dpos > bp:
                        best, bp = g0 + di, dpos  # noqa: B023
                return best if best >= 0 else base_local[ls]

            base_local: list[int] = []
            for _sv, _sh, _st, parent, bpos in segs:
                base_local.append(-1 if parent < 0 else governing(parent, bpos, False, base_local))
            for _di, (ls, pos, _k) in enumerate(devs):
                dv_up.append(governing(ls, pos, True, base_local))
            for ls, (sv, _sh, sstep, _p, _b) in enumerate(segs):
                seg_feeder.append(f)
                seg_verts.append(sv)
                seg_step.append(sstep)
                seg_base.append(base_local[ls])
            fd_id.append(fid)
            fd_sub.append(s)
            fd_name.append(f"{sub_name[s]} Circuit {j + 1}")
            fd_kv.append(24.9 if (L_t > 8.0 and rng.random() < 0.7) or rng.random() < 0.25 else 12.47)
            fd_len.append(total)

    net = Network(
        town_idx_active=sorted(set(sub_town)),
        sub_id=sub_id,
        sub_name=sub_name,
        sub_town=sub_town_a,
        sub_xy=sub_xy,
        tl_id=tl_id,
        tl_name=tl_name,
        tl_kv=tl_kv,
        tl_subs=groups,
        tl_coords=tl_coords,
        fd_id=fd_id,
        fd_sub=np.array(fd_sub),
        fd_name=fd_name,
        fd_kv=np.array(fd_kv),
        fd_len=np.array(fd_len),
        seg_feeder=np.array(seg_feeder),
        seg_verts=seg_verts,
        seg_step=np.array(seg_step),
        seg_base_dev=np.array(seg_base, dtype=np.int64),
        dv_id=dv_id,
        dv_feeder=np.array(dv_feeder, dtype=np.int64),
        dv_kind=dv_kind,
        dv_seg=np.array(dv_seg, dtype=np.int64),
        dv_pos=np.array(dv_pos),
        dv_up=np.array(dv_up, dtype=np.int64),
        dv_xy=np.array(dv_xy),
    )
    anc: list[frozenset] = []
    for d in range(len(dv_id)):
        a = []
        u = net.dv_up[d]
        while u >= 0:
            a.append(int(u))
            u = net.dv_up[u]
        anc.append(frozenset(a))
    net.dv_anc = anc
    return net


def _place_service_points(rng: np.random.Generator, net: Network, n_sp: int) -> None:
    n_f = len(net.fd_id)
    town_xy = _to_km(np.array([t[2] for t in TOWNS]), np.array([t[3] for t in TOWNS]))
    # edges of all segments
    nv = np.array([len(v) - 1 for v in net.seg_verts])
    e_seg = np.repeat(np.arange(len(nv)), nv)
    allv = np.vstack(net.seg_verts)
    vstart = np.concatenate([[0], np.cumsum(nv + 1)[:-1]])
    local = np.arange(len(e_seg)) - np.repeat(np.concatenate([[0], np.cumsum(nv)[:-1]]), nv)
    i0 = np.repeat(vstart, nv) + local
    e0 = allv[i0]
    e1 = allv[i0 + 1]
    e_len = net.seg_step[e_seg]
    e_off = local * e_len
    e_feeder = net.seg_feeder[e_seg]
    ftown = net.sub_town[net.fd_sub]
    mid = 0.5 * (e0 + e1)
    dtown = np.hypot(*(mid - town_xy[ftown[e_feeder]]).T)
    w = e_len * (0.35 + 3.0 * np.exp(-dtown / 3.5))
    cumw = np.cumsum(w)
    e_first = np.searchsorted(e_feeder, np.arange(n_f), side="left")
    e_last = np.searchsorted(e_feeder, np.arange(n_f), side="right")
    c_start = np.where(e_first > 0, cumw[np.maximum(e_first - 1, 0)], 0.0)
    c_end = cumw[e_last - 1]

    # number of service points per feeder
    tw = np.array([t[4] for t in TOWNS])[ftown]
    fw = (0.5 + tw / 4.0) * rng.lognormal(0.0, 0.35, n_f) * np.sqrt(net.fd_len)
    min_each = min(20, n_sp // max(n_f, 1))
    counts = min_each + rng.multinomial(n_sp - min_each * n_f, fw / fw.sum())
    sp_feeder = np.repeat(np.arange(n_f), counts)
    u = c_start[sp_feeder] + rng.random(n_sp) * (c_end - c_start)[sp_feeder]
    ei = np.searchsorted(cumw, u, side="right")
    ei = np.clip(ei, e_first[sp_feeder], e_last[sp_feeder] - 1)
    t = rng.random(n_sp)
    d = e1[ei] - e0[ei]
    dn = np.hypot(d[:, 0], d[:, 1])
    normal = np.column_stack([-d[:, 1], d[:, 0]]) / dn[:, None]
    off = np.clip(rng.normal(0.0, 0.06, n_sp), -0.17, 0.17)
    xy = e0[ei] + d * t[:, None] + normal * off[:, None]
    sp_seg = e_seg[ei]
    sp_s = e_off[ei] + t * e_len[ei]

    # governing (nearest upstream) device
    big = 1000.0
    dkey = net.dv_seg * big + net.dv_pos
    order = np.argsort(dkey, kind="stable")
    dkey_s = dkey[order]
    skey = sp_seg * big + sp_s
    j = np.searchsorted(dkey_s, skey, side="right") - 1
    jc = np.maximum(j, 0)
    on_seg = (j >= 0) & (net.dv_seg[order[jc]] == sp_seg)
    gov = np.where(on_seg, order[jc], net.seg_base_dev[sp_seg])

    n_dev = len(net.dv_id)
    direct = np.bincount(gov[gov >= 0], minlength=n_dev)
    depth = np.array([len(a) for a in net.dv_anc])
    down = direct.astype(np.int64).copy()
    for dd in np.argsort(-depth, kind="stable"):
        if net.dv_up[dd] >= 0:
            down[net.dv_up[dd]] += down[dd]

    net.sp_xy = xy
    net.sp_feeder = sp_feeder
    net.sp_dev = gov.astype(np.int64)
    net.sp_interruptible = rng.random(n_sp) < 0.003
    meters = _unique_numbers(rng, n_sp, 10_000_000, 100_000_000)
    accounts = _unique_numbers(rng, n_sp, 1_000_000_000, 10_000_000_000)
    net.sp_meter = [f"M{m:08d}" for m in meters.tolist()]
    net.sp_account = [f"{a:010d}" for a in accounts.tolist()]
    net.fd_n = counts.astype(np.int64)
    net.fd_sp_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    net.dv_down = down
    fd_by_sub = [[] for _ in net.sub_id]
    for f, s in enumerate(net.fd_sub):
        fd_by_sub[s].append(f)
    net.tl_n = np.array([sum(int(counts[f]) for s in g for f in fd_by_sub[s]) for g in net.tl_subs], dtype=np.int64)


# ---------------------------------------------------------------------------
# Interruptions
# ---------------------------------------------------------------------------
class _Recs:
    COLS = (
        "feeder",
        "tline",
        "device",
        "cause",
        "scheduled",
        "notified",
        "start",
        "dur",
        "members",
        "incident",
        "lx",
        "ly",
        "step_p",
        "ctx",
    )

    def __init__(self) -> None:
        self.parts: dict[str, list] = {c: [] for c in self.COLS}

    def add(self, n: int, **cols) -> None:
        if n == 0:
            return
        for c in self.COLS:
            v = cols[c]
            if np.ndim(v) == 0:
                v = np.full(n, v, dtype=object if isinstance(v, str) else None)
            self.parts[c].append(np.asarray(v))

    def concat(self) -> dict[str, np.ndarray]:
        return {c: np.concatenate(v) if v else np.array([]) for c, v in self.parts.items()}


class _IGen:
    def __init__(self, rng: np.random.Generator, net: Network):
        self.rng = rng
        self.net = net
        self.days = np.arange(np.datetime64(FIRST_DAY), np.datetime64(LAST_DAY) + 1)
        nd = len(self.days)
        self.month = self.days.astype("datetime64[M]").astype(int) % 12
        self.weekday = (self.days.astype(int) + 3) % 7  # Monday = 0
        d0 = FIRST_DAY
        self.midnight = np.array(
            [
                int(datetime(dd.year, dd.month, dd.day, tzinfo=TZ).timestamp())
                for dd in (d0 + timedelta(days=i) for i in range(nd + 1))
            ],
            dtype=np.int64,
        )
        self.n_f = len(net.fd_id)
        self.recs = _Recs()
        # feeder exposure (fixed per feeder)
        self.exposure = net.fd_len**0.7 * rng.lognormal(0.0, 0.35, self.n_f)
        self.exposure[net.fd_n == 0] = 0
        self.exp_cum = np.cumsum(self.exposure)
        # device pick weights (flat, devices are in feeder order)
        kindw = {"recloser": 1.2, "fuse": 3.0, "sectionalizer": 2.0}
        dw = np.array([kindw[k] for k in net.dv_kind]) * (net.dv_down > 0)
        rw = np.array([k == "recloser" for k in net.dv_kind], dtype=float) * (net.dv_down > 0)
        self.dv_first = np.searchsorted(net.dv_feeder, np.arange(self.n_f), side="left")
        self.dv_last = np.searchsorted(net.dv_feeder, np.arange(self.n_f), side="right")
        self.dw_cum, self.rw_cum = np.cumsum(dw), np.cumsum(rw)

    # -- helpers -------------------------------------------------------------
    def day_index(self, d: date) -> int:
        return (d - FIRST_DAY).days

    def ts(self, day_idx, seconds) -> np.ndarray:
        return self.midnight[np.asarray(day_idx)] + np.asarray(seconds, dtype=np.int64)

    def tod(self, profile: str, n: int) -> np.ndarray:
        h = np.searchsorted(np.cumsum(HOURLY[profile]), self.rng.random(n), side="right")
        return np.minimum(h, 23) * 3600 + self.rng.integers(0, 3600, n)

    def pick_feeders(self, n: int) -> np.ndarray:
        u = self.rng.random(n) * self.exp_cum[-1]
        return np.minimum(np.searchsorted(self.exp_cum, u, side="right"), self.n_f - 1)

    def _pick_weighted_dev(self, feeders: np.ndarray, cum: np.ndarray) -> np.ndarray:
        a, b = self.dv_first[feeders], self.dv_last[feeders]
        lo = np.where(a > 0, cum[np.maximum(a - 1, 0)], 0.0)
        hi = np.where(b > 0, cum[np.maximum(b - 1, 0)], 0.0)
        ok = (hi - lo) > 0
        u = lo + self.rng.random(len(feeders)) * (hi - lo)
        j = np.clip(np.searchsorted(cum, u, side="right"), a, np.maximum(b - 1, a))
        return np.where(ok, j, -1)

    def pick_device(self, feeders):
        return self._pick_weighted_dev(feeders, self.dw_cum)

    def pick_recloser(self, feeders):
        return self._pick_weighted_dev(feeders, self.rw_cum)

    def random_sp(self, feeders: np.ndarray) -> np.ndarray:
        n = self.net.fd_n[feeders]
        return self.net.fd_sp_start[feeders] + (self.rng.random(len(feeders)) * n).astype(np.int64)

    def units(self, feeders: np.ndarray, kinds: np.ndarray, partial_p: float = 0.2):
        """kind 0 small group, 1 device lockout, 2 whole feeder -> device, members, lx, ly."""
        net, rng = self.net, self.rng
        n = len(feeders)
        sp = self.random_sp(feeders)
        dev = np.full(n, -1, dtype=np.int64)
        mem = net.fd_n[feeders].copy()
        lxy = net.sp_xy[sp].copy()
        kinds = kinds.copy()
        dsel = self.pick_device(feeders)
        kinds[(kinds == 1) & (dsel < 0)] = 0
        m1 = kinds == 1
        dev[m1] = dsel[m1]
        full = net.dv_down[dsel[m1]]
        part = rng.random(m1.sum()) < partial_p
        frac = rng.uniform(0.3, 0.9, m1.sum())
        mem[m1] = np.where(part, np.maximum(1, np.round(full * frac)).astype(np.int64), full)
        lxy[m1] = net.dv_xy[dsel[m1]]
        m0 = kinds == 0
        g = net.sp_dev[sp[m0]]
        dev[m0] = g
        cap = np.where(g >= 0, net.dv_down[np.maximum(g, 0)], net.fd_n[feeders[m0]])
        mem[m0] = np.minimum(rng.geometric(0.13, m0.sum()), cap)
        return dev, np.maximum(mem, 1), lxy

    def dur_sustained(self, median_min: np.ndarray, sigma: float, lo_min=6.0, hi_min=24 * 60.0):
        m = np.exp(np.log(median_min) + self.rng.normal(0, sigma, len(median_min)))
        return (np.clip(m, lo_min, hi_min) * 60).astype(np.int64) + self.rng.integers(0, 60, len(median_min))

    def add(
        self,
        *,
        feeder,
        device,
        cause,
        start,
        dur,
        members,
        lxy,
        incident="",
        scheduled=False,
        notified=False,
        step_p=0.0,
        ctx="normal",
        tline=None,
    ):
        n = len(start)
        if n == 0:
            return
        self.recs.add(
            n,
            feeder=np.asarray(feeder, dtype=np.int64) if np.ndim(feeder) else np.full(n, feeder),
            tline=np.full(n, -1) if tline is None else np.asarray(tline),
            device=np.asarray(device, dtype=np.int64) if np.ndim(device) else np.full(n, device),
            cause=np.asarray(cause) if np.ndim(cause) else np.full(n, cause),
            scheduled=np.asarray(scheduled) if np.ndim(scheduled) else np.full(n, scheduled),
            notified=np.asarray(notified) if np.ndim(notified) else np.full(n, notified),
            start=np.asarray(start, dtype=np.int64),
            dur=np.asarray(dur, dtype=np.int64),
            members=np.asarray(members, dtype=np.int64),
            incident=np.array(incident, dtype=object) if np.ndim(incident) else np.full(n, incident, dtype=object),
            lx=lxy[:, 0],
            ly=lxy[:, 1],
            step_p=np.asarray(step_p, dtype=float) if np.ndim(step_p) else np.full(n, step_p),
            ctx=np.array(ctx, dtype=object) if np.ndim(ctx) else np.full(n, ctx, dtype=object),
        )

    # -- normal operations ---------------------------------------------------
    def normal(self) -> None:
        rng = self.rng
        nd = len(self.days)
        uri = (self.day_index(date(2021, 2, 14)), self.day_index(date(2021, 2, 20)))
        keep_day = np.ones(nd, bool)
        keep_day[uri[0] : uri[1]] = False
        # sustained
        for cname, rate in SUSTAINED_RATE.items():
            s = np.array(SEASON[cname], float)
            s = s / s.mean()
            lam = self.n_f * rate / 365.25 * s[self.month]
            cnt = rng.poisson(lam) * keep_day
            day = np.repeat(np.arange(nd), cnt)
            n = len(day)
            if n == 0:
                continue
            fd = self.pick_feeders(n)
            kinds = rng.choice(3, n, p=CAUSE_KIND[cname])
            dev, mem, lxy = self.units(fd, kinds)
            med = np.full(n, float(MEDIAN_MIN[cname]))
            med[kinds == 2] *= 0.7
            dur = self.dur_sustained(med, 0.75)
            start = self.ts(day, self.tod(CAUSE_HOURS[cname], n))
            self.add(feeder=fd, device=dev, cause=C[cname], start=start, dur=dur, members=mem, lxy=lxy, step_p=0.12)
        # momentary (recloser / breaker operations)
        for cname, rate in MOMENTARY_RATE.items():
            s = np.array(SEASON[cname], float)
            s = s / s.mean()
            lam = self.n_f * rate / 365.25 * s[self.month]
            cnt = rng.poisson(lam) * keep_day
            day = np.repeat(np.arange(nd), cnt)
            n = len(day)
            if n == 0:
                continue
            fd = self.pick_feeders(n)
            self._momentary(fd, C[cname], self.ts(day, self.tod(CAUSE_HOURS[cname], n)), "")
        # planned
        wk = (self.weekday < 5) & keep_day
        lam = self.n_f * PLANNED_RATE / (365.25 * 5 / 7) * wk
        day = np.repeat(np.arange(nd), rng.poisson(lam))
        n = len(day)
        fd = self.pick_feeders(n)
        kinds = rng.choice(3, n, p=[0.5, 0.45, 0.05])
        dev, mem, lxy = self.units(fd, kinds, partial_p=0.5)
        tod = rng.integers(8 * 3600, 14 * 3600, n)
        tod[kinds == 2] = rng.integers(1 * 3600, 4 * 3600, (kinds == 2).sum())
        dur = self.dur_sustained(np.full(n, 110.0), 0.45, 30, 300)
        notified = rng.random(n) < 0.92
        self.add(
            feeder=fd,
            device=dev,
            cause=C["planned"],
            start=self.ts(day, tod),
            dur=dur,
            members=mem,
            lxy=lxy,
            scheduled=True,
            notified=notified,
            step_p=0.05,
            ctx="planned",
        )
        # transmission
        n_tl = len(self.net.tl_id)
        s = np.array(SEASON["wind"], float)
        s = s / s.mean()
        cnt = rng.poisson(n_tl * TLINE_RATE / 365.25 * s[self.month]) * keep_day
        day = np.repeat(np.arange(nd), cnt)
        if len(day) == 0:  # always have at least one transmission record
            day = np.array([self.day_index(date(2024, 6, 11))])
        n = len(day)
        tl = rng.integers(0, n_tl, n)
        causes = rng.choice(
            [
                C["lightning"],
                C["wind"],
                C["equipment_failure"],
                C["vegetation"],
                C["power_supply"],
                C["animal"],
                C["unknown"],
            ],
            n,
            p=[0.3, 0.15, 0.25, 0.1, 0.1, 0.05, 0.05],
        )
        dur = self.dur_sustained(np.full(n, 50.0), 0.7, 6, 600)
        self._tline(tl, causes, self.ts(day, self.tod("storm", n)), dur, "", 0.2, "tline")

    def _momentary(self, fd, cause, start, incident, ctx="momentary") -> None:
        rng, net = self.rng, self.net
        n = len(fd)
        rec = self.pick_recloser(fd)
        use = (rec >= 0) & (rng.random(n) < 0.75)
        dev = np.where(use, rec, -1)
        mem = np.where(use, net.dv_down[np.maximum(rec, 0)], net.fd_n[fd])
        lxy = np.where(use[:, None], net.dv_xy[np.maximum(rec, 0)], net.sub_xy[net.fd_sub[fd]])
        dur = np.clip(np.exp(rng.normal(math.log(25), 0.9, n)), 5, 240).astype(np.int64)
        self.add(
            feeder=fd, device=dev, cause=cause, start=start, dur=dur, members=mem, lxy=lxy, incident=incident, ctx=ctx
        )

    def _tline(self, tl, causes, start, dur, incident, step_p, ctx) -> None:
        net = self.net
        n = len(tl)
        lxy = np.array([net.tl_coords[t][len(net.tl_coords[t]) // 2] for t in tl]).reshape(n, 2)
        self.add(
            feeder=-1,
            tline=tl,
            device=-1,
            cause=causes,
            start=start,
            dur=dur,
            members=net.tl_n[tl],
            lxy=lxy,
            incident=incident,
            step_p=step_p,
            ctx=ctx,
        )

    # -- storms ---------------------------------------------------------------
    def _storm_units(self, f: int, p_feeder: float, max_dev: int):
        """Non-nested outage units on one feeder: list of (device, members, xy)."""
        rng, net = self.rng, self.net
        a, b = self.dv_first[f], self.dv_last[f]
        cand = [d for d in range(a, b) if net.dv_down[d] > 0]
        if rng.random() < p_feeder or not cand:
            sp = self.random_sp(np.array([f]))[0]
            return [(-1, int(net.fd_n[f]), net.sp_xy[sp])]
        k = 1 + int(rng.binomial(max_dev - 1, 0.4))
        chosen: list[int] = []
        w = np.array([{"recloser": 1.0, "fuse": 3.0, "sectionalizer": 2.0}[net.dv_kind[d]] for d in cand])
        for d in rng.choice(cand, size=len(cand), replace=False, p=w / w.sum()):
            d = int(d)
            if any(d == c or d in net.dv_anc[c] or c in net.dv_anc[d] for c in chosen):
                continue
            chosen.append(d)
            if len(chosen) >= k:
                break
        out = []
        for d in chosen:
            full = int(net.dv_down[d])
            m = full if rng.random() < 0.75 else max(1, int(round(full * rng.uniform(0.3, 0.9))))
            out.append((d, m, net.dv_xy[d]))
        return out

    def _event(
        self,
        feeders: list[int],
        incident: str,
        t0: int,
        cause_names,
        cause_p,
        delay_mean_min: float,
        median_min: float,
        sigma: float,
        hi_min: float,
        step_p: float,
        p_feeder: float,
        max_dev: int,
        ctx: str,
        t_end: int | None = None,
    ):
        rng = self.rng
        fd, dev, mem, xy = [], [], [], []
        for f in feeders:
            for d, m, p in self._storm_units(f, p_feeder, max_dev):
                fd.append(f)
                dev.append(d)
                mem.append(m)
                xy.append(p)
        n = len(fd)
        if n == 0:
            return
        causes = rng.choice([C[c] for c in cause_names], n, p=cause_p)
        delay = np.minimum(rng.exponential(delay_mean_min * 60, n), 4 * delay_mean_min * 60)
        start = t0 + delay.astype(np.int64)
        dur = self.dur_sustained(np.full(n, median_min), sigma, 8, hi_min)
        if t_end is not None:
            dur = np.maximum(np.minimum(dur, t_end - start), 600 + rng.integers(0, 600, n))
        self.add(
            feeder=np.array(fd),
            device=np.array(dev),
            cause=causes,
            start=start,
            dur=dur,
            members=np.array(mem),
            lxy=np.array(xy),
            incident=incident,
            step_p=step_p,
            ctx=ctx,
        )

    def storms(self) -> None:
        rng, net = self.rng, self.net
        month_w = np.array([0.02, 0.01, 0.08, 0.15, 0.22, 0.18, 0.08, 0.06, 0.06, 0.08, 0.04, 0.02])
        month_w /= month_w.sum()
        fxy = net.sub_xy[net.fd_sub]
        blocked = {date(2021, 2, d) for d in range(12, 22)} | {date(2023, 1, 31), date(2023, 2, 1), date(2023, 2, 2)}
        for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
            n_storm = 3 + int(rng.poisson(2.5))
            dates: set[date] = set()
            for _ in range(n_storm):
                m = int(rng.choice(12, p=month_w)) + 1
                dd = date(year, m, 1) + timedelta(days=int(rng.integers(0, 28)))
                if dd not in blocked:
                    dates.add(dd)
            for dd in sorted(dates):
                di = self.day_index(dd)
                winter = dd.month in (12, 1, 2)
                hour = int(rng.integers(0, 24)) if winter else int(rng.integers(13, 22))
                t0 = int(self.midnight[di]) + hour * 3600 + int(rng.integers(0, 3600))
                center = net.sub_xy[rng.integers(len(net.sub_id))] + rng.normal(0, 12, 2)
                radius = rng.uniform(18, 45)
                p_hit = rng.uniform(0.35, 0.8)
                dist = np.hypot(*(fxy - center).T)
                affected = np.flatnonzero((dist < radius) & (net.fd_n > 0))
                hit_mask = rng.random(len(affected)) < p_hit
                hit = affected[hit_mask].tolist()
                inc = f"{dd.isoformat()}-STORM"
                if winter:
                    cn, cp = ["ice_snow", "wind", "vegetation"], [0.5, 0.2, 0.3]
                else:
                    cn, cp = (
                        ["lightning", "wind", "vegetation", "equipment_failure", "flood"],
                        [0.35, 0.33, 0.22, 0.06, 0.04],
                    )
                self._event(hit, inc, t0, cn, cp, 100, 140, 0.85, 36 * 60, 0.45, 0.2, 3, "storm")
                miss = affected[~hit_mask]
                miss = miss[rng.random(len(miss)) < 0.35]
                if len(miss):
                    mc = rng.choice([C["lightning"], C["wind"], C["vegetation"]], len(miss))
                    st = t0 + rng.exponential(90 * 60, len(miss)).astype(np.int64)
                    self._momentary(miss, mc, st, inc, ctx="storm")
        self.ice_storm_2023()
        self.winter_storm_2021()

    def ice_storm_2023(self) -> None:
        rng, net = self.rng, self.net
        fxy = net.sub_xy[net.fd_sub]
        center = _to_km(np.array([-97.98]), np.array([30.42]))[0]
        dist = np.hypot(*(fxy - center).T)
        affected = np.flatnonzero((dist < 55) & (net.fd_n > 0))
        hit = affected[rng.random(len(affected)) < 0.45].tolist()
        t0 = int(self.midnight[self.day_index(date(2023, 1, 31))]) + 22 * 3600
        self._event(
            hit,
            "2023-02-01-STORM",
            t0,
            ["ice_snow", "vegetation"],
            [0.65, 0.35],
            360,
            360,
            0.8,
            60 * 60,
            0.5,
            0.15,
            4,
            "ice2023",
        )

    def winter_storm_2021(self) -> None:
        rng, net = self.rng, self.net
        inc = "2021-02-WINTER-STORM"
        m14 = int(self.midnight[self.day_index(date(2021, 2, 14))])
        m15 = int(self.midnight[self.day_index(date(2021, 2, 15))])
        t_end = int(self.midnight[self.day_index(date(2021, 2, 19))]) + 23 * 3600
        avail = np.ones(self.n_f, bool)
        avail[net.fd_n == 0] = False
        # a transmission line iced down
        n_tl = len(net.tl_id)
        if n_tl >= 3:
            tl = int(rng.integers(n_tl))
            for s in net.tl_subs[tl]:
                avail[net.fd_sub == s] = False
            st = np.array([m15 + 7 * 3600 + int(rng.integers(0, 3600))])
            dur = np.array([int(rng.uniform(4, 14) * 3600)])
            self._tline(np.array([tl]), np.array([C["ice_snow"]]), st, dur, inc, 0.0, "uri")
        cand = np.flatnonzero(avail)
        cand = cand[rng.permutation(len(cand))]
        n_ls = int(round(0.25 * len(cand)))
        loadshed, rest = cand[:n_ls], cand[n_ls:]
        n_long = int(round(0.4 * len(loadshed)))
        ls_start = m15 + 1 * 3600 + 20 * 60
        # long load-shed outages (feeders that could not be rotated)
        fl = loadshed[:n_long]
        if len(fl):
            st = ls_start + rng.integers(0, 6 * 3600, len(fl))
            dur = (rng.uniform(18, 70, len(fl)) * 3600).astype(np.int64)
            dur = np.minimum(dur, m15 + 3 * 86400 + 11 * 3600 - st)
            self.add(
                feeder=fl,
                device=-1,
                cause=C["power_supply"],
                start=st,
                dur=dur,
                members=net.fd_n[fl],
                lxy=net.sub_xy[net.fd_sub[fl]],
                incident=inc,
                ctx="loadshed",
            )
        # rotating outages
        rot_end = m15 + 2 * 86400 + 18 * 3600
        fr_l, st_l, du_l = [], [], []
        for f in loadshed[n_long:]:
            t = ls_start + int(rng.integers(0, 3 * 3600))
            for _ in range(10):
                if t > rot_end:
                    break
                d = int(rng.uniform(35, 150) * 60)
                fr_l.append(f)
                st_l.append(t)
                du_l.append(d)
                t += d + int(rng.uniform(45, 240) * 60)
        if fr_l:
            fr = np.array(fr_l)
            self.add(
                feeder=fr,
                device=-1,
                cause=C["power_supply"],
                start=np.array(st_l),
                dur=np.array(du_l),
                members=net.fd_n[fr],
                lxy=net.sub_xy[net.fd_sub[fr]],
                incident=inc,
                ctx="loadshed",
            )
        # ice damage on other feeders (some out for days)
        n_ice = int(round(0.35 * len(rest)))
        ice, rest2 = rest[:n_ice], rest[n_ice:]
        fd, dev, mem, xy = [], [], [], []
        for f in ice.tolist():
            for d, m, p in self._storm_units(f, 0.1, 4):
                fd.append(f)
                dev.append(d)
                mem.append(m)
                xy.append(p)
        n = len(fd)
        if n:
            st = m14 + 20 * 3600 + np.minimum(rng.exponential(20 * 3600, n), 80 * 3600).astype(np.int64)
            dur = self.dur_sustained(np.full(n, 600.0), 0.9, 60, 96 * 60)
            dur = np.maximum(np.minimum(dur, t_end - st), 3600)
            self.add(
                feeder=np.array(fd),
                device=np.array(dev),
                cause=C["ice_snow"],
                start=st,
                dur=dur,
                members=np.array(mem),
                lxy=np.array(xy),
                incident=inc,
                step_p=0.55,
                ctx="uri",
            )
        # cold-load pickup overloads while restoring
        n_ol = max(1, int(round(0.04 * len(rest2)))) if len(rest2) else 0
        if n_ol:
            fo = rest2[:n_ol]
            dev, mem, lxy = self.units(fo, np.ones(n_ol, dtype=np.int64), partial_p=0.3)
            st = m15 + 2 * 86400 + rng.integers(0, 36 * 3600, n_ol)
            dur = self.dur_sustained(np.full(n_ol, 75.0), 0.5, 20, 240)
            self.add(
                feeder=fo,
                device=dev,
                cause=C["overload"],
                start=st,
                dur=dur,
                members=mem,
                lxy=lxy,
                incident=inc,
                step_p=0.2,
                ctx="uri",
            )


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), TZ).isoformat()


def _compass(dx: float, dy: float) -> str:
    ang = math.degrees(math.atan2(dx, dy)) % 360
    return ("N", "NE", "E", "SE", "S", "SW", "W", "NW")[int((ang + 22.5) // 45) % 8]


def _write_interruptions(rng: np.random.Generator, net: Network, gen: _IGen, path: Path) -> int:
    r = gen.recs.concat()
    n = len(r["start"])
    order = np.lexsort((np.arange(n), r["start"]))
    r = {k: v[order] for k, v in r.items()}
    start = r["start"].astype(np.int64)
    end = start + r["dur"].astype(np.int64)
    members = r["members"].astype(np.int64)
    dur = r["dur"].astype(np.int64)

    # steps (partial restorations)
    eligible = (dur > 1800) & (members >= 2) & (r["tline"] < 0)
    use_steps = eligible & (rng.random(n) < r["step_p"].astype(float))
    steps = [""] * n
    for i in np.flatnonzero(use_steps):
        k = int(min(rng.integers(2, 5), members[i]))
        if k < 2:
            continue
        offs = np.sort(rng.choice(int(dur[i]) - 121, size=k - 1, replace=False) + 61)
        parts = 1 + rng.multinomial(int(members[i]) - k, rng.dirichlet(np.ones(k)))
        steps[i] = ";".join(f"{_iso(start[i] + o)}={int(p)}" for o, p in zip(offs, parts[:-1]))

    # location text
    town_xy = _to_km(np.array([t[2] for t in TOWNS]), np.array([t[3] for t in TOWNS]))
    lxy = np.column_stack([r["lx"].astype(float), r["ly"].astype(float)])
    dist = np.hypot(lxy[:, None, 0] - town_xy[None, :, 0], lxy[:, None, 1] - town_xy[None, :, 1])
    near = np.argmin(dist, axis=1)
    dmi = dist[np.arange(n), near] / 1.609
    road_u = rng.random(n)
    pat_u = rng.random(n)
    note_u = rng.random(n)
    note_k = rng.integers(0, 1000, n)

    rows = []
    seq: dict[str, int] = {}
    for i in range(n):
        s_iso = _iso(start[i])
        year = s_iso[:4]
        seq[year] = seq.get(year, 0) + 1
        ref = f"H{year}-{seq[year]:06d}"
        inc = r["incident"][i] or ref
        f = int(r["feeder"][i])
        tl = int(r["tline"][i])
        dv = int(r["device"][i])
        cname = CAUSES[int(r["cause"][i])]
        sched = bool(r["scheduled"][i])
        ctx = r["ctx"][i]
        t = TOWNS[near[i]]
        dx, dy = lxy[i] - town_xy[near[i]]
        if tl >= 0:
            loc = f"{net.tl_id[tl]} right-of-way near {t[1]}"
        elif ctx == "loadshed":
            loc = f"{net.sub_name[net.fd_sub[f]]} Substation"
        else:
            road = t[7][int(road_u[i] * len(t[7]))]
            if dmi[i] < 1.5:
                loc = f"{road} near {t[1]}"
            elif pat_u[i] < 0.12:
                loc = f"{road} at {CREEKS[note_k[i] % len(CREEKS)]} crossing"
            else:
                loc = f"{road} {dmi[i]:.0f} mi {_compass(dx, dy)} of {t[1]}"
        if ctx == "loadshed":
            note = "ERCOT EEA3 load shed directive" if note_u[i] < 0.5 else "Rotating outage per ERCOT directive"
            if dur[i] > 12 * 3600:
                note = "Load shed; feeder could not be rotated"
        elif dur[i] <= 300:
            note = ("Recloser operation" if dv >= 0 else "Breaker reclose") if note_u[i] < 0.6 else ""
        elif sched:
            opts = NOTES["planned"]
            note = opts[note_k[i] % len(opts)] if note_u[i] < 0.8 else ""
            if dv < 0 and f >= 0 and members[i] == net.fd_n[f]:
                note = "Substation maintenance"
            if not bool(r["notified"][i]):
                note = (note + "; " if note else "") + "member notice missed"
        else:
            opts = NOTES.get(cname, ())
            note = opts[note_k[i] % len(opts)] if (opts and note_u[i] < 0.55) else ""
            if ctx in ("storm", "uri", "ice2023") and note_u[i] >= 0.85:
                note = "Storm restoration; mutual aid crews"
        rows.append(
            (
                ref,
                inc,
                net.fd_id[f] if f >= 0 else "",
                net.tl_id[tl] if tl >= 0 else "",
                net.dv_id[dv] if dv >= 0 else "",
                cname,
                "true" if sched else "false",
                ("true" if bool(r["notified"][i]) else "false") if sched else "",
                s_iso,
                _iso(end[i]),
                str(int(members[i])),
                steps[i],
                loc,
                note,
            )
        )
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        w.writerows(rows)
    return n


# ---------------------------------------------------------------------------
# Service areas and GeoPackage
# ---------------------------------------------------------------------------
def _multi(g):
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    if g is None or g.is_empty:
        return None
    if not g.is_valid:
        g = shapely.make_valid(g)
    polys = [p for p in shapely.get_parts(g) if isinstance(p, (Polygon, MultiPolygon)) and not p.is_empty]
    flat = []
    for p in polys:
        flat.extend(shapely.get_parts(p) if isinstance(p, MultiPolygon) else [p])
    flat = [p for p in flat if p.area > 0]
    if not flat:
        return None
    return MultiPolygon(flat)


def _service_areas(net: Network, feeder_geoms):
    import shapely
    import shapely.affinity
    from shapely.geometry import MultiPoint, Point, Polygon

    simp = shapely.simplify(feeder_geoms, 0.002)
    buf = shapely.buffer(simp, 0.045, quad_segs=4)
    system = shapely.union_all(buf).buffer(-0.015, quad_segs=4)
    system = shapely.union_all([Polygon(p.exterior) for p in shapely.get_parts(system)])
    system = shapely.make_valid(system) if not system.is_valid else system
    rows = [("SYSTEM", COOP_NAME, "system", _multi(system))]

    town_ll = np.array([[t[2], t[3]] for t in TOWNS])
    env = system.envelope.buffer(1.0)

    def cells(points: np.ndarray) -> list:
        vor = shapely.voronoi_polygons(MultiPoint([tuple(p) for p in points]), extend_to=env)
        parts = list(shapely.get_parts(vor))
        out = [None] * len(points)
        pts = shapely.points(points)
        for c in parts:
            inside = np.flatnonzero(shapely.contains(c, pts))
            if len(inside):
                out[int(inside[0])] = c
        return out

    town_cells = cells(town_ll)
    for code, name in DIVISIONS.items():
        members = [town_cells[i] for i, t in enumerate(TOWNS) if t[6] == code]
        g = _multi(shapely.intersection(shapely.union_all(members), system))
        if g is not None:
            rows.append((f"DIV-{code}", f"{name} Division", "division", g))

    seats = [(t[2], t[3], t[5]) for t in TOWNS] + [(s[1], s[2], s[3]) for s in EXTRA_COUNTY_SEATS]
    ccells = cells(np.array([[s[0], s[1]] for s in seats]))
    for county in sorted({s[2] for s in seats}):
        members = [ccells[i] for i, s in enumerate(seats) if s[2] == county]
        g = _multi(shapely.intersection(shapely.union_all(members), system))
        if g is not None:
            rows.append((f"CTY-{county.upper().replace(' ', '-')}", f"{county} County", "county", g))

    for i, t in enumerate(TOWNS):
        r_km = min(8.0, 3.0 + 0.75 * t[4])
        circ = shapely.affinity.affine_transform(
            Point(0, 0).buffer(r_km, quad_segs=16), [1 / KX, 0, 0, 1 / KY, t[2], t[3]]
        )
        g = _multi(shapely.intersection(shapely.intersection(circ, town_cells[i]), system))
        if g is not None:
            rows.append((f"COM-{t[1].upper().replace(' ', '-')}", t[1], "community", g))
    return rows


def _write_gpkg(net: Network, path: Path) -> dict[str, int]:
    import geopandas as gpd
    import shapely

    if path.exists():
        path.unlink()
    counts: dict[str, int] = {}

    def write(layer: str, data: dict, geom) -> None:
        gdf = gpd.GeoDataFrame(data, geometry=geom, crs=CRS)
        gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        counts[layer] = len(gdf)

    sub_ll = _to_lonlat(net.sub_xy)
    write("substations", {"substation_id": net.sub_id, "name": net.sub_name}, shapely.points(sub_ll))

    tl_geoms = [shapely.linestrings(_to_lonlat(c)) for c in net.tl_coords]
    write(
        "transmission_lines",
        {
            "line_id": net.tl_id,
            "name": net.tl_name,
            "voltage_kv": np.array(net.tl_kv, dtype=np.int64),
            "substation_ids": [",".join(net.sub_id[s] for s in g) for g in net.tl_subs],
        },
        tl_geoms,
    )

    allv = _to_lonlat(np.vstack(net.seg_verts))
    seg_idx = np.repeat(np.arange(len(net.seg_verts)), [len(v) for v in net.seg_verts])
    lines = shapely.linestrings(allv, indices=seg_idx)
    feeder_geoms = shapely.multilinestrings(lines, indices=net.seg_feeder)
    write(
        "feeders",
        {
            "feeder_id": net.fd_id,
            "substation_id": [net.sub_id[s] for s in net.fd_sub],
            "name": net.fd_name,
            "voltage_kv": net.fd_kv.astype(float),
        },
        feeder_geoms,
    )

    up = [net.dv_id[u] if u >= 0 else None for u in net.dv_up]
    write(
        "devices",
        {
            "device_id": net.dv_id,
            "feeder_id": [net.fd_id[f] for f in net.dv_feeder],
            "kind": net.dv_kind,
            "upstream_device_id": np.array(up, dtype=object),
        },
        shapely.points(_to_lonlat(net.dv_xy)),
    )

    sp_ll = _to_lonlat(net.sp_xy)
    areas = _service_areas(net, feeder_geoms)
    write(
        "service_areas",
        {
            "area_id": [a[0] for a in areas],
            "name": [a[1] for a in areas],
            "kind": [a[2] for a in areas],
        },
        [a[3] for a in areas],
    )

    fid_arr = np.array(net.fd_id, dtype=object)
    dev_arr = np.array(list(net.dv_id) + [None], dtype=object)
    write(
        "service_points",
        {
            "meter_number": net.sp_meter,
            "account_number": net.sp_account,
            "feeder_id": fid_arr[net.sp_feeder],
            "device_id": dev_arr[np.where(net.sp_dev >= 0, net.sp_dev, len(net.dv_id))],
            "interruptible": net.sp_interruptible.astype(bool),
        },
        shapely.points(sp_ll),
    )
    return counts


# ---------------------------------------------------------------------------
# Landbase (base map): places, roads, water
# ---------------------------------------------------------------------------
LANDBASE_STREAM = 15  # the landbase draws from its own generator, so every other output stays as it was

# Lakes on the Colorado and the Guadalupe (approximate real locations): name, centre line (lon, lat), half width (km)
LAKES = (
    ("Lake Buchanan", ((-98.445, 30.86), (-98.43, 30.82), (-98.41, 30.79), (-98.40, 30.76)), 1.8),
    ("Inks Lake", ((-98.395, 30.755), (-98.385, 30.735), (-98.375, 30.72)), 0.35),
    ("Lake LBJ", ((-98.46, 30.67), (-98.42, 30.645), (-98.39, 30.60), (-98.35, 30.56)), 0.6),
    ("Lake Marble Falls", ((-98.335, 30.556), (-98.30, 30.56), (-98.26, 30.563)), 0.25),
    (
        "Lake Travis",
        ((-98.17, 30.48), (-98.10, 30.455), (-98.03, 30.44), (-97.98, 30.42), (-97.93, 30.40), (-97.907, 30.392)),
        0.8,
    ),
    ("Canyon Lake", ((-98.33, 29.905), (-98.29, 29.90), (-98.25, 29.895), (-98.22, 29.885)), 1.2),
)
# Rivers among CREEKS with approximate real courses (lon, lat)
RIVERS = (
    ("Pedernales River", ((-98.87, 30.24), (-98.65, 30.21), (-98.42, 30.29), (-98.20, 30.36), (-98.12, 30.45))),
    ("Guadalupe River", ((-99.30, 30.06), (-99.14, 30.04), (-98.90, 29.97), (-98.60, 29.87), (-98.33, 29.90))),
    ("Llano River", ((-99.77, 30.50), (-99.40, 30.60), (-99.05, 30.68), (-98.675, 30.75), (-98.45, 30.67))),
    ("Blanco River", ((-98.55, 30.08), (-98.42, 30.09), (-98.10, 29.99), (-97.94, 29.89))),
)


def _road_rank(name: str) -> int:
    """1 for US/SH/IH highways, 2 for farm/ranch roads (FM, RR, RM), 3 for county roads."""
    prefix = name.split()[0]
    return 1 if prefix in ("US", "SH", "IH") else 2 if prefix in ("FM", "RR", "RM") else 3


def _meander(rng: np.random.Generator, a: np.ndarray, b: np.ndarray, wiggle: float = 0.025) -> np.ndarray:
    """A road-like line (km) from a to b: a point about every km, pushed sideways by a smooth random bridge
    (zero at both ends) of about ``wiggle`` times the length."""
    d = b - a
    length = float(np.hypot(*d))
    n = max(2, int(math.ceil(length)))
    t = np.linspace(0.0, 1.0, n + 1)
    walk = np.concatenate([[0.0], np.cumsum(rng.normal(0.0, 1.0, n))])
    bridge = walk - t * walk[-1]
    bridge = np.convolve(bridge, np.ones(5) / 5, mode="same") * (1 - (2 * t - 1) ** 8)
    scale = wiggle * length / max(float(np.abs(bridge).max()), 1e-9)
    normal = np.array([-d[1], d[0]]) / max(length, 1e-9)
    return a + np.outer(t, d) + np.outer(bridge * scale, normal)


def _landbase(rng: np.random.Generator) -> dict[str, tuple[dict, list]]:
    """The synthetic base map: (columns, geometries) per layer ``places``, ``roads`` and ``water``."""
    import shapely

    places = [(t[1], t[2], t[3], 1 if t[4] >= 5 else 2 if t[4] >= 2.5 else 3) for t in TOWNS]
    places += [(s[0], s[1], s[2], 1) for s in EXTRA_COUNTY_SEATS]
    out: dict[str, tuple[dict, list]] = {
        "places": (
            {"name": [p[0] for p in places], "rank": np.array([p[3] for p in places], dtype=np.int64)},
            [shapely.Point(p[1], p[2]) for p in places],
        )
    }

    town_xy = _to_km(np.array([t[2] for t in TOWNS]), np.array([t[3] for t in TOWNS]))
    towns_on: dict[str, list[int]] = {}
    for i, t in enumerate(TOWNS):
        for road in t[7]:
            towns_on.setdefault(road, []).append(i)
    names, ranks, roads = [], [], []
    for road in sorted(towns_on):
        idx = towns_on[road]
        if len(idx) > 1:  # a chain through the towns in order along their main direction
            pts = town_xy[idx]
            axis = np.linalg.svd(pts - pts.mean(axis=0))[2][0]
            chain = pts[np.argsort((pts - pts.mean(axis=0)) @ axis, kind="stable")]
        else:  # a short stub out of town
            ang = rng.uniform(0, 2 * math.pi)
            start = town_xy[idx[0]]
            chain = np.array([start, start + rng.uniform(6, 12) * np.array([math.cos(ang), math.sin(ang)])])
        parts = [_meander(rng, chain[k], chain[k + 1]) for k in range(len(chain) - 1)]
        line = np.vstack([parts[0]] + [p[1:] for p in parts[1:]])
        names.append(road)
        ranks.append(_road_rank(road))
        roads.append(shapely.LineString(_to_lonlat(line)))
    out["roads"] = ({"name": names, "rank": np.array(ranks, dtype=np.int64)}, roads)

    water_names, water = [], []
    for name, centre, half_km in LAKES:
        ll = np.array(centre)
        km = _to_km(ll[:, 0], ll[:, 1])
        shore = shapely.LineString(km).buffer(half_km, quad_segs=4)
        shore = shapely.Polygon(_to_lonlat(np.asarray(shore.exterior.coords)))
        water_names.append(name)
        water.append(shore)
    for name, course in RIVERS:
        ll = np.array(course)
        km = _to_km(ll[:, 0], ll[:, 1])
        parts = [_meander(rng, km[k], km[k + 1], wiggle=0.05) for k in range(len(km) - 1)]
        water_names.append(name)
        water.append(shapely.LineString(_to_lonlat(np.vstack([parts[0]] + [p[1:] for p in parts[1:]]))))
    out["water"] = ({"name": water_names}, water)
    return out


def _write_landbase(rng: np.random.Generator, path: Path) -> dict[str, int]:
    import geopandas as gpd

    counts: dict[str, int] = {}
    for layer, (data, geom) in _landbase(rng).items():
        gpd.GeoDataFrame(data, geometry=geom, crs=CRS).to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        counts[layer] = len(geom)
    return counts


def generate(out_dir: Path, *, seed: int = 2026, scale: float = 1.0, progress: bool = False) -> dict[str, int]:
    """Generate the synthetic cooperative into ``out_dir``; returns counts per layer/file."""
    if scale <= 0:
        raise ValueError("scale must be > 0")
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    net = _build_network(rng, scale)
    _log(
        progress,
        t0,
        f"network: {len(net.sub_id)} substations, {len(net.fd_id)} feeders, "
        f"{len(net.dv_id)} devices, {len(net.tl_id)} transmission lines",
    )
    n_sp = max(300, int(round(N_SERVICE_POINTS * scale)))
    _place_service_points(rng, net, n_sp)
    _log(progress, t0, f"service points: {n_sp}")
    gen = _IGen(rng, net)
    gen.normal()
    gen.storms()
    n_int = _write_interruptions(rng, net, gen, out_dir / "interruptions.csv")
    _log(progress, t0, f"interruptions.csv: {n_int} records")
    counts = _write_gpkg(net, out_dir / "facilities.gpkg")
    counts |= _write_landbase(np.random.default_rng([seed, LANDBASE_STREAM]), out_dir / "facilities.gpkg")
    counts["interruptions"] = n_int
    _log(progress, t0, "facilities.gpkg written")
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sample_data.generate", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--quiet", action="store_true", help="no progress output")
    a = p.parse_args(argv)
    counts = generate(a.out, seed=a.seed, scale=a.scale, progress=not a.quiet)
    for k, v in counts.items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
