"""The summary report of a significant interruption that lasted more than 24 hours (§2 "Summary report",
decisions D2, D11, D12), as an Excel workbook (openpyxl), a PDF (WeasyPrint, house style of
:mod:`reports.pdf`) and a standalone HTML page (e-mail, browser).

The rule's summary report contains: the date and time of the significant interruption; the date and time
of full restoration; the cause; the location, substation and feeder identifiers of all affected
facilities; the total number of members affected; the dates, times and numbers of members affected by
partial or step restoration; and the total number of member-minutes.  :class:`SummaryData` holds exactly
that (plus the peak, the significance criteria met, the due date and the members-out timeline for the
chart); it is built elsewhere from the incident's interruption records.  The renderers here are pure
functions of it.

Conventions:

* Every stored time is timezone-aware (UTC); every shown time is in ``data.zone`` with its abbreviation
  ("Tue 25 Nov 2025 16:00 CST"), so the repeated hour of the autumn DST change is unambiguous.
* The duration is real elapsed time between the aware instants (D2): across the March DST change a
  report from 12:00 CST to 12:00 CDT the next day shows 23 h 0 min.  Durations are shown as
  "52 h 15 min", truncated to the whole minute (never overstated).
* Member-minutes are shown rounded to whole member-minutes with thousands separators; the workbook keeps
  the exact value.
* In the workbook, times are Excel date-times in local time (Excel has no time zones) with the zone
  abbreviation in the adjacent "TZ" column.
* In the PDF, long facility and step lists (more than :data:`PDF_TABLE_FACILITIES` facilities or
  :data:`PDF_TABLE_STEPS` steps) are printed as compact fixed-width listings instead of tables, because
  WeasyPrint lays out large tables very slowly; every facility and every step is still in the text.
"""

from __future__ import annotations

import base64
import io
import math
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from html import escape

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.datetime import to_excel

from gis.spreadsheets import neutralise, neutralise_row
from gis.workbook_print import page_break_before, print_setup, wrapped_height
from outages.formatting import MONTHS, format_clock, format_count, format_date, format_duration, format_time, zone_name
from reports.pdf import STYLE, listing_pdf, merge_pdfs, render_pdf, table

TITLE = "Summary report of a significant interruption"
PDF_TABLE_FACILITIES = 20
PDF_TABLE_STEPS = 40
DUE_NOTE = "end of the third working day after the day of full restoration"
MEMBER_MINUTES_NOTE = (
    "sum over restoration steps of members restored × minutes from the interruption's "
    "start to that step, over all affected facilities; a member out on overlapping records "
    "counts once, for the minutes the member was without power"
)
ROWS_NOTE = (
    "Each facility row counts its own record: a member out on two overlapping records counts in both "
    "rows, so the rows add up to more than the incident's totals, which count each member once."
)
#: ROWS_NOTE said short enough for the Facilities sheet's total row (longer, it would print past the last column)
ROWS_TOTAL_NOTE = (
    "; rows overlap: a member out on two records counts in both, so these sums exceed the incident's "
    "totals (Summary sheet)"
)


# ---------------------------------------------------------------------------------------------- data


def _aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


@dataclass(frozen=True)
class FacilityRow:
    """One affected facility (one interruption record): identifiers, times, members, member-minutes."""

    substation: str | None
    feeder: str | None
    transmission_line: str | None
    device: str | None
    started_at: datetime
    restored_at: datetime
    members_affected: int
    member_minutes: float
    cause: str

    def __post_init__(self) -> None:
        _aware("FacilityRow.started_at", self.started_at)
        _aware("FacilityRow.restored_at", self.restored_at)

    @property
    def line(self) -> str:
        """The feeder, or the transmission line, or both."""
        return " / ".join(x for x in (self.feeder, self.transmission_line) if x)

    @property
    def duration(self) -> timedelta:
        return self.restored_at - self.started_at


@dataclass(frozen=True)
class StepRow:
    """One partial, step or final restoration: when, on which facility, how many members came back,
    and how many members were still out incident-wide afterwards."""

    at: datetime
    facility: str
    members_restored: int
    members_out_after: int

    def __post_init__(self) -> None:
        _aware("StepRow.at", self.at)


@dataclass(frozen=True)
class SummaryData:
    """Everything the rule's summary report contains, for one incident.  Datetimes are timezone-aware
    (UTC); ``zone`` is where they are shown."""

    cooperative: str
    incident_id: int
    incident_title: str
    started_at: datetime
    restored_at: datetime
    zone: tzinfo
    causes: list[str]
    location: str
    criteria: list[str]
    facilities: list[FacilityRow]
    total_members_affected: int
    peak_members_out: int
    peak_at: datetime
    steps: list[StepRow]
    total_member_minutes: float
    due_at: datetime
    timeline: list[tuple[datetime, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  #: e.g. records left out for implausible times
    #: of total_members_affected, those only counted (a record on part of a facility nobody located)
    members_unlocated: int = 0

    def __post_init__(self) -> None:
        for name in ("started_at", "restored_at", "peak_at", "due_at"):
            _aware(name, getattr(self, name))
        for i, (moment, _) in enumerate(self.timeline):
            _aware(f"timeline[{i}]", moment)
        if self.restored_at < self.started_at:
            raise ValueError("restored_at is before started_at")

    @property
    def duration(self) -> timedelta:
        """First start to full restoration, real elapsed time (D2)."""
        return self.restored_at - self.started_at

    @property
    def rows_overlap(self) -> bool:
        """The facility rows add up to more than the incident's totals (overlapping records)."""
        return (
            sum(f.members_affected for f in self.facilities) > self.total_members_affected
            or sum(f.member_minutes for f in self.facilities) > self.total_member_minutes + 0.5
        )

    @property
    def members_affected_text(self) -> str:
        """'11,500', or '11,500 (of which 300 counted but never located)'."""
        text = format_count(self.total_members_affected)
        if self.members_unlocated:
            text += f" (of which {format_count(self.members_unlocated)} counted but never located)"
        return text

    @property
    def ordered_steps(self) -> list[StepRow]:
        """The steps in time order (stable for equal times)."""
        return sorted(self.steps, key=lambda s: s.at)


# ------------------------------------------------------------------------------------------- fields


def causes_text(data: SummaryData) -> str:
    return "; ".join(data.causes) if data.causes else "under investigation"


def summary_fields(data: SummaryData) -> list[tuple[str, str]]:
    """The report's headline fields as (label, text) pairs, shared by the PDF and the HTML page."""
    z = data.zone
    return [
        ("Incident", f"#{data.incident_id}: {data.incident_title}"),
        ("Date and time of the significant interruption", format_time(data.started_at, z)),
        ("Date and time of full restoration", format_time(data.restored_at, z)),
        ("Duration", f"{format_duration(data.duration)} (real elapsed time)"),
        ("Cause(s)", causes_text(data)),
        ("Location", data.location),
        ("Affected facilities", f"{len(data.facilities):,}"),
        ("Total members affected", data.members_affected_text),
        ("Peak members out", f"{format_count(data.peak_members_out)} at {format_time(data.peak_at, z)}"),
        ("Partial or step restorations", f"{len(data.steps):,}"),
        ("Total member-minutes", format_count(data.total_member_minutes)),
        ("Summary report due", f"{format_time(data.due_at, z)} ({DUE_NOTE})"),
    ] + [("Note", note) for note in data.notes]


# ------------------------------------------------------------------------------------------ workbook

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E8EEF4")
_TITLE_FONT = Font(bold=True, size=13)
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
DATETIME_FORMAT = "ddd d mmm yyyy hh:mm"
DATE_FORMAT = "ddd d mmm yyyy"
TIME_FORMAT = "hh:mm"
COUNT_FORMAT = "#,##0"
DURATION_FORMAT = "[h]:mm"


def _excel_time(moment: datetime, zone: tzinfo) -> datetime:
    """Local wall-clock time without tzinfo (Excel has no time zones), to the second: the due moment
    23:59:59.999999 would otherwise round to midnight in Excel's day fractions."""
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


# Data rows are serialised here rather than cell by cell through openpyxl: openpyxl (without lxml) spends
# about 13 µs a cell: 2 s for an incident with 2,000 facilities and 10,000 steps, against 0.3 s in all here.
# Each sheet's data block is written through openpyxl as one marker row; after ``save`` the marker row of
# the worksheet part is replaced by the block's <row> elements (inline strings, numbers, Excel serial
# dates), styled with style ids that openpyxl registered for the same fonts and number formats.

_ILLEGAL_XML = re.compile(r"[\000-\010\013\014\016-\037]")


def _xml_cell(ref: str, value, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if isinstance(value, str):
        value = neutralise(_ILLEGAL_XML.sub("", value))  # titles, locations, causes: text, never a formula
        space = ' xml:space="preserve"' if value != value.strip() else ""
        text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (date, time, timedelta)):
        value = to_excel(value)
    elif isinstance(value, float) and not math.isfinite(value):
        return ""
    elif not isinstance(value, (int, float)):
        raise TypeError(f"cannot write {value!r} to a cell")
    return f'<c r="{ref}"{s} t="n"><v>{value!r}</v></c>'


def _xml_rows(rows: list[tuple[list, list[int]]], first: int) -> str:
    """<row> elements for (values, style ids) pairs, numbered from ``first``; None values are skipped."""
    out = []
    for n, (values, styles) in enumerate(rows, first):
        cells = "".join(_xml_cell(f"{_LETTERS[i]}{n}", v, styles[i]) for i, v in enumerate(values) if v is not None)
        out.append(f'<row r="{n}">{cells}</row>')
    return "".join(out)


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class _Book:
    """A write-only openpyxl workbook plus the data blocks to splice in after saving."""

    def __init__(self) -> None:
        self.book = Workbook(write_only=True)
        self.blocks: dict[str, tuple[str, int, str]] = {}  # marker -> (sheet title, first row, <row> elements)

    def sheet(self, title: str, widths: list[float], *, header_rows: int = 1, footer: str | None = None) -> _Sheet:
        return _Sheet(self, title, widths, header_rows=header_rows, footer=footer)

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.book.save(buffer)
        if not self.blocks:
            return buffer.getvalue()
        result = io.BytesIO()
        spliced: set[str] = set()
        with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                content = source.read(item.filename)
                if item.filename.startswith("xl/worksheets/") and item.filename.endswith(".xml"):
                    content = self._splice(content.decode("utf-8"), spliced).encode("utf-8")
                target.writestr(item, content, compress_type=zipfile.ZIP_DEFLATED)
        lost = [
            f"sheet {title!r} (marker {marker}, row {row})"
            for marker, (title, row, _xml) in self.blocks.items()
            if marker not in spliced
        ]
        if lost:
            raise RuntimeError(
                f"The summary workbook would lack the data rows of {', '.join(lost)}: the saved file "
                "no longer holds the marker row they replace. Fix: check how this openpyxl version "
                "writes a write-only text cell (an inline string is expected) and adapt _Book._splice."
            )
        return result.getvalue()

    def _splice(self, xml: str, spliced: set[str]) -> str:
        """One worksheet part with the marker row of its data block (if any) replaced by the block's rows; the
        markers replaced are added to ``spliced``."""
        for marker, (title, row, rows_xml) in self.blocks.items():
            at = xml.find(marker)
            if at < 0:
                continue  # another sheet's block
            start = xml.rfind(f'<row r="{row}"', 0, at)
            if start < 0:
                raise RuntimeError(
                    f"The summary workbook's sheet {title!r} holds its marker {marker} outside row "
                    f"{row}. Fix: append every row above the block through _Sheet.append, which "
                    "counts them."
                )
            end = xml.index("</row>", at) + len("</row>")
            xml = xml[:start] + rows_xml + xml[end:]
            spliced.add(marker)
        return xml


class _Sheet:
    """One write-only sheet: title and header rows through openpyxl, then at most one data block.  It prints
    landscape, one page wide, its first ``header_rows`` rows repeated on every page and ``footer`` with the
    page number at the foot (set before the first row: a write-only sheet writes its properties then)."""

    def __init__(self, book: _Book, title: str, widths: list[float], *, header_rows: int, footer: str | None):
        self.owner = book
        self.ws = book.book.create_sheet(title)
        self.rows = 0
        self.closed = False
        self.widths = widths
        for i, width in enumerate(widths):
            self.ws.column_dimensions[_LETTERS[i]].width = width
        print_setup(self.ws, header_rows=header_rows, title=footer)

    def cell(
        self,
        value=None,
        *,
        number_format: str | None = None,
        font: Font | None = None,
        fill: PatternFill | None = None,
        wrap: bool = False,
    ) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=neutralise(value))
        if number_format:
            cell.number_format = number_format
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
        if wrap:
            cell.alignment = _WRAP
        return cell

    def style(self, number_format: str | None = None, font: Font | None = None) -> int:
        """The workbook's style id for a number format and font (0 for the default style)."""
        if not number_format and not font:
            return 0
        return self.cell(number_format=number_format, font=font).style_id

    def append(self, values: list) -> None:
        if self.closed:
            raise RuntimeError("no rows can follow a data block")
        wrapped = [
            (v.value, self.widths[i])
            for i, v in enumerate(values)
            if isinstance(v, Cell) and v.alignment.wrap_text and i < len(self.widths)
        ]
        height = wrapped_height(wrapped)
        if height:  # before the row is written: LibreOffice keeps the height it is given
            self.ws.row_dimensions[self.rows + 1].height = height
        self.ws.append(neutralise_row(values))  # free text (title, location) is never a formula
        self.rows += 1

    def title(self, text: str) -> None:
        self.append([self.cell(text, font=_TITLE_FONT)])

    def header(self, labels: list[str]) -> None:
        self.append([self.cell(label, font=_HEADER_FONT, fill=_HEADER_FILL, wrap=True) for label in labels])

    def block(self, rows: list[tuple[list, list[int]]]) -> tuple[int, int]:
        """Append (values, style ids) rows as the sheet's last rows; returns their first and last row."""
        first = self.rows + 1
        if not rows:
            return first, first - 1
        if self.closed:
            raise RuntimeError("no rows can follow a data block")
        marker = f"@@summary-report-block-{len(self.owner.blocks)}@@"
        self.ws.append([marker])  # not through append(): the marker must stay as it is to be found
        self.rows += 1
        self.owner.blocks[marker] = (self.ws.title, first, _xml_rows(rows, first))
        self.rows += len(rows) - 1
        self.closed = True
        return first, self.rows


def _summary_sheet(book: _Book, data: SummaryData) -> None:
    z = data.zone
    sheet = book.sheet("Summary", [44, 40, 70], header_rows=5, footer=_footer(data, "summary"))
    sheet.ws.freeze_panes = "A6"
    sheet.title(f"{data.cooperative}: {TITLE}")
    sheet.append([f"Incident #{data.incident_id}: {data.incident_title}"])
    sheet.append(
        [
            f"Times are local time in {zone_name(z)} (column C shows the zone abbreviation); "
            "durations are real elapsed time."
        ]
    )
    sheet.append([])
    sheet.header(["Field", "Value", "As shown / unit"])

    # Every field row wraps within the column widths, top-aligned, its height set to fit: text running on into
    # the next columns would print on pages of its own.
    def field(label: str, value, shown: str | None = None, number_format: str | None = None) -> None:
        cells = [sheet.cell(label, wrap=True), sheet.cell(value, number_format=number_format, wrap=True)]
        sheet.append(cells + ([sheet.cell(shown, wrap=True)] if shown is not None else []))

    def when(label: str, moment: datetime, note: str = "") -> None:
        shown = format_time(moment, z) + (f" ({note})" if note else "")
        field(label, _excel_time(moment, z), shown, DATETIME_FORMAT)

    def count(label: str, value: float, note: str) -> None:
        field(label, value, note, COUNT_FORMAT)

    field("Incident", data.incident_id, data.incident_title)
    when("Date and time of the significant interruption", data.started_at)
    when("Date and time of full restoration", data.restored_at)
    field("Duration", data.duration, f"{format_duration(data.duration)} (real elapsed time)", DURATION_FORMAT)
    field("Cause(s)", causes_text(data))
    field("Location", data.location)
    count("Affected facilities", len(data.facilities), "see the Facilities sheet")
    count(
        "Total members affected",
        data.total_members_affected,
        "members, each counted once"
        + (
            f"; {format_count(data.members_unlocated)} of them counted but never located"
            if data.members_unlocated
            else ""
        ),
    )
    count("Peak members out", data.peak_members_out, "members out at the same time")
    when("Peak members out at", data.peak_at)
    count("Partial or step restorations", len(data.steps), "see the Restoration steps sheet")
    count("Total member-minutes", data.total_member_minutes, f"member-minutes: {MEMBER_MINUTES_NOTE}")
    when("Summary report due", data.due_at, DUE_NOTE)
    for line in data.criteria:
        field("Significance criterion met", line)
    for note in data.notes + ([ROWS_NOTE] if data.rows_overlap else []):
        field("Note", note)


def _text_width(least: float, values: Iterable[str | None], most: float = 48) -> float:
    """A text column's width [characters]: ``least``, or wider for its longest value, up to ``most`` (the
    data rows are not wrapped: a value wider than its column would be cut off by the next one)."""
    return max(least, min(most, max((len(v) + 2 for v in values if v), default=0)))


FACILITY_COLUMNS = [
    "Substation",
    "Feeder",
    "Transmission line",
    "Device",
    "Cause",
    "Start",
    "TZ",
    "Full restoration",
    "TZ",
    "Duration",
    "Members affected",
    "Member-minutes",
]


def _facilities_sheet(book: _Book, data: SummaryData) -> None:
    z = data.zone
    facilities = data.facilities
    widths = [
        _text_width(12, (f.substation for f in facilities)),  # a line's substations: "LE-S02, LE-S03"
        _text_width(14, (f.feeder for f in facilities)),
        _text_width(18, (f.transmission_line for f in facilities)),
        _text_width(16, (f.device for f in facilities)),
        _text_width(26, (f.cause for f in facilities)),
    ] + [22, 6, 22, 6, 10, 17, 18]
    sheet = book.sheet("Facilities", widths, header_rows=3, footer=_footer(data, "affected facilities"))
    sheet.ws.freeze_panes = "A4"
    sheet.title(f"Affected facilities: {len(data.facilities):,}")
    sheet.append(
        [f"Incident #{data.incident_id}. Times are local ({zone_name(z)}); duration is real elapsed time (h:mm)."]
    )
    sheet.header(FACILITY_COLUMNS)
    when, length, number = sheet.style(DATETIME_FORMAT), sheet.style(DURATION_FORMAT), sheet.style(COUNT_FORMAT)
    styles = [0, 0, 0, 0, 0, when, 0, when, 0, length, number, number]
    rows: list[tuple[list, list[int]]] = []
    members = 0
    minutes: float = 0
    for f in data.facilities:
        rows.append(
            (
                [
                    f.substation,
                    f.feeder,
                    f.transmission_line,
                    f.device,
                    f.cause,
                    _excel_time(f.started_at, z),
                    f.started_at.astimezone(z).tzname(),
                    _excel_time(f.restored_at, z),
                    f.restored_at.astimezone(z).tzname(),
                    f.duration,
                    f.members_affected,
                    f.member_minutes,
                ],
                styles,
            )
        )
        members += f.members_affected
        minutes += f.member_minutes
    bold, bold_number = sheet.style(font=_BOLD), sheet.style(COUNT_FORMAT, _BOLD)
    rows.append(
        (
            [f"Total ({len(data.facilities):,} facilities){ROWS_TOTAL_NOTE if data.rows_overlap else ''}"]
            + [None] * 9
            + [members, minutes],
            [bold] + [0] * 9 + [bold_number, bold_number],
        )
    )
    first, last = sheet.block(rows)
    if data.facilities:
        sheet.ws.auto_filter.ref = f"A3:L{last - 1}"


STEP_COLUMNS = ["Date", "Time", "TZ", "Facility", "Members restored", "Members still out"]


def _steps_sheet(book: _Book, data: SummaryData) -> None:
    z = data.zone
    widths = [18, 8, 6, _text_width(28, (s.facility for s in data.steps)), 18, 18]
    sheet = book.sheet("Restoration steps", widths, header_rows=3, footer=_footer(data, "steps"))
    sheet.ws.freeze_panes = "A4"
    sheet.title(f"Partial and step restorations: {len(data.steps):,}")
    sheet.append([f"Local time ({zone_name(z)}). Members still out: incident-wide, after the step."])
    sheet.header(STEP_COLUMNS)
    number = sheet.style(COUNT_FORMAT)
    styles = [sheet.style(DATE_FORMAT), sheet.style(TIME_FORMAT), 0, 0, number, number]
    rows = []
    for s in data.ordered_steps:
        t = s.at.astimezone(z)
        rows.append(
            (
                [
                    t.date(),
                    t.time().replace(microsecond=0),
                    t.tzname(),
                    s.facility,
                    s.members_restored,
                    s.members_out_after,
                ],
                styles,
            )
        )
    first, last = sheet.block(rows)
    if data.steps:
        sheet.ws.auto_filter.ref = f"A3:F{last}"


def step_points(timeline: list[tuple[datetime, int]]) -> list[tuple[datetime, int]]:
    """The timeline as the corners of a step line: before each change, the previous value is repeated at
    the change's time, so straight lines between the points draw stairs."""
    points: list[tuple[datetime, int]] = []
    for moment, out in sorted(timeline, key=lambda p: p[0]):
        if points:
            points.append((moment, points[-1][1]))
        points.append((moment, out))
    return points


def _timeline_sheet(book: _Book, data: SummaryData) -> None:
    z = data.zone
    sheet = book.sheet("Members out over time", [22, 6, 14, 3, 22, 20], header_rows=3, footer=_footer(data, "timeline"))
    sheet.ws.freeze_panes = "A4"
    sheet.title("Members out over time")
    # As short as the columns are wide: longer, it would run on and print on a page of its own.
    sheet.append([f"Local time ({zone_name(z)}). Columns E-F: the same as a step line, for the chart."])
    sheet.header(["Time", "TZ", "Members out", "", "Chart: time", "Chart: members out"])
    points = sorted(data.timeline, key=lambda p: p[0])
    stairs = step_points(points)
    when, number = sheet.style(DATETIME_FORMAT), sheet.style(COUNT_FORMAT)
    styles = [when, 0, number, 0, when, number]
    rows = []
    for i in range(len(stairs)):
        row: list = [None] * 6
        if i < len(points):
            moment = points[i][0].astimezone(z)
            row[0:3] = [moment.replace(tzinfo=None, microsecond=0), moment.tzname(), points[i][1]]
        row[4:6] = [_excel_time(stairs[i][0], z), stairs[i][1]]
        rows.append((row, styles))
    first, last = sheet.block(rows)
    if not stairs:
        return
    chart = ScatterChart()
    chart.title = "Members out over time"
    chart.style = 2
    chart.height, chart.width = 9, 22
    chart.legend = None
    chart.x_axis.title = f"Local time ({zone_name(z)})"
    chart.y_axis.title = "Members out"
    chart.x_axis.number_format = "d mmm hh:mm"
    chart.y_axis.number_format = COUNT_FORMAT
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    xs = Reference(sheet.ws, min_col=5, min_row=first, max_row=last)
    ys = Reference(sheet.ws, min_col=6, min_row=first, max_row=last)
    series = Series(ys, xs, title="Members out")
    series.marker.symbol = "none"
    series.smooth = False
    series.graphicalProperties.line.width = 20000
    series.graphicalProperties.line.solidFill = "1F5C99"
    chart.series.append(series)
    # Below the figures, on a page of its own: beside them it would make the sheet two pages wide.
    anchor = last + 2
    sheet.ws.add_chart(chart, f"A{anchor}")
    page_break_before(sheet.ws, anchor)


def _footer(data: SummaryData, part: str) -> str:
    return f"Summary report, incident #{data.incident_id}: {part}"


def summary_workbook(data: SummaryData) -> bytes:
    """The summary report as an .xlsx: sheets 'Summary' (every field as label / value / text rows),
    'Facilities' (one row per affected facility and a total row), 'Restoration steps' (one row per step)
    and 'Members out over time' (the timeline, its step-line series and a scatter chart of it below them, on a
    printed page of its own).  Every sheet prints landscape, one page wide, its header rows on every page."""
    book = _Book()
    _summary_sheet(book, data)
    _facilities_sheet(book, data)
    _steps_sheet(book, data)
    _timeline_sheet(book, data)
    return book.save()


# ------------------------------------------------------------------------------------- chart (PNG)


def timeline_png(data: SummaryData, *, width: float = 10.0, height: float = 3.2, dpi: int = 110) -> bytes | None:
    """A step chart of members out over time (local time axis) as PNG bytes; None without a timeline."""
    if not data.timeline:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    points = sorted(data.timeline, key=lambda p: p[0])
    times = [p[0] for p in points]
    values = [p[1] for p in points]
    if data.restored_at > times[-1]:
        times.append(data.restored_at)
        values.append(values[-1])
    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # matplotlib's stubs leave out the datetime x values its date units accept
    axes.step(times, values, where="post", color="#1f5c99", linewidth=1.4)  # type: ignore[arg-type]
    axes.fill_between(times, values, step="post", color="#1f5c99", alpha=0.12)  # type: ignore[arg-type]
    axes.set_ylim(bottom=0)
    axes.set_ylabel("Members out")
    axes.set_xlabel(f"Local time ({zone_name(data.zone)})")
    axes.xaxis.set_major_locator(AutoDateLocator(tz=data.zone, maxticks=10))
    axes.xaxis.set_major_formatter(DateFormatter("%d %b %H:%M", tz=data.zone))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    axes.grid(True, color="#dddddd", linewidth=0.6)
    axes.set_title("Members out over time", fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _chart_img(data: SummaryData) -> str:
    png = timeline_png(data)
    if png is None:
        return ""
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return f"<p><img src='{uri}' alt='Members out over time' style='width:100%; max-width:250mm'></p>"


# --------------------------------------------------------------------------------------- HTML / PDF


def _facility_row(f: FacilityRow, zone: tzinfo) -> list:
    return [
        f.substation or "",
        f.line,
        f.device or "",
        f.cause,
        format_time(f.started_at, zone),
        format_time(f.restored_at, zone),
        format_duration(f.duration),
        format_count(f.members_affected),
        format_count(f.member_minutes),
    ]


FACILITY_HEADERS = [
    "Substation",
    "Feeder / transmission line",
    "Device",
    "Cause",
    "Start",
    "Full restoration",
    "Duration",
    "Members affected",
    "Member-minutes",
]
STEP_HEADERS = ["Date", "Time", "Facility", "Members restored", "Members still out"]


def _facilities_table(data: SummaryData) -> str:
    rows = [_facility_row(f, data.zone) for f in data.facilities]
    rows.append(
        [
            "Total",
            "",
            "",
            "",
            "",
            "",
            "",
            format_count(sum(f.members_affected for f in data.facilities)),
            format_count(sum(f.member_minutes for f in data.facilities)),
        ]
    )
    return (
        "<div class='facilities'>"
        f"{table(FACILITY_HEADERS, rows, numeric={7, 8}, classes={len(rows) - 1: 'total'})}</div>"
    )


def _steps_table(data: SummaryData) -> str:
    z = data.zone
    rows = [
        [
            format_date(s.at, z),
            format_clock(s.at, z),
            s.facility,
            format_count(s.members_restored),
            format_count(s.members_out_after),
        ]
        for s in data.ordered_steps
    ]
    return table(STEP_HEADERS, rows, numeric={3, 4})


def _fixed(values: list[str], widths: list[int], right: set[int]) -> str:
    return "  ".join(v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths)))


# The compact listings: WeasyPrint's cost grows with every line and every glyph, so these use one line
# per facility and several steps per line, in a small monospaced font, without repeating what a heading
# says.  5.5 pt DejaVu Sans Mono is 3.31 pt a character: 218 characters across letter landscape.
LISTING_FONT_PT = 5.5
LISTING_CHARS = 216


def _facilities_listing(data: SummaryData) -> list[str]:
    """Every facility as one fixed-width line (times without the year when the incident is in one year)."""
    z = data.zone
    one_year = (
        len(
            {f.started_at.astimezone(z).year for f in data.facilities}
            | {f.restored_at.astimezone(z).year for f in data.facilities}
        )
        <= 1
    )

    def short(moment: datetime) -> str:
        t = moment.astimezone(z)
        year = "" if one_year else f" {t.year}"
        return f"{t.day:2d} {MONTHS[t.month - 1]}{year} {t.hour:02d}:{t.minute:02d} {t.tzname()}"

    headers = [
        "Substation",
        "Feeder / line",
        "Device",
        "Start",
        "Full restoration",
        "Members",
        "Member-minutes",
        "Cause",
    ]
    rows = [
        [
            f.substation or "-",
            f.line or "-",
            f.device or "-",
            short(f.started_at),
            short(f.restored_at),
            format_count(f.members_affected),
            format_count(f.member_minutes),
            f.cause,
        ]
        for f in data.facilities
    ]
    rows.append(
        [
            "Total",
            "",
            "",
            "",
            "",
            format_count(sum(f.members_affected for f in data.facilities)),
            format_count(sum(f.member_minutes for f in data.facilities)),
            "",
        ]
    )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    widths[-1] = 0
    right = {5, 6}
    note = []
    if one_year and data.facilities:
        note = [f"All times in {data.facilities[0].started_at.astimezone(z).year}, local ({zone_name(z)})."]
    lines = note + [
        _fixed(headers, widths, right).rstrip(),
        _fixed(["-" * w for w in widths[:-1]] + [""], widths, right).rstrip(),
    ]
    lines += [_fixed(r, widths, right).rstrip() for r in rows]
    return lines


def _steps_listing(data: SummaryData) -> list[str]:
    """Every step as 'time facility restored (still out)', as many a line as fit, read across, under a
    heading per local date and zone abbreviation."""
    z = data.zone
    entries = []
    for s in data.ordered_steps:
        t = s.at.astimezone(z)
        entries.append(
            (
                f"{format_date(s.at, z)} ({t.tzname()})",
                f"{t.hour:02d}:{t.minute:02d} {s.facility} {format_count(s.members_restored)} "
                f"({format_count(s.members_out_after)})",
            )
        )
    # Entries of one width line up in columns; pad them to one width when that costs little.
    width = max((len(e) for _, e in entries), default=0)
    pad = width * len(entries) <= 1.15 * sum(len(e) for _, e in entries)
    lines = [
        "Each entry: local time, facility, members restored (members still out incident-wide "
        "after the step); read across, then down."
    ]
    heading, current = None, ""
    for day, entry in entries:
        if day != heading:
            if current:
                lines.append(current.rstrip())
            lines += ["", day]
            heading, current = day, ""
        if pad:
            entry = entry.ljust(width)
        if current and len(current) + 3 + len(entry) > LISTING_CHARS:
            lines.append(current.rstrip())
            current = entry
        else:
            current = f"{current}   {entry}" if current else entry
    if current:
        lines.append(current.rstrip())
    return lines


EXTRA_STYLE = """
table.fields th { width: 34%; } tr.total td { font-weight: bold; background: #f4f4f4; }
div.facilities td { white-space: nowrap; } div.facilities td:nth-child(4) { white-space: normal; }
pre.listing { font-family: "DejaVu Sans Mono", monospace; font-size: LISTING_PT; line-height: 1.2; margin: 0; }
ul.criteria { margin: 0 0 3mm 0; padding-left: 5mm; }
""".replace("LISTING_PT", f"{LISTING_FONT_PT}pt")


def _fields_table(data: SummaryData) -> str:
    rows = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in summary_fields(data)
    )
    return f"<table class='fields'><tbody>{rows}</tbody></table>"


LISTED_AFTER = "<p>Listed in full on the listing pages that follow.</p>"


def _body(data: SummaryData, *, compact_facilities: bool, compact_steps: bool) -> str:
    criteria = "".join(f"<li>{escape(line)}</li>" for line in data.criteria) or "<li>(none recorded)</li>"
    parts = [
        f"<style>{EXTRA_STYLE}</style>",
        f"<h1>{escape(TITLE)}</h1>",
        f"<p class='meta'>{escape(data.cooperative)} · incident #{data.incident_id}: "
        f"{escape(data.incident_title)} · times in {escape(zone_name(data.zone))}</p>",
        _fields_table(data),
        "<h2>Why the interruption was significant</h2>",
        f"<ul class='criteria'>{criteria}</ul>",
        _chart_img(data),
        f"<h2>Affected facilities ({len(data.facilities):,})</h2>",
        LISTED_AFTER if compact_facilities else _facilities_table(data),
        f"<p class='meta'>{escape(ROWS_NOTE)}</p>" if data.rows_overlap else "",
        f"<h2>Partial and step restorations ({len(data.steps):,})</h2>",
        (LISTED_AFTER if compact_steps else _steps_table(data))
        if data.steps
        else "<p>No partial or step restorations recorded.</p>",
        f"<p class='meta'>Member-minutes: {escape(MEMBER_MINUTES_NOTE)}. Durations are real elapsed time. "
        f"The report is due at the {escape(DUE_NOTE)}.</p>",
    ]
    return "".join(parts)


def _title(data: SummaryData) -> str:
    return f"{TITLE}: incident #{data.incident_id}"


def summary_pdf(data: SummaryData, *, compact: bool | None = None) -> bytes:
    """The summary report as a PDF (letter landscape, house style).  ``compact`` forces (True) or forbids
    (False) the compact listings for facilities and steps; by default they are used only for long lists
    (see :data:`PDF_TABLE_FACILITIES`, :data:`PDF_TABLE_STEPS`)."""
    facilities = len(data.facilities) > PDF_TABLE_FACILITIES if compact is None else compact
    steps = (len(data.steps) > PDF_TABLE_STEPS if compact is None else compact) and bool(data.steps)
    main = render_pdf(_title(data), _body(data, compact_facilities=facilities, compact_steps=steps))
    sections = (
        [(f"Affected facilities ({len(data.facilities):,})", _facilities_listing(data))] if facilities else []
    ) + ([(f"Partial and step restorations ({len(data.steps):,})", _steps_listing(data))] if steps else [])
    return merge_pdfs([main, listing_pdf(_title(data), sections, font_size=LISTING_FONT_PT)]) if sections else main


def summary_html(data: SummaryData) -> str:
    """The summary report as a standalone HTML page (inline style and chart), full tables."""
    screen = "body { max-width: 1100px; margin: 1.5em auto; font-size: 10pt; } h1 { font-size: 16pt; }"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(_title(data))}</title><style>{STYLE}{screen}</style></head><body>"
        f"{_body(data, compact_facilities=False, compact_steps=False)}</body></html>"
    )
