"""The base map (landbase: roads, places, water) imported with the facility layer, drawn for a phone, and
what the public map's search finds (areas and ZIP codes)."""

from __future__ import annotations

import json
import time

import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gis.errors import InvalidInput
from gis.files import read_facilities, write_facilities
from gis.landbase import landbase_geojson
from gis.models import (
    Device,
    Feeder,
    LandbaseFeature,
    ServiceArea,
    ServicePoint,
    Substation,
    TransmissionLine,
    transmission_line_substations,
)
from gis.service import import_facilities, replace_landbase
from outages.public_map import public_areas
from outages.public_places import search_entries
from tests.factories import JC_TOWN, facility_layers

SAMPLE_SCALE = 0.035  # the smallest scale whose substations reach Kerrville (the fourth town)


def _landbase(session) -> list[tuple]:
    return sorted(session.execute(select(LandbaseFeature.kind, LandbaseFeature.name, LandbaseFeature.rank)).all())


def _empty_facility_layer(session) -> None:
    """Remove the tiny cooperative inside the test's transaction (rolled back after it), so it can be imported
    again; the landbase stays, as it would in a database before a new import."""
    for table in (transmission_line_substations,):
        session.execute(delete(table))
    for model in (ServicePoint, Device, Feeder, TransmissionLine, Substation, ServiceArea):
        session.execute(delete(model))
    session.flush()


def test_the_import_loads_the_landbase_layers(session):
    assert _landbase(session) == [
        ("place", "Johnson City", 2),
        ("road", "US 290", 1),
        ("water", "Pedernales River", None),
    ]
    place = session.scalar(select(func.ST_AsText(LandbaseFeature.geom)).where(LandbaseFeature.kind == "place"))
    assert shapely.from_wkt(place).distance(Point(JC_TOWN)) < 1e-9


def test_each_import_replaces_the_landbase_by_what_the_file_holds(session, tmp_path):
    layers = facility_layers()
    without = {k: v for k, v in layers.items() if k not in ("roads", "places", "water")}
    _empty_facility_layer(session)
    counts = import_facilities(session=session, layers=read_facilities(write_facilities(without, tmp_path / "a.gpkg")))
    assert "roads" not in counts and _landbase(session) == []  # the old landbase went with the new import

    layers["places"] = layers["places"].iloc[[0, 0]].reset_index(drop=True)
    layers["places"].loc[1, "name"] = "Hye"
    layers["places"].loc[1, "rank"] = 3
    _empty_facility_layer(session)
    counts = import_facilities(session=session, layers=read_facilities(write_facilities(layers, tmp_path / "b.gpkg")))
    assert (counts["places"], counts["roads"], counts["water"]) == (2, 1, 1)
    assert [row[1] for row in _landbase(session)] == ["Hye", "Johnson City", "US 290", "Pedernales River"]

    assert replace_landbase(session=session, layers={"roads": read_facilities(tmp_path / "b.gpkg")["roads"]}) == {
        "roads": 1
    }
    assert _landbase(session) == [("road", "US 290", 1)]


def test_landbase_layers_in_another_crs_are_reprojected(tmp_path):
    layers = facility_layers()
    layers["places"] = layers["places"].to_crs(3857)
    layers["roads"] = layers["roads"].to_crs(32614)
    read = read_facilities(write_facilities(layers, tmp_path / "utm.gpkg"))
    assert read["places"].crs.to_epsg() == 4326 and read["roads"].crs.to_epsg() == 4326
    assert read["places"].geometry.iloc[0].distance(Point(JC_TOWN)) < 1e-6
    assert read["roads"].geometry.iloc[0].coords[1] == pytest.approx(JC_TOWN, abs=1e-6)


BREAKAGES = [
    (
        "roads",
        "geometry",
        Point(JC_TOWN),
        "row 1: feature 'US 290' is a Point",
        "this layer takes LineString or MultiLineString",
    ),
    (
        "places",
        "geometry",
        LineString([JC_TOWN, (-98.3, 30.3)]),
        "row 1: feature 'Johnson City' is a LineString",
        "this layer takes Point geometries",
    ),
    (
        "water",
        "geometry",
        Point(JC_TOWN),
        "row 1: feature 'Pedernales River' is a Point",
        "this layer takes Polygon or MultiPolygon",
    ),
    ("places", "name", None, "row 1: name is empty", "fill in the name"),
    ("places", "rank", 7, "row 1: rank '7' is not 1, 2 or 3", "use 1 (town), 2 or 3 (locality)"),
    ("roads", "rank", "big", "row 1: rank 'big' is not 1, 2 or 3", "use 1 (highway)"),
    (
        "water",
        "geometry",
        Polygon([(-98.5, 30.3), (-98.3, 30.4), (-98.3, 30.3), (-98.5, 30.4)]),
        "row 1: feature 'Pedernales River' has an invalid geometry (Self-intersection",
        "repair it",
    ),
]


@pytest.mark.parametrize(("layer", "column", "value", "message", "fix"), BREAKAGES)
def test_a_bad_landbase_layer_names_layer_row_field_and_fix(tmp_path, layer, column, value, message, fix):
    layers = facility_layers()
    frame = layers[layer].copy()
    if column == "geometry":
        frame = frame.set_geometry([value])
    else:
        frame[column] = frame[column].astype(object)
        frame.loc[0, column] = value
    layers[layer] = frame
    with pytest.raises(InvalidInput) as err:
        read_facilities(write_facilities(layers, tmp_path / "broken.gpkg"))
    text = str(err.value)
    assert f"broken.gpkg, layer {layer}, {message}" in text and f"Fix: {fix}" in text, text
    assert "Nothing was imported" in text


def test_a_place_layer_without_names_is_refused(tmp_path):
    layers = facility_layers()
    layers["places"] = layers["places"].drop(columns="name")
    with pytest.raises(InvalidInput, match=r"layer places: missing column\(s\) name\. Fix: add the column"):
        read_facilities(write_facilities(layers, tmp_path / "nameless.gpkg"))


def test_the_command_line_refuses_a_bad_landbase_and_writes_nothing(tmp_path, monkeypatch):
    from dashboards.cli import app
    from dashboards.migrate import upgrade
    from dashboards.settings import get_settings
    from gis.db import make_engine

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = make_engine(url)
    upgrade(engine)
    layers = facility_layers()
    layers["places"].loc[0, "name"] = "  "
    path = write_facilities(layers, tmp_path / "blank-name.gpkg")
    monkeypatch.setenv("OUTAGES_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(app, ["facilities", "import", str(path)], prog_name="outages")
    finally:
        get_settings.cache_clear()
    output = done.output + (done.stderr if done.stderr_bytes is not None else "")
    assert done.exit_code == 1, output
    assert "blank-name.gpkg, layer places, row 1: name is empty. Fix: fill in the name" in " ".join(output.split())
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Substation)) == 0
        assert session.scalar(select(func.count()).select_from(LandbaseFeature)) == 0
    engine.dispose()


def _coordinates(geometry: dict) -> list[tuple[float, float]]:
    return [tuple(c) for c in shapely.get_coordinates(shapely.geometry.shape(geometry)).tolist()]


def test_landbase_geojson_is_the_base_map_and_nothing_else(session):
    collection = landbase_geojson(session=session)
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [(f["properties"]["kind"], f["properties"]["name"]) for f in features] == [
        ("water", "Pedernales River"),
        ("road", "US 290"),
        ("place", "Johnson City"),
    ]
    assert all(set(f["properties"]) == {"kind", "name", "rank"} for f in features)
    assert [f["properties"]["rank"] for f in features] == [None, 1, 2]
    assert features[2]["geometry"] == {"type": "Point", "coordinates": [-98.4119, 30.2769]}
    assert features[1]["geometry"]["type"] == "LineString" and features[0]["geometry"]["type"] == "Polygon"
    for feature in features:
        for x, y in _coordinates(feature["geometry"]):
            assert round(x, 5) == x and round(y, 5) == y
    # no facility, service point or registry data: none of their coordinates, identifiers or names
    text = json.dumps(collection)
    for word in ("JC-S01", "JC-014", "M000", "1000000", "Substation", "feeder", "meter", "account"):
        assert word not in text
    drawn = {c for f in features for c in _coordinates(f["geometry"])}
    facility = {
        (round(x, 5), round(y, 5))
        for model in (ServicePoint, Substation, Device)
        for wkt in session.scalars(select(func.ST_AsText(model.geom)))
        for x, y in shapely.get_coordinates(shapely.from_wkt(wkt)).tolist()
    }
    assert not drawn & facility


def test_landbase_geojson_simplifies_lines_for_a_phone(session):
    wiggly = LineString([(-98.6 + k * 0.001, 30.2 + (0.00001 if k % 2 else 0)) for k in range(401)])
    frames = facility_layers()
    roads = frames["roads"].set_geometry([wiggly])
    replace_landbase(session=session, layers={"roads": roads})
    [road] = landbase_geojson(session=session)["features"]
    assert len(road["geometry"]["coordinates"]) == 2  # a straight road with 10-cm wiggles: its two ends
    assert landbase_geojson(session=session, tolerance=0)["features"][0]["geometry"]["coordinates"][1] == [
        -98.599,
        30.20001,
    ]


def test_search_finds_the_test_cooperatives_areas_and_zip_codes(session):
    entries = search_entries(session=session, areas=public_areas(session=session))
    assert search_entries(session=session) == entries  # the areas read from the session by default
    by_label = {e["label"]: e for e in entries}
    assert by_label["Johnson City"] == {
        "label": "Johnson City",
        "kind": "community",
        "area": "COM-JOHNSON-CITY",
        "bounds": [[30.25, -98.45], [30.3, -98.38]],
    }
    assert by_label["Blanco County"]["kind"] == "county"
    zips = {e["zip"]: e for e in entries if e["kind"] == "zip"}
    # 78636's centroid (-98.3691, 30.2948) is just east of the test community's box: it leads to the county
    assert zips["78636"]["label"] == "78636 Johnson City" and zips["78636"]["area"] == "CTY-BLANCO"
    assert zips["78636"]["bounds"] == by_label["Blanco County"]["bounds"]
    assert zips["78654"]["label"] == "78654 Marble Falls" and "78606" not in zips  # Blanco's is south of the box
    assert all(z["area"] in ("COM-JOHNSON-CITY", "CTY-BLANCO") for z in zips.values())
    # areas by kind then name, then ZIP codes by code; only public words, no facility or member data
    kinds = [e["kind"] for e in entries]
    assert kinds == sorted(kinds, key=lambda k: k == "zip") and list(zips) == sorted(zips)
    assert all(set(e) <= {"label", "kind", "area", "bounds", "zip"} for e in entries)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A small generated sample reaching Kerrville, in its own SpatiaLite database."""
    from dashboards.migrate import seed_reference_data, upgrade
    from gis.db import make_engine
    from sample_data.generate import generate

    folder = tmp_path_factory.mktemp("landbase-sample")
    generate(folder, seed=2026, scale=SAMPLE_SCALE)
    engine = make_engine(f"sqlite:///{folder / 'sample.db'}")
    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_reference_data(session)
        counts = import_facilities(session=session, layers=read_facilities(folder / "facilities.gpkg"))
    assert counts["places"] == 31 and counts["roads"] > 40 and counts["water"] >= 6
    yield engine
    engine.dispose()


def test_search_on_the_sample_finds_kerrville_and_its_zip_code(sample):
    with Session(sample) as session:
        areas = public_areas(session=session)
        started = time.perf_counter()
        entries = search_entries(session=session, areas=areas)
        took = time.perf_counter() - started
    print(f"\nsearch entries: {len(entries)} ({len(areas)} areas) in {took * 1000:.0f} ms")
    by_label = {e["label"]: e for e in entries}
    kerrville = by_label["Kerrville"]
    assert kerrville["kind"] == "community" and kerrville["area"] == "COM-KERRVILLE"
    assert by_label["78028 Kerrville"] == {
        "label": "78028 Kerrville",
        "kind": "zip",
        "zip": "78028",
        "area": "COM-KERRVILLE",
        "bounds": kerrville["bounds"],
    }
    (south, west), (north, east) = kerrville["bounds"]
    assert south < 30.0416 < north and west < -99.1408 < east
    assert by_label["Kerr County"]["kind"] == "county"


def test_the_sample_landbase_is_light_enough_for_a_phone(sample):
    with Session(sample) as session:
        collection = landbase_geojson(session=session)
    size = len(json.dumps(collection, separators=(",", ":")).encode())
    kinds = {f["properties"]["kind"] for f in collection["features"]}
    names = {f["properties"]["name"] for f in collection["features"]}
    print(f"\nlandbase.geojson: {len(collection['features'])} features, {size / 1000:.1f} kB")
    assert kinds == {"road", "place", "water"} and {"Kerrville", "US 290", "Lake Travis", "Guadalupe River"} <= names
    assert size < 400_000
