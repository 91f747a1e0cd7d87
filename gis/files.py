"""Reading and writing facility files: GeoPackage, GeoJSON and Shapefile.

A GeoPackage carries every layer under its layer name; a GeoJSON or Shapefile
carries one layer named by the file's stem (``feeders.geojson``).  Everything is
checked before anything is written: the caller receives either complete, valid
layers in EPSG:4326 or an :class:`~gis.errors.InvalidInput` listing every problem
with its file, layer, row and fix.

Besides the facility layers, a file may carry the co-op's landbase (base map) as the optional layers
``roads``, ``places`` and ``water`` (:data:`LANDBASE`), checked the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from gis.errors import InvalidInput, problems_note

MAX_PROBLEMS = 50


@dataclass(frozen=True)
class LayerSpec:
    key: str  # identifier column
    columns: tuple[str, ...]  # required attribute columns (key included)
    optional: tuple[str, ...]
    geom_types: tuple[str, ...]
    required: bool = True


LAYERS: dict[str, LayerSpec] = {
    "substations": LayerSpec("substation_id", ("substation_id", "name"), (), ("Point",)),
    "transmission_lines": LayerSpec(
        "line_id", ("line_id", "name", "substation_ids"), ("voltage_kv",), ("LineString",), required=False
    ),
    "feeders": LayerSpec(
        "feeder_id", ("feeder_id", "substation_id", "name"), ("voltage_kv",), ("LineString", "MultiLineString")
    ),
    "devices": LayerSpec(
        "device_id", ("device_id", "feeder_id", "kind"), ("upstream_device_id",), ("Point",), required=False
    ),
    "service_areas": LayerSpec("area_id", ("area_id", "name", "kind"), (), ("Polygon", "MultiPolygon")),
    "service_points": LayerSpec(
        "meter_number",
        ("meter_number", "account_number", "feeder_id"),
        ("device_id", "interruptible"),
        ("Point",),
    ),
}
AREA_KINDS = ("system", "division", "community", "county")

# The landbase (base map): optional layers imported with the facility layer and drawn under the public map.
# Features carry no identifier (a road's segments share its name); ``rank`` is 1 (major) to 3 (minor).
LANDBASE: dict[str, LayerSpec] = {
    "roads": LayerSpec("name", (), ("name", "rank"), ("LineString", "MultiLineString"), required=False),
    "places": LayerSpec("name", ("name",), ("rank",), ("Point",), required=False),
    "water": LayerSpec(
        "name", (), ("name",), ("Polygon", "MultiPolygon", "LineString", "MultiLineString"), required=False
    ),
}
LANDBASE_KIND = {"roads": "road", "places": "place", "water": "water"}  # layer -> landbase_features.kind
RANKS = {"roads": "1 (highway), 2 (farm or ranch road) or 3 (local road)", "places": "1 (town), 2 or 3 (locality)"}


class _Problems:
    """Every problem is counted; the first :data:`MAX_PROBLEMS` are listed."""

    def __init__(self) -> None:
        self.items: list[dict] = []
        self.total = 0

    def add(self, source: str, layer: str, row: int | None, message: str, fix: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append({"file": source, "layer": layer, "row": row, "message": message, "fix": fix})

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        where = f"{first['file']}, layer {first['layer']}" + (f", row {first['row']}" if first["row"] else "")
        raise InvalidInput(
            f"{where}: {first['message']}. Fix: {first['fix']}." + problems_note(self.total, len(self.items)),
            problems=self.items,
        )


def read_facilities(paths: list[Path] | Path) -> dict[str, gpd.GeoDataFrame]:
    """Read and check facility layers from GeoPackage, GeoJSON or Shapefile files.

    Returns one GeoDataFrame per layer in EPSG:4326, with the columns of
    :data:`LAYERS` (and of :data:`LANDBASE` for the base map layers present);
    raises :class:`InvalidInput` naming file, layer, row and fix.
    """
    paths = [paths] if isinstance(paths, Path | str) else list(paths)
    problems = _Problems()
    found: dict[str, tuple[str, gpd.GeoDataFrame]] = {}
    for path in map(Path, paths):
        if not path.exists():
            raise InvalidInput(f"{path}: file not found. Fix: check the path.")
        if path.suffix.lower() == ".gpkg":
            names = [name for name, _ in pyogrio.list_layers(path)]
        else:
            names = [path.stem]
        for name in names:
            if name not in LAYERS and name not in LANDBASE:
                continue
            frame = gpd.read_file(path, layer=name) if path.suffix.lower() == ".gpkg" else gpd.read_file(path)
            found[name] = (path.name, frame)
    for name, spec in LAYERS.items():
        if spec.required and name not in found:
            problems.add(
                ", ".join(p.name for p in map(Path, paths)),
                name,
                None,
                f"layer '{name}' is missing",
                f"add a layer (GeoPackage) or a file named {name}.geojson / {name}.shp",
            )
    problems.raise_if_any()
    layers = {
        name: (_check_landbase if name in LANDBASE else _check_layer)(source, name, frame, problems)
        for name, (source, frame) in found.items()
    }
    problems.raise_if_any()
    _check_references(layers, {name: source for name, (source, _) in found.items()}, problems)
    problems.raise_if_any()
    return layers


def _columns(
    source: str, name: str, frame: gpd.GeoDataFrame, spec: LayerSpec, problems: _Problems
) -> gpd.GeoDataFrame | None:
    """The layer in EPSG:4326 with exactly the spec's columns (optional ones added empty), or None (a problem
    was added) when it has no CRS or lacks a required column."""
    # Shapefiles cut column names to 10 characters: accept the cut names.
    renames = {col[:10]: col for col in spec.columns + spec.optional if col[:10] != col and col[:10] in frame}
    frame = frame.rename(columns=renames)
    if frame.crs is None:
        problems.add(
            source,
            name,
            None,
            "the layer has no coordinate reference system",
            "define its CRS in your GIS (or add the .prj file) and export again",
        )
        return None
    missing = [col for col in spec.columns if col not in frame.columns]
    if missing:
        problems.add(
            source,
            name,
            None,
            f"missing column(s) {', '.join(missing)}",
            f"add the column(s); the layer needs {', '.join(spec.columns)}",
        )
        return None
    frame = frame.to_crs(4326) if frame.crs.to_epsg() != 4326 else frame
    for col in spec.optional:
        if col not in frame.columns:
            frame[col] = None
    return frame[list(spec.columns + spec.optional) + ["geometry"]].copy()


def _check_geometries(
    source: str, name: str, labels: list[str], frame: gpd.GeoDataFrame, spec: LayerSpec, problems: _Problems
) -> None:
    for row, label, geom in zip(range(1, len(frame) + 1), labels, frame.geometry):
        if geom is None or geom.is_empty:
            problems.add(source, name, row, f"{label} has an empty geometry", "draw the feature or remove the row")
        elif geom.geom_type not in spec.geom_types:
            problems.add(
                source,
                name,
                row,
                f"{label} is a {geom.geom_type}",
                f"this layer takes {' or '.join(spec.geom_types)} geometries",
            )
        elif not geom.is_valid:
            problems.add(
                source,
                name,
                row,
                f"{label} has an invalid geometry ({shapely.is_valid_reason(geom)})",
                "repair it (e.g. 'Fix geometries' in QGIS) and export again",
            )


def _check_layer(source: str, name: str, frame: gpd.GeoDataFrame, problems: _Problems) -> gpd.GeoDataFrame:
    spec = LAYERS[name]
    checked = _columns(source, name, frame, spec, problems)
    if checked is None:
        return frame
    frame = checked
    for col in spec.columns + spec.optional:
        if col in ("voltage_kv", "interruptible"):
            continue
        frame[col] = pd.Series([_text(v) for v in frame[col]], index=frame.index, dtype=object)
    rows = pd.RangeIndex(1, len(frame) + 1)
    _check_geometries(source, name, [f"{spec.key} {key!r}" for key in frame[spec.key]], frame, spec, problems)
    for col in spec.columns:
        for row in rows[frame[col].isna().to_numpy()]:
            problems.add(source, name, int(row), f"{col} is empty", f"fill in {col}")
    dupes = frame[spec.key].duplicated(keep="first") & frame[spec.key].notna()
    for row, key in zip(rows[dupes.to_numpy()], frame.loc[dupes, spec.key]):
        problems.add(source, name, int(row), f"duplicate {spec.key} {key!r}", "give every feature its own identifier")
    if name == "service_areas":
        for row, kind in zip(rows, frame["kind"]):
            if kind not in AREA_KINDS:
                problems.add(
                    source,
                    name,
                    int(row),
                    f"kind {kind!r} is not a service-area kind",
                    f"use one of {', '.join(AREA_KINDS)}",
                )
    if name == "service_points":
        frame["interruptible"] = pd.Series([_flag(v) for v in frame["interruptible"]], index=frame.index, dtype=bool)
    if name in ("feeders", "service_areas"):
        frame["geometry"] = frame.geometry.map(_promote)
    return frame.reset_index(drop=True)


def _check_landbase(source: str, name: str, frame: gpd.GeoDataFrame, problems: _Problems) -> gpd.GeoDataFrame:
    """A landbase layer (roads, places, water): geometry types, a name on every place, ranks 1 to 3."""
    spec = LANDBASE[name]
    checked = _columns(source, name, frame, spec, problems)
    if checked is None:
        return frame
    frame = checked
    frame["name"] = pd.Series([_text(v) for v in frame["name"]], index=frame.index, dtype=object)
    labels = [f"feature {n!r}" if n else "feature" for n in frame["name"]]
    _check_geometries(source, name, labels, frame, spec, problems)
    if "name" in spec.columns:
        for row, value in enumerate(frame["name"], start=1):
            if value is None:
                problems.add(source, name, row, "name is empty", "fill in the name (a place is drawn with its name)")
    if "rank" in frame:
        ranks = []
        for row, value in enumerate(frame["rank"], start=1):
            rank = _rank(value)
            if rank == 0:
                problems.add(
                    source,
                    name,
                    row,
                    f"rank {value!r} is not 1, 2 or 3",
                    f"use {RANKS[name]}, or leave rank empty",
                )
            ranks.append(rank or None)
        frame["rank"] = pd.Series(ranks, index=frame.index, dtype=object)
    return frame.reset_index(drop=True)


def _rank(value) -> int | None:
    """A cell's rank: 1, 2 or 3; None when empty; 0 when it is anything else."""
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return 0
    return int(number) if number in (1, 2, 3) else 0


def _check_references(layers: dict[str, gpd.GeoDataFrame], sources: dict[str, str], problems: _Problems) -> None:
    substations = set(layers["substations"]["substation_id"])
    feeders = set(layers["feeders"]["feeder_id"])
    devices = layers.get("devices")
    device_feeder = dict(zip(devices["device_id"], devices["feeder_id"])) if devices is not None else {}

    def each(layer: str, col: str):
        frame = layers[layer]
        yield from zip(range(1, len(frame) + 1), frame[col], frame[LAYERS[layer].key])

    for row, value, key in each("feeders", "substation_id"):
        if value not in substations:
            problems.add(
                sources["feeders"],
                "feeders",
                row,
                f"feeder {key!r} names unknown substation {value!r}",
                "add the substation to the substations layer or correct substation_id",
            )
    if "transmission_lines" in layers:
        for row, value, key in each("transmission_lines", "substation_ids"):
            unknown = [s for s in split_ids(value) if s not in substations]
            if unknown or not split_ids(value):
                problems.add(
                    sources["transmission_lines"],
                    "transmission_lines",
                    row,
                    f"line {key!r} feeds unknown substation(s) {', '.join(unknown) or '(none given)'}",
                    "list existing substation_id values, separated by commas",
                )
    if devices is not None:
        for row, value, key in each("devices", "feeder_id"):
            if value not in feeders:
                problems.add(
                    sources["devices"],
                    "devices",
                    row,
                    f"device {key!r} names unknown feeder {value!r}",
                    "correct feeder_id",
                )
        for row, value, key in each("devices", "upstream_device_id"):
            if value is not None and device_feeder.get(value) != device_feeder.get(key):
                problems.add(
                    sources["devices"],
                    "devices",
                    row,
                    f"device {key!r} names upstream device {value!r}, which is not on the same feeder",
                    "name a device on the same feeder, or leave upstream_device_id empty",
                )
    sp = layers["service_points"]
    bad_feeder = ~sp["feeder_id"].isin(feeders)
    bad_device = sp["device_id"].notna() & (sp["device_id"].map(device_feeder) != sp["feeder_id"])
    bad = (bad_feeder | bad_device).to_numpy().nonzero()[0]
    problems.total += max(len(bad) - MAX_PROBLEMS, 0)  # counted, not each described
    for row in bad[:MAX_PROBLEMS]:
        meter, feeder, device = sp.at[row, "meter_number"], sp.at[row, "feeder_id"], sp.at[row, "device_id"]
        message = (
            f"meter {meter!r} names unknown feeder {feeder!r}"
            if feeder not in feeders
            else f"meter {meter!r} names device {device!r}, which is not on feeder {feeder!r}"
        )
        problems.add(
            sources["service_points"], "service_points", int(row) + 1, message, "correct feeder_id / device_id"
        )
    systems = (layers["service_areas"]["kind"] == "system").sum()
    if systems != 1:
        problems.add(
            sources["service_areas"],
            "service_areas",
            None,
            f"there are {systems} areas of kind 'system'",
            "draw exactly one system area",
        )


def write_facilities(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    """Write facility layers to one GeoPackage, in the same schema :func:`read_facilities` reads."""
    path = Path(path)
    if path.exists():
        path.unlink()
    for name in (*LAYERS, *LANDBASE):
        if name in layers:
            layers[name].to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


def _text(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _flag(value) -> bool:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return False
    return str(value).strip().lower() in ("1", "true", "t", "yes", "y")


def split_ids(value) -> list[str]:
    """The identifiers in a comma-separated cell, such as a line's ``substation_ids``: 'JC-S01, MF-S01' ->
    ['JC-S01', 'MF-S01']; an empty cell names none."""
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _promote(geom):
    if geom is None or geom.is_empty:
        return geom
    if geom.geom_type == "LineString":
        return shapely.MultiLineString([geom])
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    return geom
