"""The facility map as a document a division office can print or pin on a wall: a PNG (raster) or a PDF
(vector, one letter-landscape page), for the whole system or one service area.

Drawn: service areas (system, division, county, community outlines), feeders, transmission lines,
substations (with their codes when the view leaves room to read them) and essential-services registry
entries (by category group).  Service points are never drawn one by one (the sample has 250,000):
they are counted for the members-served line.  Only the tables drawn are read
(:func:`read_map_data`); the drawing is a pure function of them (:func:`draw_map`).

Coordinates stay WGS 84 lon/lat; the map is an equirectangular projection with its standard parallel at
the middle of the view (x stretched by 1/cos φ), so distances read true in every direction on a map the
size of a cooperative, north is up, and the scale note is exact on a letter page at full size.

matplotlib is used headless, without pyplot (a :class:`~matplotlib.figure.Figure` on an Agg canvas, as
:mod:`reports.reliability_report` does); polygons and lines go straight into matplotlib collections.
One lock serialises drawing: matplotlib's font caches and ``rcParams`` are process-wide.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from gis.models import Feeder, ServiceArea, ServicePointArea, Substation, TransmissionLine
from gis.service import read_layer, system_members
from registry.models import RegistryCategory, RegistryEntry

if TYPE_CHECKING:
    from matplotlib.typing import LineStyleType

PAGE_INCHES = (11.0, 8.5)  # US letter, landscape
PNG_DPI = 150  # 1650 x 1275 px: legible on a screen, sharp enough printed
PNG_SIZE = (round(PAGE_INCHES[0] * PNG_DPI), round(PAGE_INCHES[1] * PNG_DPI))  # (width, height) [px]
MAP_BOX = (0.062, 0.085, 0.67, 0.815)  # left, bottom, width, height of the map [figure fraction]
SIDE_BOX = (0.752, 0.085, 0.235, 0.815)  # the legend and notes column
MARGIN = 0.06  # around an area's bounds [share of its width/height]
METRES_PER_DEGREE = 111_320.0
METRES_PER_MILE = 1609.344
LABEL_SQ_INCHES = 0.75  # substation codes are written when each has at least this much paper [in²]
FORMATS = {"png": "image/png", "pdf": "application/pdf"}

# kind -> (edge colour, line width, line style, fill colour, fill alpha); as the web page
AREA_STYLE: dict[str, tuple[str, float, LineStyleType, str, float]] = {
    "system": ("#455a64", 1.6, "solid", "#f6f4ee", 1.0),
    "county": ("#8d6e63", 0.8, (0, (4, 3)), "none", 0.0),
    "community": ("#00897b", 0.7, "solid", "#00897b", 0.10),
    "division": ("#f57c00", 1.5, "solid", "none", 0.0),
}
AREA_LABELS = {
    "system": "System boundary",
    "division": "Division boundary",
    "county": "County line",
    "community": "Community",
}
FEEDER, LINE, SELECTED = "#1565c0", "#6a1b9a", "#111111"
ENTRY_STYLE = {  # category group -> (marker, colour, legend label)
    "essential": ("^", "#c62828", "Essential service"),
    "critical_care": ("D", "#ad1457", "Critical care residential"),
    "community_impact": ("s", "#2e7d32", "Community impact"),
    "interruptible": ("v", "#ef6c00", "Interruptible load"),
    "other": ("o", "#546e7a", "Other"),
}
_DRAWING = threading.Lock()


@dataclass
class MapData:
    """What one map shows: the layers (EPSG:4326) and, for an area map, the area."""

    areas: gpd.GeoDataFrame  # code, name, kind
    feeders: gpd.GeoDataFrame  # code
    lines: gpd.GeoDataFrame  # code
    substations: gpd.GeoDataFrame  # code, name
    entries: gpd.GeoDataFrame  # ref, grp (category group)
    members: int  # service points in the area (whole system: all)
    area: dict | None = None  # code, name, kind, geometry; None = the whole system


# --------------------------------------------------------------------------------------------- reading


def read_map_data(*, session: Session, area: str | None = None) -> MapData:
    """The layers a facility map draws, read table by table (never the service points' geometry).

    ``area`` is a service area code (a division, county, community or the system); unknown codes raise
    :class:`~gis.errors.NotFound` naming the ``area`` parameter."""
    areas = read_layer(
        session,
        ServiceArea,
        {"id": ServiceArea.id, "code": ServiceArea.code, "name": ServiceArea.name, "kind": ServiceArea.kind},
    )
    chosen = None
    if area is not None:
        code = area.strip()
        hit = areas[areas.code == code]
        if hit.empty:
            hit = areas[areas.code.str.upper() == code.upper()]
        if hit.empty:
            examples = ", ".join(areas[areas.kind == "division"].code.head(3)) or "a code from /api/service-areas"
            raise NotFound(
                f"area={area!r} is not a service area. Fix: give the code of a division, county or "
                f"community (e.g. {examples}), or leave area out for the whole system.",
                field="area",
            )
        row = hit.iloc[0]
        chosen = {"code": row.code, "name": row["name"], "kind": row.kind, "geometry": row.geometry}
        members = (
            session.scalar(
                select(func.count())
                .select_from(ServicePointArea)
                .where(ServicePointArea.service_area_id == int(row.id))
            )
            or 0
        )
    else:
        members = system_members(session=session)
    group = select(RegistryCategory.grp).where(RegistryCategory.code == RegistryEntry.category_code).scalar_subquery()
    return MapData(
        areas=areas.drop(columns="id"),
        feeders=read_layer(session, Feeder, {"code": Feeder.code}),
        lines=read_layer(session, TransmissionLine, {"code": TransmissionLine.code}),
        substations=read_layer(session, Substation, {"code": Substation.code, "name": Substation.name}),
        entries=read_layer(session, RegistryEntry, {"ref": RegistryEntry.ref, "grp": group}),
        members=int(members),
        area=chosen,
    )


def file_name(data: MapData, fmt: str, as_of: datetime, zone: tzinfo) -> str:
    """``facility-map-DIV-JC-2025-06-02.pdf``: the area's code (or ``system``) and the local date."""
    code = "system" if data.area is None else data.area["code"]
    label = "".join(c if c.isalnum() or c in "-_." else "-" for c in code.strip()) or "area"
    return f"facility-map-{label}-{as_of.astimezone(zone):%Y-%m-%d}.{fmt}"


# --------------------------------------------------------------------------------------------- geometry


def _view(data: MapData) -> tuple[float, float, float, float]:
    """The lon/lat box to show (before fitting it to the paper)."""
    if data.area is not None:
        x0, y0, x1, y1 = data.area["geometry"].bounds
    else:
        boxes = np.array(
            [f.total_bounds for f in (data.areas, data.feeders, data.lines, data.substations, data.entries) if len(f)]
        )
        if not len(boxes):
            return -1.0, -1.0, 1.0, 1.0
        x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
        x1, y1 = boxes[:, 2].max(), boxes[:, 3].max()
    dx, dy = max(x1 - x0, 1e-3), max(y1 - y0, 1e-3)
    return x0 - dx * MARGIN, y0 - dy * MARGIN, x1 + dx * MARGIN, y1 + dy * MARGIN


def _fit(view, width_in: float, height_in: float) -> tuple[float, float, float, float, float]:
    """The view widened in one direction to fill the map box undistorted; and cos(φ) of its middle."""
    x0, y0, x1, y1 = view
    k = math.cos(math.radians((y0 + y1) / 2))
    dx, dy = x1 - x0, y1 - y0
    want = width_in / height_in  # ground width / ground height
    if dx * k / dy < want:
        grow = (dy * want / k - dx) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = (dx * k / want - dy) / 2
        y0, y1 = y0 - grow, y1 + grow
    return x0, y0, x1, y1, k


def _clip(frame: gpd.GeoDataFrame, box) -> gpd.GeoDataFrame:
    return frame.cx[box[0] : box[2], box[1] : box[3]] if len(frame) else frame


def _line_segments(geoms, tolerance: float) -> list[np.ndarray]:
    parts = shapely.get_parts(shapely.simplify(np.asarray(geoms), tolerance))
    if not len(parts):
        return []
    coords, index = shapely.get_coordinates(parts, return_index=True)
    return np.split(coords, np.flatnonzero(np.diff(index)) + 1)


def _polygon_path(geom, tolerance: float):
    """One matplotlib Path of a (multi)polygon, rings oriented so holes stay holes under the nonzero rule."""
    from matplotlib.path import Path

    geom = shapely.orient_polygons(shapely.simplify(geom, tolerance, preserve_topology=True))
    verts, codes = [], []
    for poly in shapely.get_parts(geom):
        for ring in shapely.get_rings(poly):
            xy = shapely.get_coordinates(ring)
            if len(xy) < 4:
                continue
            verts.append(xy)
            codes.append(np.r_[Path.MOVETO, np.full(len(xy) - 2, Path.LINETO), Path.CLOSEPOLY])
    if not verts:
        return None
    return Path(np.concatenate(verts), np.concatenate(codes).astype(Path.code_type))


def _nice(value: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ not above ``value``."""
    exp = 10 ** math.floor(math.log10(value))
    return max(m for m in (1, 2, 5) if m * exp <= value + 1e-12) * exp


def _lon(v, _pos=None) -> str:
    return f"{abs(v):.2f}°{'W' if v < 0 else 'E'}".replace(".00°", "°")


def _lat(v, _pos=None) -> str:
    return f"{abs(v):.2f}°{'S' if v < 0 else 'N'}".replace(".00°", "°")


# --------------------------------------------------------------------------------------------- drawing


def draw_map(data: MapData, *, fmt: str, cooperative: str, as_of: datetime, zone: tzinfo) -> bytes:
    """The map as PNG (:data:`PNG_SIZE` pixels) or PDF (one vector page, letter landscape)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"fmt={fmt!r} is not a map format. Fix: ask for png or pdf.", field="fmt")
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with (
        _DRAWING,
        matplotlib.rc_context(
            {"pdf.fonttype": 42, "font.family": "DejaVu Sans", "svg.fonttype": "none", "path.simplify": True}
        ),
    ):
        fig = Figure(figsize=PAGE_INCHES, dpi=PNG_DPI)
        FigureCanvasAgg(fig)
        local = as_of.astimezone(zone)
        where = "whole system" if data.area is None else f"{data.area['name']} ({data.area['code']})"
        title = f"Facility map · {where}"
        _draw(fig, data, cooperative=cooperative, title=title, when=f"{local:%a %Y-%m-%d %H:%M %Z}")
        buffer = io.BytesIO()
        if fmt == "png":
            fig.savefig(
                buffer,
                format="png",
                dpi=PNG_DPI,
                metadata={
                    "Title": f"{title} · {cooperative}",
                    "Author": cooperative,
                    "Software": "coop-outages",
                    "Creation Time": f"{local:%Y-%m-%d %H:%M %Z}",
                },
            )
        else:
            fig.savefig(
                buffer,
                format="pdf",
                metadata={
                    "Title": f"{title} · {cooperative}",
                    "Author": cooperative,
                    "Subject": "Facility map",
                    "Creator": "coop-outages",
                    "CreationDate": as_of.astimezone(UTC),
                },
            )
        return buffer.getvalue()


def _draw(fig, data: MapData, *, cooperative: str, title: str, when: str) -> None:
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.patches import PathPatch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    page_w, page_h = PAGE_INCHES
    ax = fig.add_axes(MAP_BOX)
    width_in, height_in = MAP_BOX[2] * page_w, MAP_BOX[3] * page_h
    x0, y0, x1, y1, k = _fit(_view(data), width_in, height_in)
    box = (x0, y0, x1, y1)
    tolerance = (x1 - x0) / 12_000  # well under a pixel at 150 dpi, and under a dot at 600 dpi
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_facecolor("#e9eef2")  # outside the cooperative's territory
    selected = data.area
    focus = selected["geometry"] if selected is not None else None

    # service areas: the system's fill first, then counties, communities and divisions on top
    areas = _clip(data.areas, box)
    kinds = [kind for kind in ("system", "county", "community", "division") if (areas.kind == kind).any()]
    z: float  # the areas' layers are whole numbers, the labels' in between
    for z, kind in enumerate(kinds, start=1):
        edge, lw, ls, fill, alpha = AREA_STYLE[kind]
        paths = [p for p in (_polygon_path(g, tolerance) for g in areas[areas.kind == kind].geometry) if p]
        if fill != "none":
            ax.add_collection(PathCollection(paths, facecolors=fill, edgecolors="none", alpha=alpha, zorder=z))
        ax.add_collection(
            PathCollection(paths, facecolors="none", edgecolors=edge, linewidths=lw, linestyles=ls, zorder=z + 0.5)
        )

    # facilities
    feeders, lines = _clip(data.feeders, box), _clip(data.lines, box)
    subs, entries = _clip(data.substations, box), _clip(data.entries, box)
    ax.add_collection(
        LineCollection(
            _line_segments(feeders.geometry.values, tolerance),
            colors=FEEDER,
            linewidths=0.7 if focus is None else 1.0,
            capstyle="round",
            joinstyle="round",
            zorder=6,
        )
    )
    ax.add_collection(
        LineCollection(
            _line_segments(lines.geometry.values, tolerance),
            colors=LINE,
            linewidths=1.5,
            linestyles=(0, (6, 3)),
            zorder=7,
        )
    )
    if len(subs):
        ax.scatter(
            subs.geometry.x,
            subs.geometry.y,
            s=30,
            marker="o",
            facecolors="white",
            edgecolors="black",
            linewidths=1.1,
            zorder=8,
        )
    entry_group = entries.grp.fillna("other") if len(entries) else entries.get("grp")
    groups = [g for g in ENTRY_STYLE if len(entries) and (entry_group == g).any()]
    for g in groups:
        marker, colour, _label = ENTRY_STYLE[g]
        pts = entries[entry_group == g]
        ax.scatter(
            pts.geometry.x,
            pts.geometry.y,
            s=22,
            marker=marker,
            facecolors=colour,
            edgecolors="white",
            linewidths=0.5,
            zorder=9,
        )

    # the chosen area: everything outside it dimmed, its outline on top
    if focus is not None:
        outside = shapely.difference(shapely.box(x0 - 1, y0 - 1, x1 + 1, y1 + 1), focus)
        path = _polygon_path(outside, tolerance)
        if path is not None:
            ax.add_patch(PathPatch(path, facecolor="white", edgecolor="none", alpha=0.62, zorder=10))
        path = _polygon_path(focus, tolerance)
        if path is not None:
            ax.add_patch(PathPatch(path, facecolor="none", edgecolor=SELECTED, linewidth=2.2, zorder=11))

    # labels: division names; community names on area maps; substation codes when there is room
    to_paper = _Paper(box, width_in, height_in)
    placed: list[tuple[float, float, float, float]] = []
    for kind, size, style, colour, z in (
        ("division", 9.5, "normal", "#a84300", 9.5),
        ("community", 7.5, "italic", "#00695c", 9.4),
    ):
        if kind == "community" and focus is None:
            continue
        for _, row in areas[areas.kind == kind].iterrows():
            if selected is not None and row.code == selected["code"]:
                continue  # named in the title
            p = row.geometry.representative_point()
            if x0 < p.x < x1 and y0 < p.y < y1:
                _haloed(
                    ax.text,
                    p.x,
                    p.y,
                    row["name"],
                    fontsize=size,
                    fontstyle=style,
                    color=colour,
                    ha="center",
                    va="center",
                    fontweight="bold" if kind == "division" else "normal",
                    zorder=z,
                    clip_on=True,
                )
                placed.append(to_paper.text_box(p.x, p.y, row["name"], size, centred=True))
    paper = width_in * height_in
    if len(subs) and paper / len(subs) >= LABEL_SQ_INCHES:
        size = 7.0 if paper / len(subs) >= 3 * LABEL_SQ_INCHES else 6.0
        own = shapely.intersects(subs.geometry.values, focus) if focus is not None else np.ones(len(subs), bool)
        order = np.argsort(~own, kind="stable")  # the area's own substations choose their places first
        r = 3.5 / 72  # a substation marker's half width [in]: labels keep off the markers too
        placed += [
            (px - r, py - r, px + r, py + r)
            for px, py in (to_paper.point(x, y) for x, y in zip(subs.geometry.x, subs.geometry.y))
        ]
        for i in order:
            code, pt = subs.code.iloc[i], subs.geometry.iloc[i]
            dx, dy = to_paper.free_offset(pt.x, pt.y, code, size, placed)
            _haloed(
                ax.annotate,
                code,
                (pt.x, pt.y),
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=size,
                ha="left" if dx >= 0 else "right",
                va="bottom" if dy >= 0 else "top",
                color="#111",
                zorder=11.5 if own[i] else 9.6,
                annotation_clip=True,
                clip_on=True,
            )
        sub_note = "Substations are labelled with their codes."
    elif len(subs):
        sub_note = (
            f"Substation codes are left off at this scale ({len(subs):,} substations); export a division "
            "for a map that shows them."
        )
    else:
        sub_note = ""

    # frame: lon/lat ticks, north arrow, scale bar
    ax.xaxis.set_major_locator(MaxNLocator(7))
    ax.yaxis.set_major_locator(MaxNLocator(7))
    ax.xaxis.set_major_formatter(FuncFormatter(_lon))
    ax.yaxis.set_major_formatter(FuncFormatter(_lat))
    ax.tick_params(labelsize=6.5, length=3, color="#777", labelcolor="#555")
    for spine in ax.spines.values():
        spine.set_edgecolor("#555")
        spine.set_linewidth(0.8)
    _north_arrow(ax)
    metres_per_inch = (x1 - x0) * METRES_PER_DEGREE * k / width_in
    _scale_bar(ax, box, k, metres_per_inch * width_in)

    # title, legend, notes, source
    fig.text(MAP_BOX[0], 0.955, title, fontsize=17, fontweight="bold", color="#16324f", va="bottom")
    kind_note = "" if selected is None else f" · {selected['kind']} {selected['code']}"
    fig.text(MAP_BOX[0], 0.925, f"{cooperative}{kind_note} · as of {when}", fontsize=10, color="#333", va="bottom")
    side = fig.add_axes(SIDE_BOX)
    side.set_axis_off()
    _legend(side, kinds, groups, focus, selected, feeders, lines, subs, entries, entry_group)
    scale = _nice_ratio(metres_per_inch / 0.0254)
    members_where = "the whole system" if selected is None else selected["name"]
    notes = [
        f"Members served in {members_where}: {data.members:,} service points (counted, not drawn).",
        f"Scale 1:{scale:,} printed on letter paper at full size: 1 inch ≈ "
        f"{metres_per_inch / METRES_PER_MILE:.1f} mi ({metres_per_inch / 1000:.1f} km).",
        f"North is up. WGS 84 longitude/latitude, equirectangular at {abs((y0 + y1) / 2):.2f}°"
        f"{'N' if (y0 + y1) >= 0 else 'S'}.",
    ] + ([sub_note] if sub_note else [])
    side.text(
        0,
        0,
        "\n".join(_wrap(n, 44) for n in notes),
        transform=side.transAxes,
        fontsize=7.5,
        color="#333",
        va="bottom",
        ha="left",
        linespacing=1.4,
    )
    fig.text(
        MAP_BOX[0],
        0.02,
        _wrap(
            f"Source: the facility layer (GIS: substations, feeders, transmission lines, service areas) and the "
            f"essential-services registry of {cooperative}, as held by the outage and reliability service on {when}. "
            "Registry entries are placed where the service is delivered; their contacts are in the registry annex.",
            185,
        ),
        fontsize=7,
        color="#555",
        va="bottom",
    )


def _legend(side, kinds, groups, focus, selected, feeders, lines, subs, entries, entry_group) -> None:
    """Headed groups of symbols with counts (inside the chosen area on an area map)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    def inside(frame):
        if focus is None or not len(frame):
            return len(frame)
        return int(shapely.intersects(frame.geometry.values, focus).sum())

    def heading(text):
        return Line2D([], [], linestyle="none", label=text)

    handles = [
        heading("Facilities"),
        Line2D([], [], color=FEEDER, linewidth=1.6, label=f"Feeder ({inside(feeders):,})"),
        Line2D(
            [], [], color=LINE, linewidth=1.6, linestyle=(0, (6, 3)), label=f"Transmission line ({inside(lines):,})"
        ),
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=6,
            markerfacecolor="white",
            markeredgecolor="black",
            label=f"Substation ({inside(subs):,})",
        ),
        heading("Essential-services registry"),
    ]
    for g in groups:
        marker, colour, label = ENTRY_STYLE[g]
        n = inside(entries[entry_group == g])
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=marker,
                markersize=6.5,
                markerfacecolor=colour,
                markeredgecolor="white",
                label=f"{label} ({n:,})",
            )
        )
    if not groups:
        handles.append(Line2D([], [], linestyle="none", label="no entries here"))
    handles.append(heading("Service areas"))
    for kind in kinds:
        edge, lw, ls, fill, alpha = AREA_STYLE[kind]
        face = "none" if fill == "none" else (*_rgb(fill), alpha)
        handles.append(Patch(facecolor=face, edgecolor=edge, linewidth=lw, linestyle=ls, label=AREA_LABELS[kind]))
    if selected is not None:
        handles += [
            Patch(facecolor="none", edgecolor=SELECTED, linewidth=2.2, label=f"{selected['name']}"),
            Patch(facecolor="#d8d8d8", edgecolor="none", label="Outside it (dimmed)"),
        ]
    title = "Legend" if focus is None else "Legend (counts inside the area)"
    legend = side.legend(
        handles=handles,
        loc="upper left",
        frameon=False,
        fontsize=8,
        title=title,
        title_fontsize=10,
        alignment="left",
        handlelength=2.4,
        borderaxespad=0,
        labelspacing=0.62,
    )
    headings = {"Facilities", "Essential-services registry", "Service areas"}
    for text in legend.get_texts():
        if text.get_text() in headings:
            text.set_fontweight("bold")
            text.set_color("#16324f")


def _rgb(colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(colour)


class _Paper:
    """Lon/lat to inches on the map, to keep labels from landing on one another."""

    def __init__(self, box, width_in: float, height_in: float):
        self.x0, self.y0 = box[0], box[1]
        self.sx, self.sy = width_in / (box[2] - box[0]), height_in / (box[3] - box[1])

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) * self.sx, (y - self.y0) * self.sy

    @staticmethod
    def size(text: str, points: float) -> tuple[float, float]:
        return len(text) * points * 0.62 / 72, points * 1.15 / 72  # DejaVu Sans, roughly [in]

    def text_box(self, x: float, y: float, text: str, points: float, *, centred: bool = False):
        px, py = self.point(x, y)
        w, h = self.size(text, points)
        return (px - w / 2, py - h / 2, px + w / 2, py + h / 2) if centred else (px, py, px + w, py + h)

    def free_offset(self, x: float, y: float, text: str, points: float, placed: list) -> tuple[float, float]:
        """The first offset [points] (north-east, south-east, north-west, south-west, then further out) where the
        label overlaps no label placed yet (else north-east); the chosen box is added to ``placed``."""
        px, py = self.point(x, y)
        w, h = self.size(text, points)
        candidates = [(4, 3), (4, -3), (-4, 3), (-4, -3), (4, 11), (4, -11), (-4, 11), (-4, -11)]
        boxes = []
        for dx, dy in candidates:
            left = px + dx / 72 if dx >= 0 else px + dx / 72 - w
            bottom = py + dy / 72 if dy >= 0 else py + dy / 72 - h
            boxes.append((left, bottom, left + w, bottom + h))
        for (dx, dy), b in zip(candidates, boxes):
            if not any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in placed):
                placed.append(b)
                return dx, dy
        placed.append(boxes[0])
        return candidates[0]


def _haloed(draw, *args, **kwargs) -> None:
    """Text with a white halo that stays text: a white-stroked copy (drawn as outlines) under the real text,
    so labels read on top of lines and remain selectable and searchable in the PDF (a path effect on the
    text itself would turn it into outlines)."""
    from matplotlib import patheffects

    draw(*args, path_effects=[patheffects.Stroke(linewidth=2.6, foreground="white")], **kwargs)
    draw(*args, **kwargs)


def _north_arrow(ax) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (0.938, 0.835),
            0.05,
            0.145,
            boxstyle="round,pad=0.004",
            transform=ax.transAxes,
            facecolor="white",
            edgecolor="#999",
            linewidth=0.6,
            alpha=0.88,
            zorder=12,
        )
    )
    ax.annotate(
        "",
        xy=(0.963, 0.97),
        xytext=(0.963, 0.885),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>,head_width=0.4,head_length=0.8", "color": "black", "lw": 2},
        zorder=13,
    )
    ax.text(0.963, 0.875, "N", transform=ax.transAxes, ha="center", va="top", fontsize=12, fontweight="bold", zorder=13)


def _scale_bar(ax, box, k: float, view_metres: float) -> None:
    """Miles over kilometres at the lower left of the map, each a round length near a fifth of its width."""
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = box
    dx_view, dy_view = x1 - x0, y1 - y0
    metres_per_degree_x = METRES_PER_DEGREE * k
    left = x0 + dx_view * 0.03
    bars = []
    for unit, metres_per_unit in (("mi", METRES_PER_MILE), ("km", 1000.0)):
        length = _nice(view_metres / 5 / metres_per_unit)
        bars.append((unit, length, length * metres_per_unit / metres_per_degree_x))
    widest = max(b[2] for b in bars)
    ax.add_patch(
        Rectangle(
            (x0 + dx_view * 0.015, y0 + dy_view * 0.015),
            widest + dx_view * 0.06,
            dy_view * 0.115,
            facecolor="white",
            edgecolor="#999",
            linewidth=0.6,
            alpha=0.88,
            zorder=12,
        )
    )
    h = dy_view * 0.009
    for row, (unit, length, dx) in enumerate(bars):
        y = y0 + dy_view * (0.077 if row == 0 else 0.03)
        for i in range(4):  # alternating quarters
            ax.add_patch(
                Rectangle(
                    (left + dx * i / 4, y),
                    dx / 4,
                    h,
                    facecolor="black" if i % 2 == 0 else "white",
                    edgecolor="black",
                    linewidth=0.6,
                    zorder=13,
                )
            )
        for frac in (0, 0.5, 1):
            ax.text(
                left + dx * frac, y + h * 1.5, f"{length * frac:g}", fontsize=6.5, ha="center", va="bottom", zorder=13
            )
        ax.text(left + dx + dx_view * 0.012, y + h / 2, unit, fontsize=7, ha="left", va="center", zorder=13)


def _nice_ratio(ratio: float) -> int:
    """A representative fraction rounded to two significant figures (1:412,345 -> 1:410,000)."""
    digits = max(int(math.floor(math.log10(ratio))) - 1, 0)
    return int(round(ratio / 10**digits) * 10**digits)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
