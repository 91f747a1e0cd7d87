"""Deterministic generator of a SYNTHETIC essential-services registry workbook (.xlsx).

Everything written here is made up: the facilities, their names, contacts, phone
numbers (555-0100..0199, reserved for fiction), e-mail addresses (example.org only)
and verification history.  Each entry is served from one real service point of the
synthetic facility sample (``sample_data.generate``): its account and meter number,
feeder and coordinates come from the ``service_points`` layer, and its name is
built from the nearest ``community`` (town) or the ``county`` it lies in.

The workbook is written by the registry's own writer
(:func:`registry.spreadsheet.registry_workbook`, the layout of its template and exports):

* ``entries``: ``ref, name, category, account_number, meter_number, feeder, lon, lat,
  backup_generation, fuel_hours, priority_tier, notes, last_verified, verified_by``
* ``contacts``: ``ref, name, role, phone, alt_phone, email, around_the_clock``
* ``categories``: ``code, label, group`` (the 13 default categories, ``registry.models.DEFAULT_CATEGORIES``)

Usage::

    python -m sample_data.registry --facilities DIR/facilities.gpkg --out registry.xlsx [--seed N]

The same facilities file, seed and ``today`` always give the same cell values.
See ``sample_data/README.md``.
"""

from __future__ import annotations

import argparse
import math
import re
import time
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

TZ = ZoneInfo("America/Chicago")
FULL_SCALE_SERVICE_POINTS = 250_000  # the sample at --scale 1.0

COORD_DECIMALS = 7  # lon/lat as written (1 cm), as the registry stores them

VERIFIERS = ("registry", "mgarcia", "jthompson")
VERIFIER_P = (0.3, 0.4, 0.3)

# Review status shares (relative to `today`); the review period is 12 months, due soon = within 30 days.
SHARE_DUE_SOON = 0.08
SHARE_OVERDUE = 0.12
CURRENT_DAYS = (2, 330)  # verified this many days ago (< 11 months)
DUE_SOON_DAYS = (2, 28)  # review falls due this many days after today (verified 11-12 months ago)
OVERDUE_DAYS = (381, 608)  # verified 12.5-20 months ago

# Area codes of the towns (512 Austin side, 830 Hill Country, 325 Llano/Mason/Kimble); default 830.
AREA_CODE = {
    "Johnson City": "830",
    "Marble Falls": "830",
    "Dripping Springs": "512",
    "Kerrville": "830",
    "Fredericksburg": "830",
    "Bertram": "512",
    "Liberty Hill": "512",
    "Cedar Park": "512",
    "Canyon Lake": "830",
    "Kyle": "512",
    "Junction": "325",
    "Llano": "325",
    "Blanco": "830",
    "Wimberley": "512",
    "Burnet": "512",
    "Leander": "512",
    "Buda": "512",
    "Boerne": "830",
    "Comfort": "830",
    "Mason": "325",
    "Kingsland": "325",
    "Horseshoe Bay": "830",
    "Spicewood": "830",
    "Bee Cave": "512",
    "Lakeway": "512",
    "Harper": "830",
    "Stonewall": "830",
}
AREA_CODES = ("512", "830", "325")

FIRST_NAMES = (
    "Alicia",
    "Andrew",
    "Angela",
    "Ben",
    "Brenda",
    "Carlos",
    "Carmen",
    "Cody",
    "Dale",
    "Dana",
    "Darla",
    "Diego",
    "Elena",
    "Emily",
    "Eric",
    "Gloria",
    "Grant",
    "Hector",
    "Hannah",
    "Irene",
    "Jacob",
    "Janet",
    "Javier",
    "Jenna",
    "Jorge",
    "Kara",
    "Kevin",
    "Laura",
    "Leon",
    "Lupe",
    "Marcus",
    "Maria",
    "Mason",
    "Megan",
    "Miguel",
    "Nadia",
    "Nora",
    "Oscar",
    "Pamela",
    "Paul",
    "Rachel",
    "Ramon",
    "Rita",
    "Ruben",
    "Sandra",
    "Sergio",
    "Shane",
    "Sofia",
    "Tanya",
    "Tessa",
    "Travis",
    "Trent",
    "Valerie",
    "Victor",
    "Wade",
    "Wendy",
    "Yolanda",
    "Zach",
)
LAST_NAMES = (
    "Alvarado",
    "Bauer",
    "Becker",
    "Blackwell",
    "Brandt",
    "Caldwell",
    "Castillo",
    "Crenshaw",
    "Delgado",
    "Dietert",
    "Ebeling",
    "Espinoza",
    "Fischer",
    "Fuentes",
    "Gallagher",
    "Garza",
    "Guerrero",
    "Hartmann",
    "Heinrich",
    "Hollis",
    "Ibarra",
    "Jennings",
    "Kappel",
    "Keller",
    "Klein",
    "Koehler",
    "Lange",
    "Ledesma",
    "Lindner",
    "Maldonado",
    "Marek",
    "McAllister",
    "Mendez",
    "Moreno",
    "Neumann",
    "Ochoa",
    "Pfeiffer",
    "Quintero",
    "Rahe",
    "Ramirez",
    "Reinhardt",
    "Rios",
    "Salinas",
    "Schaefer",
    "Schulze",
    "Sandoval",
    "Tillman",
    "Treviño",
    "Ullrich",
    "Vasquez",
    "Vogel",
    "Wagner",
    "Whitaker",
    "Wolff",
    "Yates",
    "Zamora",
)
PREFIXES = (
    "Bluebonnet",
    "Live Oak",
    "Cypress",
    "Pecan",
    "Cedar",
    "Mesquite",
    "Limestone",
    "Granite",
    "Sycamore",
    "Walnut",
    "Post Oak",
    "Agarita",
    "Persimmon",
    "Hawk",
    "Deer Creek",
    "Turkey Hollow",
    "Rocky Ridge",
)


@dataclass(frozen=True)
class _Spec:
    full: int  # entries at 250,000 service points
    floor: int  # at least this many on a small system
    in_town: float  # share served from a service point inside a community circle
    backup: float  # P(backup generation)
    fuel: tuple[int, ...]  # fuel-hours choices when there is backup
    tiers: tuple[float, float, float]  # P(tier 1), P(tier 2), P(tier 3)
    n_contacts: tuple[float, float, float]  # P(1), P(2), P(3 contacts)
    around_the_clock: float  # P(first contact is reachable 24/7; half that for the others); 1.0 -> always
    roles: tuple[str, ...]  # first role = main contact
    templates: tuple[tuple[str, float], ...]  # name template, weight; {town} {county} {n} {surname} {prefix}
    notes: tuple[str, ...]
    p_notes: float


SPECS: dict[str, _Spec] = {
    "hospital": _Spec(
        10,
        2,
        1.0,
        1.0,
        (72, 96),
        (1.0, 0.0, 0.0),
        (0.0, 0.5, 0.5),
        1.0,
        ("Emergency coordinator", "Facility manager", "House supervisor", "Plant engineer"),
        (
            ("{town} Regional Medical Center (synthetic)", 3),
            ("{town} Memorial Hospital (synthetic)", 2),
            ("{town} Community Hospital (synthetic)", 2),
            ("{town} Surgical Hospital (synthetic)", 1),
            ("{town} Medical Center Campus {n} (synthetic)", 0.5),
        ),
        (
            "ICU and surgical suites on this service",
            "Dual transfer switches; generator load-tested monthly",
            "Helipad lighting on this service",
            "Dialysis unit on site",
            "Level IV trauma center",
        ),
        0.8,
    ),
    "police": _Spec(
        28,
        4,
        0.9,
        0.85,
        (24, 48, 72),
        (0.85, 0.15, 0.0),
        (0.3, 0.5, 0.2),
        1.0,
        ("Shift supervisor", "Dispatch supervisor", "Emergency coordinator", "Facility manager"),
        (
            ("{town} Police Department", 3),
            ("{county} Sheriff's Office", 3),
            ("{county} Jail", 1),
            ("{town} Police Department Substation {n}", 1),
            ("{county} Sheriff's Office {town} Substation", 1),
            ("{county} Constable Precinct {n}", 1),
        ),
        (
            "Dispatch console on this meter",
            "Holding cells; generator covers the jail wing",
            "Radio repeater on the roof",
            "Evidence freezer on this service",
        ),
        0.6,
    ),
    "fire": _Spec(
        40,
        5,
        0.6,
        0.8,
        (24, 48, 72),
        (0.85, 0.15, 0.0),
        (0.3, 0.5, 0.2),
        1.0,
        ("Fire chief", "Station captain", "Emergency coordinator"),
        (
            ("{town} Volunteer Fire Department Station {n}", 4),
            ("{town} Fire Station {n}", 2),
            ("{county} ESD {n} Fire Station", 2),
            ("{town} EMS Station {n}", 1),
        ),
        (
            "Bay doors are electric; manual release available",
            "Station also houses an EMS unit",
            "Volunteer station; staffed on call",
            "Air compressor for SCBA on this service",
        ),
        0.5,
    ),
    "water": _Spec(
        36,
        4,
        0.5,
        0.85,
        (24, 48, 72),
        (0.85, 0.15, 0.0),
        (0.3, 0.5, 0.2),
        1.0,
        ("Plant operator", "Utility superintendent", "On-call operator"),
        (
            ("{town} Water Treatment Plant", 2),
            ("{town} Water Well No. {n}", 3),
            ("{town} Booster Pump Station {n}", 3),
            ("{town} Elevated Storage Tank {n}", 1),
            ("{prefix} Water Supply Corporation {town} Plant (synthetic)", 1),
        ),
        (
            "Serves about {k:,} connections",
            "Elevated storage lasts about one day at average demand",
            "High-service pumps; no gravity storage",
            "Chlorination on this service",
        ),
        0.7,
    ),
    "wastewater": _Spec(
        18,
        3,
        0.8,
        0.75,
        (24, 48),
        (0.8, 0.2, 0.0),
        (0.4, 0.5, 0.1),
        0.7,
        ("Plant operator", "Utility superintendent", "On-call operator"),
        (
            ("{town} Wastewater Treatment Plant", 2),
            ("{town} Lift Station {n}", 4),
            ("{town} Reclaimed Water Pump Station {n}", 1),
        ),
        (
            "Lift station overflows after about 4 h without power",
            "Aeration blowers on this service",
            "Serves about {k:,} connections",
        ),
        0.6,
    ),
    "communications": _Spec(
        20,
        3,
        0.4,
        0.9,
        (24, 48, 72),
        (0.15, 0.8, 0.05),
        (0.5, 0.4, 0.1),
        0.6,
        ("Network operations center", "Site technician", "Facility manager"),
        (
            ("{town} Telephone Central Office (synthetic)", 2),
            ("{town} Cell Tower Site {n} (synthetic)", 4),
            ("{county} 911 Communications Center", 1),
            ("{town} Broadcast Tower (synthetic)", 1),
            ("{town} Fiber Hub {n} (synthetic)", 1),
        ),
        (
            "Tower hosts three carriers",
            "Batteries last about 8 h",
            "County public-safety radio repeater",
            "Fiber hub for the school district",
        ),
        0.6,
    ),
    "government": _Spec(
        22,
        3,
        0.9,
        0.5,
        (24, 48),
        (0.15, 0.75, 0.1),
        (0.4, 0.4, 0.2),
        0.3,
        ("Facility manager", "Emergency management coordinator", "City manager"),
        (
            ("{town} City Hall", 3),
            ("{county} Courthouse", 2),
            ("{county} Emergency Operations Center", 2),
            ("{town} Public Works Yard", 1),
            ("{county} Road and Bridge Precinct {n} Barn", 1),
            ("{county} Annex {town}", 1),
            ("{town} Public Library", 1),
        ),
        (
            "Designated emergency operations center",
            "Cooling and warming center in extreme weather",
            "Public works fuel station",
        ),
        0.5,
    ),
    "military": _Spec(
        5,
        2,
        0.3,
        0.9,
        (48, 72, 96),
        (0.15, 0.75, 0.1),
        (0.3, 0.5, 0.2),
        0.6,
        ("Facility manager", "Operations NCO", "Installation security"),
        (
            ("{town} National Guard Readiness Center (synthetic)", 2),
            ("{town} Army Reserve Center (synthetic)", 2),
            ("{town} Training Site {n} (synthetic)", 1),
            ("{town} Radar Annex (synthetic)", 1),
        ),
        ("Access through the main gate; escort required", "Coordinate planned outages with the facility manager"),
        0.6,
    ),
    "school": _Spec(
        40,
        4,
        0.85,
        0.3,
        (24, 48),
        (0.02, 0.23, 0.75),
        (0.4, 0.4, 0.2),
        0.15,
        ("Principal", "Facility manager", "District operations director"),
        (
            ("{town} ISD High School", 2),
            ("{town} ISD Middle School", 2),
            ("{town} ISD Elementary School", 2),
            ("{town} ISD {prefix} Elementary School", 3),
            ("{town} ISD Transportation Center", 1),
            ("{town} Community College Campus (synthetic)", 1),
            ("{town} ISD Campus {n}", 0.5),
        ),
        ("Designated Red Cross shelter", "Cooling center in summer", "Kitchen freezers on this meter"),
        0.5,
    ),
    "retail": _Spec(
        18,
        3,
        0.95,
        0.35,
        (24, 48),
        (0.0, 0.2, 0.8),
        (0.5, 0.4, 0.1),
        0.2,
        ("Store manager", "Facility manager", "Loss prevention"),
        (
            ("H-E-B {town} (synthetic)", 2),
            ("{town} Shopping Center (synthetic)", 2),
            ("{town} Market Square (synthetic)", 1),
            ("{town} Travel Center (synthetic)", 1),
            ("{town} Plaza {n} (synthetic)", 1),
        ),
        ("Pharmacy and grocery; restore early after storms", "Fuel station on site", "Designated cooling center"),
        0.5,
    ),
    "employer": _Spec(
        20,
        3,
        0.6,
        0.4,
        (24, 48),
        (0.0, 0.25, 0.75),
        (0.4, 0.4, 0.2),
        0.3,
        ("Plant manager", "Facility manager", "Safety manager"),
        (
            ("{town} Distribution Center (synthetic)", 2),
            ("{town} Manufacturing Plant (synthetic)", 2),
            ("{town} Granite Quarry (synthetic)", 1),
            ("{town} Data Center (synthetic)", 1),
            ("{town} Resort and Conference Center (synthetic)", 1),
            ("{town} Winery and Bottling (synthetic)", 1),
            ("{town} Business Park Building {n} (synthetic)", 1),
        ),
        (
            "About {e:,} employees",
            "Process loads need 2 h notice before planned outages",
            "Three shifts, around the clock",
        ),
        0.6,
    ),
    "interruptible": _Spec(
        15,
        3,
        0.0,
        0.2,
        (24, 48),
        (0.0, 0.15, 0.85),
        (0.5, 0.4, 0.1),
        0.3,
        ("Energy manager", "Plant manager", "Operations contact"),
        (
            ("{town} Irrigation Pump {n} (synthetic)", 3),
            ("{town} Crushed Stone Plant (synthetic)", 1),
            ("{town} Concrete Batch Plant (synthetic)", 1),
            ("{town} Cold Storage (synthetic)", 1),
            ("{town} Feed Mill (synthetic)", 1),
            ("{town} Pipeline Pump Station {n} (synthetic)", 1),
        ),
        (
            "Interruptible rate: curtail on 30 minutes notice",
            "Curtailment must be confirmed by phone",
            "Irrigation pumps; curtail at summer peaks",
            "Crusher and conveyors; curtailable",
        ),
        0.8,
    ),
    "critical_care": _Spec(
        60,
        5,
        0.5,
        0.15,
        (8, 12, 24),
        (0.85, 0.15, 0.0),
        (0.4, 0.45, 0.15),
        0.5,
        ("Member", "Caregiver", "Home health nurse"),
        (
            ("{surname} Residence, {town} (synthetic)", 7),
            ("{town} Assisted Living (synthetic)", 1),
            ("{town} Nursing and Rehabilitation Center (synthetic)", 1),
            ("{town} Group Home {n} (synthetic)", 1),
        ),
        (
            "Home oxygen concentrator",
            "Home dialysis",
            "Ventilator-dependent resident",
            "Powered wheelchair and lift",
            "Infant apnea monitor",
        ),
        0.9,
    ),
}
ONE_PER_TOWN = {"hospital"}  # categories spread over distinct towns first
CARE_HOME_ROLES = ("Administrator", "Director of nursing", "Maintenance supervisor")
CARE_HOME_NOTES = ("Residents on oxygen", "Memory-care unit; doors lock on power loss", "Some residents bedbound")


# --- reading the facility sample ---------------------------------------------------------------


@dataclass
class _Points:
    meter: np.ndarray  # str
    account: np.ndarray  # str
    feeder: np.ndarray  # str
    interruptible: np.ndarray  # bool
    lon: np.ndarray
    lat: np.ndarray
    community: np.ndarray  # index into towns of the community circle the point lies in, -1 outside


def _read(facilities_gpkg: Path):
    import pyogrio
    import shapely

    sp = pyogrio.read_dataframe(
        facilities_gpkg,
        layer="service_points",
        columns=["meter_number", "account_number", "feeder_id", "interruptible"],
    )
    areas = pyogrio.read_dataframe(facilities_gpkg, layer="service_areas", columns=["area_id", "name", "kind"])
    areas = areas.sort_values("area_id", kind="stable")
    geoms = sp.geometry.to_numpy()
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
    coms = areas[areas["kind"] == "community"]
    ctys = areas[areas["kind"] == "county"]
    if not len(coms):
        raise ValueError(f"{facilities_gpkg}: the service_areas layer has no community")
    community = np.full(len(sp), -1, dtype=np.int64)
    for i, g in enumerate(coms.geometry.to_numpy()):
        shapely.prepare(g)
        community[shapely.contains_xy(g, lon, lat) & (community < 0)] = i
    pts = _Points(
        meter=np.array([str(v) for v in sp["meter_number"]], dtype=object),
        account=np.array([str(v) for v in sp["account_number"]], dtype=object),
        feeder=np.array([str(v) for v in sp["feeder_id"]], dtype=object),
        interruptible=sp["interruptible"].to_numpy(dtype=bool),
        lon=lon.astype(float),
        lat=lat.astype(float),
        community=community,
    )
    return pts, (list(coms["name"]), coms.geometry.to_numpy()), (list(ctys["name"]), ctys.geometry.to_numpy())


def _nearest(names: list[str], polys: np.ndarray, lon: float, lat: float) -> str:
    """Name of the polygon nearest to a point (0 when inside), distances in a local km frame."""
    import shapely

    if not names:
        return ""
    k = math.cos(math.radians(lat))
    scaled = shapely.transform(polys, lambda xy: xy * np.array([k, 1.0]))
    d = shapely.distance(scaled, shapely.Point(lon * k, lat))
    return names[int(np.argmin(d))]


# --- names, contacts, dates ---------------------------------------------------------------------


def _name(rng: np.random.Generator, spec: _Spec, town: str, county: str, used: set[str]) -> str:
    weights = np.array([w for _, w in spec.templates], dtype=float)
    order = rng.choice(len(weights), size=len(weights), replace=False, p=weights / weights.sum())
    for i in order:
        template = spec.templates[int(i)][0]
        if "{town}" in template and "{county}" in template and county == f"{town} County":
            continue  # no "Llano County Sheriff's Office Llano Substation"
        for _attempt in range(3):
            text = template.format(
                town=town,
                county=county,
                n="{n}",
                surname=LAST_NAMES[rng.integers(len(LAST_NAMES))],
                prefix=PREFIXES[rng.integers(len(PREFIXES))],
            )
            if " Substation {n}" in text and text.split(" Substation {n}")[0] not in used:
                return text.split(" Substation {n}")[0]  # the main office before any substation
            if "{n}" in text:
                n = 1
                while text.replace("{n}", str(n)) in used:
                    n += 1
                return text.replace("{n}", str(n))
            if text in used:
                if "{surname}" in template or "{prefix}" in template:
                    continue
                break
            return text
    base = spec.templates[0][0].format(town=town, county=county, n=1, surname="Hill", prefix="Oak")
    n = 2
    while f"{base} #{n}" in used:
        n += 1
    return f"{base} #{n}"


def _phone(rng: np.random.Generator, town: str) -> str:
    area = AREA_CODE.get(town, "830") if rng.random() < 0.85 else AREA_CODES[rng.integers(len(AREA_CODES))]
    return f"{area}-555-01{rng.integers(100):02d}"


def _email(first: str, last: str) -> str:
    clean = lambda s: re.sub(r"[^a-z]", "", s.lower().replace("ñ", "n"))  # noqa: E731
    return f"{clean(first)}.{clean(last)}@example.org"


def _contacts(rng: np.random.Generator, spec: _Spec, ref: str, town: str, care_home: bool) -> list[list]:
    n = 1 + int(rng.choice(3, p=spec.n_contacts))
    roles = CARE_HOME_ROLES if care_home else spec.roles
    picked = [roles[0]] + [roles[int(i)] for i in rng.permutation(np.arange(1, len(roles)))]
    rows = []
    for k in range(n):
        first = FIRST_NAMES[rng.integers(len(FIRST_NAMES))]
        last = LAST_NAMES[rng.integers(len(LAST_NAMES))]
        role = picked[k] if k < len(picked) else roles[-1]
        alt = _phone(rng, town) if rng.random() < 0.4 else None
        email = _email(first, last) if rng.random() < 0.75 else None
        clock = rng.random() < (spec.around_the_clock if k == 0 else spec.around_the_clock * 0.5)
        rows.append([ref, f"{first} {last}", role, _phone(rng, town), alt, email, "yes" if clock else "no"])
    return rows


def _minus_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def _verified(rng: np.random.Generator, n: int, today: date) -> list[str]:
    """ISO 8601 local times (America/Chicago, DST-correct): ~80 % current, 8 % due soon, 12 % overdue."""
    n_due, n_over = round(n * SHARE_DUE_SOON), round(n * SHARE_OVERDUE)
    status = np.array(["due"] * n_due + ["over"] * n_over + ["current"] * (n - n_due - n_over))
    status = status[rng.permutation(n)]
    out = []
    for s in status:
        if s == "current":
            day = today - timedelta(days=int(rng.integers(CURRENT_DAYS[0], CURRENT_DAYS[1] + 1)))
        elif s == "due":
            day = _minus_year(today + timedelta(days=int(rng.integers(DUE_SOON_DAYS[0], DUE_SOON_DAYS[1] + 1))))
        else:
            day = today - timedelta(days=int(rng.integers(OVERDUE_DAYS[0], OVERDUE_DAYS[1] + 1)))
        # keepers work on weekdays: Saturday -> Friday, Sunday -> Monday (stays inside every band's margin)
        day += timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0))
        minute = int(rng.integers(8 * 12, 17 * 12)) * 5
        out.append(datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=TZ).isoformat())
    return out


# --- the workbook -------------------------------------------------------------------------------


def _counts(n_points: int, n_interruptible: int) -> dict[str, int]:
    f = n_points / FULL_SCALE_SERVICE_POINTS
    counts = {c: max(s.floor, int(round(s.full * f))) for c, s in SPECS.items()}
    if n_interruptible < counts["interruptible"]:
        warnings.warn(
            f"only {n_interruptible} interruptible service point(s): the registry gets "
            f"{n_interruptible} 'interruptible' entries instead of {counts['interruptible']}",
            stacklevel=3,
        )
        counts["interruptible"] = n_interruptible
    return counts


def _pick(rng: np.random.Generator, pts: _Points, taken: np.ndarray, category: str, k: int) -> np.ndarray:
    """k distinct unused service points for a category (interruptible ones only for 'interruptible')."""
    if category == "interruptible":
        pool = np.flatnonzero(pts.interruptible & ~taken)
        return rng.choice(pool, size=min(k, len(pool)), replace=False) if len(pool) else pool
    free = ~taken & ~pts.interruptible
    k_town = int(rng.binomial(k, SPECS[category].in_town))
    town_pool = np.flatnonzero(free & (pts.community >= 0))
    k_town = min(k_town, len(town_pool))
    if category in ONE_PER_TOWN and k_town:
        # bigger towns (more service points) are likelier, but no town gets two while another has none
        towns, sizes = np.unique(pts.community[town_pool], return_counts=True)
        n_first = min(k_town, len(towns))
        picked = list(rng.choice(towns, size=n_first, replace=False, p=sizes / sizes.sum()))
        picked += list(rng.choice(towns, size=k_town - n_first, replace=True, p=sizes / sizes.sum()))
        drawn: list[int] = []
        for t in picked:
            pool = town_pool[(pts.community[town_pool] == t) & ~np.isin(town_pool, drawn)]
            if not len(pool):  # a tiny town drawn twice: any other in-town point
                pool = town_pool[~np.isin(town_pool, drawn)]
            drawn.append(int(pool[rng.integers(len(pool))]))
        chosen: np.ndarray = np.array(drawn, dtype=np.int64)
    else:
        chosen = rng.choice(town_pool, size=k_town, replace=False) if k_town else np.array([], dtype=np.int64)
    free[chosen] = False
    rest_pool = np.flatnonzero(free & (pts.community < 0))
    if len(rest_pool) < k - k_town:
        rest_pool = np.flatnonzero(free)
    rest = rng.choice(rest_pool, size=min(k - k_town, len(rest_pool)), replace=False)
    return np.concatenate([chosen, rest]).astype(np.int64)


def _note(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[rng.integers(len(options))].format(k=int(rng.integers(3, 60)) * 50, e=int(rng.integers(4, 40)) * 25)


def generate_registry(
    facilities_gpkg: Path, out_xlsx: Path, *, seed: int = 2026, today: date = date(2026, 11, 26)
) -> int:
    """Write a SYNTHETIC registry workbook for the facility sample; returns the number of entries.

    Every entry uses one distinct service point of ``facilities_gpkg`` (account, meter, feeder and
    coordinates).  The cell values depend only on the facilities, ``seed`` and ``today``.
    """
    from registry.models import DEFAULT_CATEGORIES
    from registry.spreadsheet import registry_workbook

    facilities_gpkg, out_xlsx = Path(facilities_gpkg), Path(out_xlsx)
    if not facilities_gpkg.exists():
        raise FileNotFoundError(f"{facilities_gpkg} does not exist; build it with python -m sample_data.generate")
    rng = np.random.default_rng(seed)
    pts, (com_names, com_polys), (cty_names, cty_polys) = _read(facilities_gpkg)
    import shapely

    taken = np.zeros(len(pts.meter), dtype=bool)
    picks: list[tuple[str, int]] = []
    for category, k in _counts(len(pts.meter), int(pts.interruptible.sum())).items():
        idx = _pick(rng, pts, taken, category, k)
        taken[idx] = True
        picks.extend((category, int(i)) for i in idx)
    picks = [picks[int(i)] for i in rng.permutation(len(picks))]

    used_names: set[str] = set()
    entries, contacts = [], []
    verified = _verified(rng, len(picks), today)
    for n, ((category, i), when) in enumerate(zip(picks, verified, strict=True), start=1):
        spec = SPECS[category]
        ref = f"REG-{n:05d}"
        lon, lat = float(pts.lon[i]), float(pts.lat[i])
        # Excel keeps 15 significant digits (openpyxl writes 16): 9 decimals (< 0.1 mm) survive the round trip
        x_lon, x_lat = round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)
        c = int(pts.community[i])
        town = com_names[c] if c >= 0 else _nearest(com_names, com_polys, lon, lat)
        inside = [j for j, g in enumerate(cty_polys) if shapely.contains_xy(g, lon, lat)]
        county = cty_names[inside[0]] if inside else (_nearest(cty_names, cty_polys, lon, lat) or f"{town} Area")
        name = _name(rng, spec, town, county, used_names)
        used_names.add(name)
        care_home = category == "critical_care" and "Residence" not in name
        backup = rng.random() < spec.backup
        fuel = int(spec.fuel[rng.integers(len(spec.fuel))]) if backup else None
        tier = 1 + int(rng.choice(3, p=spec.tiers))
        note = None
        if rng.random() < spec.p_notes:
            note = _note(rng, CARE_HOME_NOTES if care_home else spec.notes)
        by = VERIFIERS[int(rng.choice(len(VERIFIERS), p=VERIFIER_P))]
        entries.append(
            [
                ref,
                name,
                category,
                pts.account[i],
                pts.meter[i],
                pts.feeder[i],
                x_lon,
                x_lat,
                "yes" if backup else "no",
                fuel,
                tier,
                note,
                when,
                by,
            ]
        )
        contacts.extend(_contacts(rng, spec, ref, town, care_home))

    categories = [(code, label, group) for code, (label, group) in sorted(DEFAULT_CATEGORIES.items())]
    book = registry_workbook(entries=entries, contacts=contacts, categories=categories)
    book.properties.creator = "sample_data.registry (synthetic)"
    book.properties.created = datetime(today.year, today.month, today.day)
    out_xlsx.parent.mkdir(parents=True, exist_ok=True)
    book.save(out_xlsx)
    return len(entries)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sample_data.registry", description=__doc__.split("\n")[0])
    p.add_argument("--facilities", required=True, type=Path, help="facilities.gpkg from sample_data.generate")
    p.add_argument("--out", required=True, type=Path, help="output .xlsx")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument(
        "--today",
        type=date.fromisoformat,
        default=date(2026, 11, 26),
        help="reference date for the review status (default 2026-11-26)",
    )
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    n = generate_registry(a.facilities, a.out, seed=a.seed, today=a.today)
    print(f"{n} entries written to {a.out} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
