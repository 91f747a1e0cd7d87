"""The member outage map's page (``/map``, public, no login): built once per facility layer and served as
static files, by the app and (in a storm) by the web server from the snapshot (:mod:`dashboards.public_site`).

The page (``templates/members/map.html``) has no inline script.  folium draws the map of the public areas
(:func:`gis.maps.area_map`, local Leaflet, no tiles); its script is not inlined but written as the snapshot's
``map.js`` (:func:`map_script`), with fixed names (``map_public``, ``geo_json_county``, ``geo_json_community``)
so the page's own module ``/static/member-map.js`` finds the map and its layers, shades them from
``/map/data.json`` and adds the base map (``landbase.geojson``) and the search (``places.json``).  One set of
static files serves every reader and keeps working when only the web server answers.  English and Spanish, the
texts from the members' catalogue.
"""

from __future__ import annotations

import folium
import geopandas as gpd
from branca.element import Figure

from dashboards.pages.members import LANG_KEY, by_language
from dashboards.pages.templating import render_page
from dashboards.settings import get_settings
from gis.maps import area_map
from outages.members.texts import TEXTS
from outages.public_map import STATUSES, PublicMapSettings

# the map's own texts (``map_`` keys, without the prefix) and the causes' names
MAP_TEXTS = by_language(
    {key.removeprefix("map_"): pair for key, pair in TEXTS.items() if key.startswith(("map_", "cause_"))}
)
# the snapshot's files the page reads (served at these paths by the app and by the web server)
DATA_URLS = {
    "data": "/map/data.json",
    "areas": "/map/areas.geojson",
    "landbase": "/map/landbase.geojson",
    "places": "/map/places.json",
    "text_en": "/map/outages.txt",
    "text_es": "/map/outages.es.txt",
    "script": "/map/map.js",
}


MAP_NAME = "map_public"  # the JavaScript variable of folium's map; each area layer's is LAYER_NAME.format(kind)
LAYER_NAME = "geo_json_{}"


def map_script(areas: gpd.GeoDataFrame, *, settings: PublicMapSettings) -> bytes:
    """folium's map of the public areas (one GeoJSON layer per kind, counties under communities, fitted to the
    territory) as a script file: what folium would inline, under fixed names."""
    layers: dict[str, gpd.GeoDataFrame] = {
        kind: areas[areas.kind == kind] for kind in ("county", "community") if kind in settings.area_kinds
    }
    m, _names = area_map(
        layers,
        js=[],
        css=[],
        properties=("code", "name", "kind"),
        zoom_snap=0.25,
        attribution_control=False,
        tap_tolerance=15,
    )
    m._id = MAP_NAME.removeprefix("map_")
    for child in m._children.values():
        if isinstance(child, folium.GeoJson):
            child._id = child.layer_name  # the kind: geo_json_county, geo_json_community
    figure = m.get_root()
    assert isinstance(figure, Figure)  # a folium map's root is its figure
    figure.render()
    return ("L_NO_TOUCH = false; L_DISABLE_3D = false;\n" + figure.script.render()).encode()


def page_context(*, settings: PublicMapSettings) -> dict:
    """The template's context: ``config`` (the page's JSON block) and what the template itself shows."""
    phone = get_settings().cooperative_phone
    # the tel: links' target: the digits, +1 before a ten-digit North American number ("(830) 555-0100")
    digits = "".join(c for c in phone if c.isdigit())
    tel = "+" + digits if phone.strip().startswith("+") else "+1" + digits if len(digits) == 10 else digits
    return {
        "config": {
            **DATA_URLS,
            "map": MAP_NAME,
            "layers": {kind: LAYER_NAME.format(kind) for kind in settings.area_kinds},
            "lang_key": LANG_KEY,
            "refresh": int(min(settings.refresh_seconds, 300)),
            "stale_seconds": settings.stale_seconds,
            "phone": phone,
            "phone_tel": tel,
            "texts": MAP_TEXTS,
        },
        "en": MAP_TEXTS["en"],
        "statuses": STATUSES,
        "phone": phone,
    }


def page_html(*, settings: PublicMapSettings) -> bytes:
    """The page's bytes (no import map: the web server sends one fixed policy, ``script-src 'self'``)."""
    context = page_context(settings=settings)
    body, _policy = render_page("members/map.html", import_map_used=False, **context)
    return body
