"""The member outage map's page (``/map``, public, no login): built once per facility layer and served as a
static file, by the app and (in a storm) by the web server from the snapshot (:mod:`dashboards.public_site`).

The page (``templates/members/map.html``) is plain Leaflet from local assets, with no inline script: its
module ``/static/member-map.js`` reads the config block and fetches the snapshot's files (``/map/data.json``,
``areas.geojson``, ``landbase.geojson``, ``places.json``), so one static file serves every reader and the page
keeps working when only the web server answers.  English and Spanish, the texts from the members' catalogue.
"""

from __future__ import annotations

from dashboards.pages.members import LANG_KEY, by_language
from dashboards.pages.templating import render_page
from dashboards.settings import get_settings
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
}


def page_context(*, settings: PublicMapSettings) -> dict:
    """The template's context: ``config`` (the page's JSON block) and what the template itself shows."""
    return {
        "config": {
            **DATA_URLS,
            "lang_key": LANG_KEY,
            "refresh": int(min(settings.refresh_seconds, 300)),
            "stale_seconds": settings.stale_seconds,
            "phone": get_settings().cooperative_phone,
            "texts": MAP_TEXTS,
        },
        "en": MAP_TEXTS["en"],
        "statuses": STATUSES,
        "phone": get_settings().cooperative_phone,
    }


def page_html(*, settings: PublicMapSettings) -> bytes:
    """The page's bytes (no import map: the web server sends one fixed policy, ``script-src 'self'``)."""
    context = page_context(settings=settings)
    body, _policy = render_page("members/map.html", import_map_used=False, **context)
    return body
