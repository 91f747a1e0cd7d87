"""Drawing maps from GeoDataFrames handed to this module (folium/Leaflet), served from local assets.

folium's templates load Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; with no internet (these
machines, a control room behind a firewall, a member's phone behind a captive portal) that is a blank
page.  :func:`local_assets` points a map at local copies installed from the npm registry
(``dashboards/static/package.json``) and :func:`area_map` keeps only what a plain polygon map needs (a page
may take its script as a file of its own, with no inline code).
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import shapely

# folium asset name -> path inside the npm ``node_modules`` folder
NPM_FILES = {
    "leaflet": "leaflet/dist/leaflet.js",
    "jquery": "jquery/dist/jquery.min.js",
    "bootstrap": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "awesome_markers": "leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    "leaflet_css": "leaflet/dist/leaflet.css",
    "bootstrap_css": "bootstrap/dist/css/bootstrap.min.css",
    "awesome_markers_font_css": "@fortawesome/fontawesome-free/css/all.min.css",
    "awesome_markers_css": "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
}


def local_assets(base_url: str, names=None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """folium ``(default_js, default_css)`` lists pointing at ``base_url`` (the served node_modules folder).

    ``names`` limits them (default: every asset folium's map template references that npm provides; the
    two Bootstrap 3 glyphicon/rotate sheets folium also lists have no npm package and are dropped)."""
    base = base_url.rstrip("/")
    wanted = NPM_FILES if names is None else {n: NPM_FILES[n] for n in names}
    js = [(n, f"{base}/{p}") for n, p in wanted.items() if not p.endswith(".css")]
    css = [(n, f"{base}/{p}") for n, p in wanted.items() if p.endswith(".css")]
    return js, css


def use_assets(m: folium.Map, js, css) -> folium.Map:
    """Make one map load the given assets instead of folium's CDN defaults."""
    m.default_js, m.default_css = list(js), list(css)
    return m


def simplify_areas(frame: gpd.GeoDataFrame, *, tolerance: float = 0.003, digits: int = 4) -> gpd.GeoDataFrame:
    """Polygons made light for a public web map: simplified (``tolerance`` [degrees], topology kept) and
    coordinates rounded to ``digits`` decimals (4 decimals ≈ 11 m), so a few dozen areas weigh kilobytes.

    Empty results (a sliver simplified away) keep their original shape."""
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    geoms = np.asarray(frame.geometry.values)
    light = shapely.simplify(geoms, tolerance, preserve_topology=True)
    light = shapely.set_precision(light, 10.0**-digits, mode="valid_output")
    # the grid snap leaves binary noise (30.123400000000004); round so JSON writes short numbers
    light = shapely.transform(light, lambda xy: np.round(xy, digits))
    light = np.where(shapely.is_empty(light), geoms, light)
    out = frame.copy()
    out["geometry"] = light
    return out.set_crs(4326, allow_override=True)


def bounds_latlon(frames) -> list[list[float]]:
    """``[[south, west], [north, east]]`` around the given GeoDataFrames (for ``fit_bounds``)."""
    boxes = np.array([f.total_bounds for f in frames if len(f)])
    if not len(boxes):
        return [[-90.0, -180.0], [90.0, 180.0]]
    return [[float(boxes[:, 1].min()), float(boxes[:, 0].min())], [float(boxes[:, 3].max()), float(boxes[:, 2].max())]]


def area_map(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    js,
    css,
    key: str = "code",
    properties: tuple[str, ...] = ("code", "name", "kind"),
    **options,
) -> tuple[folium.Map, dict[str, str]]:
    """A Leaflet map (no base tiles) with one GeoJSON layer of polygons per entry of ``layers``, drawn in
    order (the last on top), each feature identified by its ``key`` column.

    Returns the map and, per layer, the JavaScript variable folium gives it, so a page script can restyle
    the layers in place (e.g. shade them by fresh figures) without redrawing the map.  ``options`` go to
    Leaflet's map (folium's keywords, e.g. ``zoom_snap=0.25``).
    """
    m = use_assets(
        folium.Map(tiles=None, control_scale=True, zoom_control=True, prefer_canvas=False, **options), js, css
    )
    names: dict[str, str] = {}
    for name, frame in layers.items():
        cols = [c for c in properties if c in frame.columns]
        data = frame[cols + ["geometry"]].to_json(drop_id=True, to_wgs84=True)
        layer = folium.GeoJson(
            data,
            name=name,
            control=False,
            smooth_factor=1.0,
            style_function=lambda _f: {"color": "#555", "weight": 1, "fillColor": "#ddd", "fillOpacity": 0.5},
        )
        layer.add_to(m)
        names[name] = layer.get_name()
    m.fit_bounds(bounds_latlon(layers.values()))
    return m, names


def line_map(frame: gpd.GeoDataFrame, *, js, css, tooltip: tuple[str, ...] = ()) -> folium.Map:
    """A plain folium map of line geometries with their attributes as tooltips, every vertex kept.

    This is what a first attempt at an outage map looks like (every feeder embedded in the page); the
    member map benchmark measures it as the comparison."""
    m = use_assets(folium.Map(tiles=None), js, css)
    folium.GeoJson(
        frame.to_json(drop_id=True), name="feeders", tooltip=folium.GeoJsonTooltip(list(tooltip)) if tooltip else None
    ).add_to(m)
    m.fit_bounds(bounds_latlon([frame]))
    return m
