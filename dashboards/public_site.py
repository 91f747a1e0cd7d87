"""The public outage map as files: the *snapshot* a web server serves without the app (issue 15).

A storm's readers must never reach the dispatchers' process, and the map must not go dark when the app stops.
So every file the member's map needs is built here and written into ``PublicMapSettings.snapshot_dir``
whenever it changes; the shipped nginx config (:mod:`dashboards/nginx/public-map.conf`, filled in by
``outages public-map nginx-config``) serves that folder at ``/map/`` and the page's assets at ``/static/``, and
passes everything else (members' reports, the staff API) to the app.

The files (:data:`FILES`), each with a gzip copy beside it (``name.gz``, for nginx's ``gzip_static``):

* ``index.html``: the page (:mod:`dashboards.pages.member_map`); a static page with no inline script;
* ``data.json``: the figures (:mod:`outages.public_map`: aggregates only, D14), with their ``as_of``;
* ``map.js``: folium's map of the public areas (the page's map, as a script file, not inline);
* ``areas.geojson``: the public areas' simplified outlines; ``landbase.geojson``: the base map (roads, places,
  water, :mod:`gis.landbase`); ``places.json``: what the search finds (communities, counties, ZIP codes);
* ``outages.txt`` / ``outages.es.txt``: a plain-text list for the lightest phones and screen readers;
* ``odin.json``: the open feed with the fields of ODIN's *PubOutages* profile (:mod:`outages.public_feeds`).

Each file is written atomically (a temporary name in the same folder, then ``os.replace``), so a reader gets the
old file or the new one, never half of one.  The figures' files change when the log does (and at least every
``max_age_seconds``, so ``as_of`` says the service is alive); the layer files when the facility layer does.
:func:`watch` (``outages public-map watch``, a process beside the app) writes them within about a second of a
dispatcher's commit.  If the service stops, the last snapshot stays and the page says how old it is.

The app serves the very same bytes at the same paths (:mod:`dashboards.routes.public_map`), so the page works
with or without the web server in front.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from time import monotonic

from dashboards.pages import member_map
from dashboards.settings import get_settings
from gis.landbase import landbase_geojson
from gis.maps import simplify_areas
from outages.public_feeds import odin_feed, text_list
from outages.public_map import (
    Payload,
    PublicMapCache,
    PublicMapSettings,
    facility_version,
    get_public_map_settings,
    public_areas,
)
from outages.public_places import search_entries

# name -> media type, in the order they are written (the page last: its data is in place when it is new)
FILES = {
    "data.json": "application/json",
    "areas.geojson": "application/geo+json",
    "landbase.geojson": "application/geo+json",
    "places.json": "application/json",
    "outages.txt": "text/plain; charset=utf-8",
    "outages.es.txt": "text/plain; charset=utf-8",
    "odin.json": "application/json",
    "map.js": "text/javascript; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
}
log = logging.getLogger("outages.public_map")
LAYER_FILES = ("areas.geojson", "map.js", "landbase.geojson", "places.json", "index.html")  # from the facility layer
LAYER_CHECK_SECONDS = 60.0  # how often the facility layer's version is looked at (the layers rarely change)


class PublicSite:
    """The snapshot's files for one app (one session factory): the figures from a :class:`PublicMapCache`, the
    layer files rebuilt when the facility layer changes (looked at once a minute, or when asked)."""

    def __init__(self, sessions, *, settings: PublicMapSettings):
        self.sessions, self.settings = sessions, settings
        self.cache = PublicMapCache(sessions, settings=settings)
        self._lock = threading.Lock()
        self._layers: dict[str, Payload] = {}
        self._layers_version: tuple | None = None
        self._layers_checked = float("-inf")
        self._figures: tuple[str, dict[str, Payload]] | None = None  # (the figures' ETag, their files)
        self._written: dict[str, str] = {}  # name -> ETag of what is on disk

    # --- building -----------------------------------------------------------------------------------

    def layer_files(self, *, check: bool = False) -> dict[str, Payload]:
        """The page and the files made from the facility layer (areas, landbase, places)."""
        if self._layers and not check and monotonic() - self._layers_checked < LAYER_CHECK_SECONDS:
            return self._layers
        with self._lock, self.sessions() as session:
            version = facility_version(session)
            if version != self._layers_version or not self._layers:
                areas = public_areas(session=session, settings=self.settings)
                outlines = simplify_areas(areas)
                self._layers = {
                    "areas.geojson": Payload.of(outlines.__geo_interface__ if len(outlines) else _empty()),
                    "map.js": Payload.raw(member_map.map_script(outlines, settings=self.settings)),
                    "landbase.geojson": Payload.of(landbase_geojson(session=session)),
                    "places.json": Payload.of(search_entries(session=session, areas=areas)),
                    "index.html": Payload.raw(member_map.page_html(settings=self.settings)),
                }
                self._layers_version = version
            self._layers_checked = monotonic()
        return self._layers

    def figure_files(self, *, check: bool = False) -> dict[str, Payload]:
        """The figures and the files made from them (the text lists, the open feed)."""
        payload = self.cache.get(force=check)
        done = self._figures
        if done is not None and done[0] == payload.etag:
            return done[1]
        coop = get_settings()
        figures = payload.data or {}
        files = {
            "data.json": payload,
            "outages.txt": Payload.raw(
                text_list(figures, language="en", coop=coop.cooperative_name, phone=coop.cooperative_phone).encode()
            ),
            "outages.es.txt": Payload.raw(
                text_list(figures, language="es", coop=coop.cooperative_name, phone=coop.cooperative_phone).encode()
            ),
            "odin.json": Payload.of(odin_feed(figures, utility=coop.cooperative_name)),
        }
        self._figures = (payload.etag, files)
        return files

    def file(self, name: str) -> Payload:
        """One file by name (:data:`FILES`), as the app serves it."""
        if name == "data.json":
            return self.cache.get()
        built = self.layer_files() if name in LAYER_FILES else {}
        return built.get(name) or self.figure_files()[name]

    # --- writing ------------------------------------------------------------------------------------

    def write(self, directory: Path | str, *, check: bool = True) -> list[str]:
        """Write into ``directory`` every file that changed since the last write (or is missing there), each
        atomically with its gzip copy; returns the names written."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        files = {**self.figure_files(check=check), **self.layer_files(check=False)}
        written = []
        for name in FILES:
            payload = files[name]
            if self._written.get(name) == payload.etag and (folder / name).exists():
                continue
            _replace(folder / f"{name}.gz", payload.gzipped)
            _replace(folder / name, payload.body)
            self._written[name] = payload.etag
            written.append(name)
        return written


def _empty() -> dict:
    return {"type": "FeatureCollection", "features": []}


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, then a rename over it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_bytes(data)
    os.chmod(temporary, 0o644)  # the web server's user reads it
    os.replace(temporary, path)


_site_lock = threading.Lock()


def public_site(state) -> PublicSite:
    """The app's public site, on its read-only sessions: building the figures never takes SQLite's write lock, so
    it never holds up a dispatcher (one per session factory, so a test's rolled-back database gets its own)."""
    site = getattr(state, "public_site", None)
    if site is None or site.sessions is not state.readers:
        with _site_lock:
            site = getattr(state, "public_site", None)
            if site is None or site.sessions is not state.readers:
                settings = getattr(state, "public_map_settings", None) or get_public_map_settings()
                site = state.public_site = PublicSite(state.readers, settings=settings)
    return site


def watch(
    *,
    sessions,
    settings: PublicMapSettings,
    folder: Path | str,
    every: float = 1.0,
    stop: threading.Event | None = None,
    on_write=None,
) -> None:
    """Keep the snapshot in ``folder`` up to date until ``stop`` is set: every ``every`` seconds look at the log
    (one cheap query) and write what changed.  This is ``outages public-map watch``, a process of its own: the
    figures are recomputed there, never in the dispatchers' process (on the full sample a recomputation takes
    0.1–0.3 s of CPU, once a second in a storm), and on read-only sessions (``sessions`` should be): on SQLite a
    write session would hold the database's write lock through each recomputation and stall every dispatcher.  A failed round (the database restarting) is logged and retried."""
    site, stop = PublicSite(sessions, settings=settings), stop or threading.Event()
    while not stop.is_set():
        try:
            written = site.write(folder)
        except Exception:  # noqa: BLE001 - keep watching; the next round retries
            log.exception("the public map's snapshot was not written")
        else:
            if written and on_write is not None:
                on_write(written)
        stop.wait(every)
