"""The facility layer: files in, look-ups, members served, files out."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from gis.errors import Conflict, InvalidInput, NotFound
from gis.files import read_facilities, write_facilities
from gis.models import Device, Feeder
from gis.service import (
    areas_containing,
    export_facilities,
    feeder_serving,
    import_facilities,
    members_served,
    service_points_downstream,
    service_points_on_feeder,
    system_members,
)
from tests.factories import JC, MEMBERS, TOTAL, VIA_F1, VIA_R1, facility_layers


def test_members_served_are_derived_from_service_points(session):
    assert members_served(session=session, by="feeder") == MEMBERS
    assert members_served(session=session, by="substation") == {"JC-S01": 10_500, "MF-S01": 1_500}
    assert members_served(session=session, by="device") == {"JC-014-R1": VIA_R1, "JC-014-F1": VIA_F1}
    assert members_served(session=session, by="transmission_line") == {"TL-001": TOTAL}
    areas = members_served(session=session, by="service_area")
    assert areas["SYSTEM"] == TOTAL and areas["CTY-BLANCO"] == TOTAL
    assert areas["DIV-JC"] == 10_500 and areas["DIV-MF"] == 1_500
    assert 0 < areas["COM-JOHNSON-CITY"] < 10_500
    assert system_members(session=session) == TOTAL
    with pytest.raises(InvalidInput):
        members_served(session=session, by="planet")


def test_feeder_serving_a_location_within_tolerance(session):
    east = (JC[0] + 0.05, JC[1] + 0.002)  # ~220 m north of JC-014's line
    feeder, distance = feeder_serving(session=session, lon=east[0], lat=east[1], tolerance_m=500)
    assert feeder.code == "JC-014" and 200 < distance < 240
    with pytest.raises(NotFound, match="No feeder within 100 m"):
        feeder_serving(session=session, lon=east[0], lat=east[1], tolerance_m=100)
    with pytest.raises(InvalidInput):
        feeder_serving(session=session, lon=-200, lat=30)


def test_service_areas_containing_a_point(session):
    codes = [a.code for a in areas_containing(session=session, lon=JC[0] - 0.01, lat=JC[1])]
    assert codes == ["COM-JOHNSON-CITY", "CTY-BLANCO", "DIV-JC", "SYSTEM"]
    assert areas_containing(session=session, lon=-90.0, lat=30.0) == []


def test_service_points_on_a_feeder_and_downstream_of_a_device(session):
    feeder = session.query(Feeder).filter_by(code="JC-015").one()
    assert len(service_points_on_feeder(session=session, feeder_id=feeder.id)) == 500
    recloser = session.query(Device).filter_by(code="JC-014-R1").one()
    fuse = session.query(Device).filter_by(code="JC-014-F1").one()
    assert len(service_points_downstream(session=session, device_id=recloser.id)) == VIA_R1
    assert len(service_points_downstream(session=session, device_id=fuse.id)) == VIA_F1


def test_export_round_trips_without_loss(session, tmp_path, facility_file):
    original = read_facilities(facility_file)
    path = write_facilities(export_facilities(session=session), tmp_path / "out.gpkg")
    again = read_facilities(path)
    for name, frame in original.items():
        back = again[name]
        assert len(back) == len(frame), name
        key = frame.columns[0]
        merged = frame.merge(back, on=key, suffixes=("", "_back"))
        assert len(merged) == len(frame)
        assert shapely.equals_exact(
            shapely.force_2d(merged.geometry.values), gpd.GeoSeries(merged["geometry_back"]).values, 1e-9
        ).all(), name
        for col in frame.columns:
            if col in ("geometry", key):
                continue
            left, right = merged[col].tolist(), merged[f"{col}_back"].tolist()
            norm = lambda v: None if v is None or v != v else v  # noqa: E731 (NaN -> None)
            assert [norm(v) for v in left] == [norm(v) for v in right], (name, col)


def test_import_refuses_a_second_load(session, facility_file):
    with pytest.raises(Conflict):
        import_facilities(session=session, layers=read_facilities(facility_file))


def _write(layers, path, **replace):
    layers = dict(layers) | replace
    return write_facilities(layers, path)


def test_import_reads_geojson_and_shapefile_in_any_crs(tmp_path):
    layers = facility_layers()
    paths = []
    for name, frame in layers.items():
        if name == "feeders":
            path = tmp_path / "feeders.shp"  # shapefile: column names cut to 10 characters
            frame.to_crs(32614).to_file(path)
        else:
            path = tmp_path / f"{name}.geojson"
            frame.to_crs(3857 if name == "substations" else 4326).to_file(path, driver="GeoJSON")
        paths.append(path)
    read = read_facilities(paths)
    assert read["feeders"].crs.to_epsg() == 4326
    assert list(read["feeders"].substation_id) == ["JC-S01", "JC-S01", "MF-S01"]
    assert read["substations"].geometry.iloc[0].distance(Point(JC)) < 1e-6


@pytest.mark.parametrize(
    ("layer", "breakage", "message", "row"),
    [
        ("feeders", "unknown_substation", "names unknown substation 'XX-S99'", 2),
        ("substations", "duplicate", "duplicate substation_id 'JC-S01'", 2),
        ("substations", "empty_geometry", "empty geometry", 1),
        ("service_areas", "invalid_geometry", "invalid geometry", 1),
        ("service_points", "unknown_feeder", "names unknown feeder 'NOPE'", 3),
        ("devices", "wrong_type", "is a Polygon", 1),
    ],
)
def test_bad_facility_files_name_the_file_layer_row_and_fix(tmp_path, layer, breakage, message, row):
    layers = facility_layers()
    frame = layers[layer].copy()
    if breakage == "unknown_substation":
        frame.loc[1, "substation_id"] = "XX-S99"
    elif breakage == "duplicate":
        frame.loc[1, "substation_id"] = "JC-S01"
    elif breakage == "empty_geometry":
        frame.loc[0, "geometry"] = Point()
    elif breakage == "invalid_geometry":  # a bow-tie
        frame.loc[0, "geometry"] = Polygon([(-98.6, 30.1), (-98.1, 30.8), (-98.1, 30.1), (-98.6, 30.8)])
    elif breakage == "unknown_feeder":
        frame.loc[2, "feeder_id"] = "NOPE"
    elif breakage == "wrong_type":
        frame.loc[0, "geometry"] = Point(JC).buffer(0.01)
    layers[layer] = frame
    path = tmp_path / "broken.gpkg"
    for name, f in layers.items():
        f.to_file(path, layer=name, driver="GPKG")
    with pytest.raises(InvalidInput) as err:
        read_facilities(path)
    text = str(err.value)
    assert f"broken.gpkg, layer {layer}, row {row}" in text and message in text and "Fix:" in text, text


def test_file_without_crs_is_refused(tmp_path):
    layers = facility_layers()
    # GeoJSON is WGS84 by definition; a shapefile that lost its .prj has no CRS
    shp = tmp_path / "substations.shp"
    layers["substations"].to_file(shp)
    shp.with_suffix(".prj").unlink()
    others = []
    for name in ("feeders", "service_areas", "service_points"):
        p = tmp_path / f"{name}.geojson"
        layers[name].to_file(p, driver="GeoJSON")
        others.append(p)
    with pytest.raises(InvalidInput, match=r"substations.shp, layer substations: the layer has no coordinate"):
        read_facilities([shp, *others])


def test_missing_layer_is_named(tmp_path):
    layers = facility_layers()
    path = tmp_path / "partial.gpkg"
    layers["substations"].to_file(path, layer="substations", driver="GPKG")
    with pytest.raises(InvalidInput, match="layer 'feeders' is missing"):
        read_facilities(path)


def test_bad_facility_import_leaves_the_database_unchanged(session, tmp_path):
    from sqlalchemy import func, select

    from gis.models import ServicePoint

    before = session.scalar(select(func.count()).select_from(ServicePoint))
    layers = facility_layers()
    layers["service_points"].loc[5, "feeder_id"] = "NOPE"
    path = write_facilities(layers, tmp_path / "bad.gpkg")
    with pytest.raises(InvalidInput):
        import_facilities(session=session, layers=read_facilities(path))
    assert session.scalar(select(func.count()).select_from(ServicePoint)) == before


def test_geojson_endpoints_for_staff(api):
    feeders = api("GET", "/api/feeders", as_="executive").json()
    assert feeders["type"] == "FeatureCollection"
    props = {f["properties"]["feeder_id"]: f["properties"] for f in feeders["features"]}
    assert props["JC-014"]["members_served"] == 10_000 and props["JC-014"]["substation_id"] == "JC-S01"
    assert feeders["features"][0]["geometry"]["type"] == "MultiLineString"
    subs = api("GET", "/api/substations").json()
    assert {f["properties"]["substation_id"]: f["properties"]["members_served"] for f in subs["features"]} == {
        "JC-S01": 10_500,
        "MF-S01": 1_500,
    }
    divisions = api("GET", "/api/service-areas", params={"kind": "division"}).json()
    assert len(divisions["features"]) == 2
    near = api("GET", "/api/feeders/nearest", params={"lon": JC[0] + 0.05, "lat": JC[1] + 0.002}).json()
    assert near["feeder_id"] == "JC-014"
    assert api("GET", "/api/feeders/nearest", params={"lon": JC[0], "lat": 35}).status_code == 404
    assert api("GET", "/api/feeders", as_=None).status_code == 401


def test_transmission_lines_and_cause_codes_for_staff(api):
    lines = api("GET", "/api/transmission-lines", as_="registry").json()
    assert lines["features"][0]["properties"] == {
        "line_id": "TL-001",
        "name": "Johnson City - Marble Falls 138 kV",
        "voltage_kv": 138.0,
        "members_served": 12_000,
    }
    codes = [c["code"] for c in api("GET", "/api/causes").json()]
    assert "vegetation" in codes and len(codes) == 13
    assert api("GET", "/api/causes", as_=None).status_code == 401
