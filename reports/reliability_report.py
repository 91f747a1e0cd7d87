"""The annual reliability report (IEEE Std 1366 indices) as an Excel workbook for the board and regulators
and as a PDF for executives.

Both are drawn from one :class:`outages.reliability.AnnualReliability` (``annual_reliability(...)``): the
numbers in the workbook are the engine's, unrounded, with number formats; the PDF rounds for reading
(SAIFI to 3 decimals, minutes to 1) and embeds matplotlib plots (Agg backend, PNG data URIs).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from html import escape
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from gis.spreadsheets import neutralise
from gis.workbook_print import LINE_HEIGHT, page_break_before, print_setup
from outages.regulatory import Eia861, PuraWorstFeeders
from outages.reliability import AnnualReliability, history_note
from reports.pdf import render_pdf, table

TITLE = "Reliability report"
DAY_LABELS = {
    "all": "All days (with MEDs)",
    "normal": "Normal days (without MEDs)",
    "major_event": "Major event days only",
}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
HEADER_FILL = PatternFill("solid", fgColor="E8EEF4")
F_FREQ, F_MIN, F_ASAI, F_INT, F_PCT = "0.000", "#,##0.00", "0.000000", "#,##0", "0.0%"

# (column of the engine's tables, heading, number format) for the system summary
SUMMARY_COLUMNS = [
    ("members_served", "Members served", F_INT),
    ("sustained_records", "Sustained records", F_INT),
    ("momentary_records", "Momentary records", F_INT),
    ("member_interruptions", "Member interruptions", F_INT),
    ("member_minutes", "Member-minutes", F_INT),
    ("saifi", "SAIFI", F_FREQ),
    ("saidi", "SAIDI (min)", F_MIN),
    ("caidi", "CAIDI (min)", F_MIN),
    ("asai", "ASAI", F_ASAI),
    ("maifi", "MAIFI", F_FREQ),
    ("maifie", "MAIFIe", F_FREQ),
    ("caifi", "CAIFI", F_FREQ),
    ("ctaidi", "CTAIDI (min)", F_MIN),
    ("cemi", "CEMI_n", "0.0000"),
    ("cemsmi", "CEMSMI_n", "0.0000"),
    ("celid_s", "CELID_s", "0.0000"),
    ("celid_t", "CELID_t", "0.0000"),
    ("major_event_days", "Major event days", F_INT),
    ("t_med", "T_MED (min)", F_MIN),
]


# --------------------------------------------------------------------------------------------------
# helpers


def _cell(value: Any) -> Any:
    """A value openpyxl can store: NaN/NA -> empty, numpy scalars -> Python, formula-like text quoted."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return neutralise(value)  # feeder, division and cause names are free text: never a formula


def _col(name: str, n: int) -> str:
    return {"cemi": f"cemi_{n}", "cemsmi": f"cemsmi_{n}"}.get(name, name)


def _heading(name: str, data: AnnualReliability) -> str:
    if name.startswith(("CEMI", "CEMSMI")):
        return name.replace("_n", f"_{data.n}")
    if name == "CELID_s":
        return f"CELID_s ({_hours(data.celid_s_hours)})"
    if name == "CELID_t":
        return f"CELID_t ({_hours(data.celid_t_hours)})"
    return name


def _hours(hours: float) -> str:
    return f"{hours:g} h"


def _classified(data: AnnualReliability, years: list[int]) -> list[int]:
    """The years whose major event days could be identified (T_MED defined)."""
    return [y for y in years if math.isfinite(data.meds[y].t_med.value)]


def _years_label(years: list[int]) -> str:
    if not years:
        return "(none)"
    if years == list(range(years[0], years[-1] + 1)) and len(years) > 1:
        return f"{years[0]}–{years[-1]}"
    return ", ".join(str(y) for y in years)


def _average(years: list[int]) -> str:
    """``Average 2021–2024``, or what stands in for it when no earlier year can be averaged."""
    return f"Average {_years_label(years)}" if years else "Average: no earlier year to compare"


def _period(data: AnnualReliability) -> str:
    last = (data.period_end - pd.Timedelta(days=1)).date()
    return f"{data.period_start.date().isoformat()} to {last.isoformat()}" + (
        " (year to date)" if data.year_to_date else ""
    )


def _subtitle(data: AnnualReliability) -> str:
    return (
        f"{_period(data)}, local days in {data.zone}; members served (N_T) {data.members_served:,} (current "
        f"count); IEEE Std 1366, momentary {data.momentary_max_minutes:g} minutes or less; major event days by "
        f"the 2.5 beta method; generated {data.generated_at:%Y-%m-%d %H:%M} UTC."
    )


def _lines(text: Any, width: float, *, bold: bool = False) -> int:
    """How many lines ``text`` wraps to (word by word) in a column ``width`` characters wide."""
    chars = max(width * (0.95 if bold else 1.1) - 1, 1)
    lines = 0
    for part in str(text).split("\n"):
        lines += 1
        used = 0.0
        for word in part.split():
            if used and used + 1 + len(word) > chars:
                lines += 1 + int(len(word) // chars)
                used = len(word) % chars
            else:
                used += (1 if used else 0) + len(word)
    return max(lines, 1)


class _Sheet:
    """Writes titled tables with formatted headers into one worksheet, and sets it up to print
    (:func:`gis.workbook_print.print_setup` in :meth:`done`): the title, the subtitle and the notes wrap
    across the table's width, header rows are as tall as their wrapped headings, and the rows down to the
    first table's header repeat on every printed page."""

    def __init__(self, sheet, title: str, subtitle: str):
        self.sheet = sheet
        self.header_rows: list[int] = []
        self.headings: list[int] = []
        self.wrapped: list[int] = []  # rows of one long text, wrapped across the table
        self.title = title
        sheet.append([neutralise(title)])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([neutralise(subtitle)])
        sheet["A2"].font = Font(italic=True, color="444444")
        self.wrapped.append(2)
        sheet.append([])

    @property
    def row(self) -> int:
        return self.sheet.max_row

    def heading(self, text: str) -> None:
        self.sheet.append([neutralise(text)])
        self.sheet.cell(self.row, 1).font = Font(bold=True, size=11)
        self.headings.append(self.row)

    def text(self, text: str) -> None:
        """A line of text under a table (wrapped across the table)."""
        self.sheet.append([neutralise(text)])
        self.wrapped.append(self.row)

    def header(self, headers: list[str]) -> int:
        self.sheet.append(headers)
        r = self.row
        for cell in self.sheet[r]:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        self.header_rows.append(r)
        return r

    def rows(self, rows: list[list], formats: list[str | None], *, bold: AbstractSet[int] = frozenset()) -> None:
        for i, values in enumerate(rows):
            self.sheet.append([_cell(v) for v in values])
            r = self.row
            for j, fmt in enumerate(formats, start=1):
                if fmt:
                    self.sheet.cell(r, j).number_format = fmt
                if i in bold:
                    self.sheet.cell(r, j).font = Font(bold=True)

    def notes(self, notes: list[str]) -> None:
        self.sheet.append([])
        self.heading("Notes")
        for note in notes:
            self.text(note)

    def widths(self, widths: Sequence[float]) -> None:
        for i, w in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(i)].width = w

    def done(self, *, columns: int, repeat: int | None = None) -> None:
        """Wrap the long text rows across ``columns`` columns, size the header rows, set up printing with rows
        1 to ``repeat`` (default: the first header row) on every page."""
        ws = self.sheet
        for r in self.header_rows:  # a heading's longest word fits its column
            for j in range(1, columns + 1):
                words = str(ws.cell(r, j).value or "").split()
                dim = ws.column_dimensions[get_column_letter(j)]
                dim.width = max(dim.width or 8.43, max((len(w) for w in words), default=0) * 1.1 + 2)
        widths = [ws.column_dimensions[get_column_letter(i)].width or 8.43 for i in range(1, columns + 1)]
        total = sum(widths)
        for r in self.wrapped:
            if columns > 1:
                ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=columns)
            cell = ws.cell(r, 1)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[r].height = LINE_HEIGHT * _lines(cell.value or "", total)
        for r in self.header_rows:
            lines = max(
                (_lines(ws.cell(r, j).value or "", w, bold=True) for j, w in enumerate(widths, start=1)), default=1
            )
            ws.row_dimensions[r].height = LINE_HEIGHT * lines
        skip = set(self.wrapped) | set(self.header_rows) | set(self.headings) | {1}
        for r in range(1, ws.max_row + 1):  # long text in a table cell wraps in its column
            if r in skip:
                continue
            lines = 1
            for j, w in enumerate(widths, start=1):
                value = ws.cell(r, j).value
                if isinstance(value, str) and len(value) > w:
                    ws.cell(r, j).alignment = Alignment(wrap_text=True, vertical="top")
                    lines = max(lines, _lines(value, w))
            if lines > 1:
                ws.row_dimensions[r].height = LINE_HEIGHT * lines
                for j in range(1, columns + 1):
                    cell = ws.cell(r, j)
                    cell.alignment = Alignment(
                        wrap_text=cell.alignment.wrap_text, vertical="top", horizontal=cell.alignment.horizontal
                    )
        first = repeat if repeat is not None else (self.header_rows[0] if self.header_rows else 2)
        print_setup(ws, header_rows=first, title=self.title)


# --------------------------------------------------------------------------------------------------
# the workbook


def _summary_sheet(book: Workbook, data: AnnualReliability, cooperative: str) -> None:
    s = _Sheet(book.active, f"{cooperative}: {TITLE} {data.year}", _subtitle(data))
    s.sheet.title = "Summary"
    s.heading(f"System indices {data.years[0]}–{data.year}, with and without major event days (MEDs)")
    cols = [(_col(c, data.n), _heading(h, data), f) for c, h, f in SUMMARY_COLUMNS]
    header_row = s.header(["Year", "Days"] + [h for _, h, _ in cols])
    rows: list[list[Any]] = []
    bold: set[int] = set()
    for year in data.years:
        for days, label in DAY_LABELS.items():
            row = data.summary.loc[(year, days)]
            if year == data.year and days != "major_event":
                bold.add(len(rows))
            rows.append([year, label] + [row.get(c) for c, _, _ in cols])
    previous = data.years[:-1]
    for days in ("all", "normal"):
        # without MEDs, only the years whose major event days could be identified are comparable
        years = previous if days == "all" else _classified(data, previous)
        avg = data.summary.loc[[(y, days) for y in years]].mean(numeric_only=True) if years else pd.Series(dtype=float)
        rows.append([_average(years), DAY_LABELS[days]] + [avg.get(c) for c, _, _ in cols])
    s.rows(rows, [F_INT.replace(",", ""), None] + [f for _, _, f in cols], bold=bold)
    s.sheet.freeze_panes = s.sheet.cell(header_row + 1, 3)
    s.sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(cols) + 2)}{header_row + len(rows)}"
    unclassified = [y for y in data.years if y not in _classified(data, data.years)]
    extra = [
        f"CEMI_{data.n}/CEMSMI_{data.n}: members with more than {data.n} interruptions.",
        f"CELID_s: members with a single sustained interruption longer than {_hours(data.celid_s_hours)}; "
        f"CELID_t: members whose sustained interruptions add up to more than {_hours(data.celid_t_hours)} in "
        "the year (IEEE 1366, customers experiencing long interruption durations).",
    ]
    if unclassified:
        extra.append(
            f"Major event days could not be identified for {_years_label(unclassified)} (too little "
            "earlier history for T_MED): 'without MEDs' equals 'with MEDs' there, and the average "
            "without MEDs leaves those years out."
        )
    s.notes(data.notes + extra)
    s.widths([20, 26] + [12] * len(cols))
    s.done(columns=len(cols) + 2)


def _monthly_sheet(book: Workbook, data: AnnualReliability) -> None:
    s = _Sheet(
        book.create_sheet("Monthly"),
        f"SAIDI and SAIFI by month, {data.year}",
        "An interruption counts in the month (local time) it began; normal days leave out the major event days.",
    )
    header_row = s.header(
        [
            "Month",
            "SAIDI all days (min)",
            "SAIDI normal days (min)",
            "SAIFI all days",
            "SAIFI normal days",
            "Sustained records",
            "Member-minutes",
        ]
    )
    m = data.monthly
    s.rows(
        [
            [
                MONTHS[i - 1],
                m.at[i, "saidi"],
                m.at[i, "saidi_normal"],
                m.at[i, "saifi"],
                m.at[i, "saifi_normal"],
                m.at[i, "sustained_records"],
                m.at[i, "member_minutes"],
            ]
            for i in m.index
        ],
        [None, F_MIN, F_MIN, F_FREQ, F_FREQ, F_INT, F_INT],
    )
    s.sheet.freeze_panes = s.sheet.cell(header_row + 1, 2)
    s.widths([10, 14, 14, 12, 12, 12, 16])
    s.done(columns=7, repeat=2)  # the title: the table fits one page, the charts have a page of their own
    first, last = header_row + 1, header_row + len(m)
    charts = last + 2  # the charts print on a page of their own, under the table
    page_break_before(s.sheet, charts)
    cats = Reference(s.sheet, min_col=1, min_row=first, max_row=last)

    bar = BarChart()
    bar.type, bar.title = "col", f"SAIDI by month, {data.year} (minutes)"
    bar.y_axis.title, bar.x_axis.title = "minutes", "month"
    bar.y_axis.number_format = "#,##0"
    bar.add_data(Reference(s.sheet, min_col=2, max_col=3, min_row=header_row, max_row=last), titles_from_data=True)
    bar.set_categories(cats)
    bar.height, bar.width = 7.5, 22
    s.sheet.add_chart(bar, f"A{charts}")

    line = LineChart()
    line.title = f"SAIFI by month, {data.year}"
    line.y_axis.title, line.x_axis.title = "interruptions per member", "month"
    line.y_axis.number_format = "0.00"
    line.add_data(Reference(s.sheet, min_col=4, max_col=5, min_row=header_row, max_row=last), titles_from_data=True)
    line.set_categories(cats)
    for series in line.series:
        series.smooth = False
    line.height, line.width = 7.5, 22
    s.sheet.add_chart(line, f"A{charts + 16}")


def _days(frame: pd.DataFrame, days: str) -> pd.DataFrame:
    """The rows of one day type (none when the period has no records to group)."""
    if days in frame.index.get_level_values("days"):
        return frame.xs(days, level="days")
    return frame.iloc[:0].droplevel("days")


def _group_rows(frame: pd.DataFrame, label_of=lambda g: g) -> list[tuple[Any, pd.Series, pd.Series]]:
    every, normal = _days(frame, "all"), _days(frame, "normal")
    return [(label_of(g), every.loc[g], normal.loc[g]) for g in every.index]


def _cause_sheet(book: Workbook, data: AnnualReliability) -> None:
    s = _Sheet(
        book.create_sheet("By cause"),
        f"Indices by cause, {data.year}",
        "Every cause is divided by the system's members served, so the causes add up to the system.",
    )
    header_row = s.header(
        [
            "Cause code",
            "Cause",
            "Sustained records",
            "Momentary records",
            "Member interruptions",
            "Member-minutes",
            "SAIFI",
            "SAIDI (min)",
            "CAIDI (min)",
            "Share of SAIDI",
            "MAIFI",
            "SAIFI normal days",
            "SAIDI normal days (min)",
        ]
    )
    total = data.system(days="all")["member_minutes"]
    rows = []
    for cause, a, nrm in _group_rows(data.by_cause):
        share = a["member_minutes"] / total if total else math.nan
        rows.append(
            [
                cause,
                a["label"],
                a["sustained_records"],
                a["momentary_records"],
                a["member_interruptions"],
                a["member_minutes"],
                a["saifi"],
                a["saidi"],
                a["caidi"],
                share,
                a["maifi"],
                nrm["saifi"],
                nrm["saidi"],
            ]
        )
    rows.sort(key=lambda r: -(r[7] if r[7] is not None and math.isfinite(r[7]) else -1))
    s.rows(rows, [None, None, F_INT, F_INT, F_INT, F_INT, F_FREQ, F_MIN, F_MIN, F_PCT, F_FREQ, F_FREQ, F_MIN])
    s.sheet.freeze_panes = s.sheet.cell(header_row + 1, 3)
    s.sheet.auto_filter.ref = f"A{header_row}:M{header_row + len(rows)}"
    s.widths([18, 26, 11, 11, 13, 14, 10, 10, 10, 10, 10, 12, 12])
    if not rows:
        s.text(f"No interruption in {data.year}.")
    s.done(columns=13)


def _division_sheet(book: Workbook, data: AnnualReliability) -> None:
    s = _Sheet(
        book.create_sheet("By division"),
        f"Indices by division, {data.year}",
        "A feeder belongs to the division holding most of its service points; a division's members "
        "served are those of its feeders. Transmission-line records belong to no division.",
    )
    cols = [
        "Division",
        "Members served",
        "Sustained records",
        "Member interruptions",
        "Member-minutes",
        "SAIFI",
        "SAIDI (min)",
        "CAIDI (min)",
        "ASAI",
        "MAIFI",
        "CAIFI",
        "SAIFI normal days",
        "SAIDI normal days (min)",
        "CAIDI normal days (min)",
    ]
    header_row = s.header(cols)
    rows = [
        [
            ("(transmission lines, no division)" if g == "(unassigned)" else g),
            a["members_served"],
            a["sustained_records"],
            a["member_interruptions"],
            a["member_minutes"],
            a["saifi"],
            a["saidi"],
            a["caidi"],
            a["asai"],
            a["maifi"],
            a["caifi"],
            nrm["saifi"],
            nrm["saidi"],
            nrm["caidi"],
        ]
        for g, a, nrm in _group_rows(data.by_division)
    ]
    s.rows(rows, [None, F_INT, F_INT, F_INT, F_INT, F_FREQ, F_MIN, F_MIN, F_ASAI, F_FREQ, F_FREQ, F_FREQ, F_MIN, F_MIN])
    s.sheet.freeze_panes = s.sheet.cell(header_row + 1, 2)
    s.widths([30] + [12] * (len(cols) - 1))
    s.done(columns=len(cols))


def _med_sheet(book: Workbook, data: AnnualReliability) -> None:
    s = _Sheet(
        book.create_sheet("Major event days"),
        "Major event days (IEEE 1366, 2.5 beta method)",
        "T_MED = exp(alpha + 2.5 beta) from the daily SAIDI of up to five years before each year (zero "
        "days dropped, natural logs, sample standard deviation); a day whose SAIDI exceeds T_MED is a "
        "major event day. Days are local calendar days; an interruption counts on the day it began.",
    )
    s.heading("Threshold per year")
    s.header(
        [
            "Year",
            "T_MED (min)",
            "alpha",
            "beta",
            "History from",
            "History to",
            "Years of history",
            "Days with SAIDI > 0",
            "Major event days",
            "Note",
        ]
    )
    rows = []
    for year in data.years:
        t = data.meds[year].t_med
        rows.append(
            [
                year,
                t.value,
                t.alpha,
                t.beta,
                t.first_day,
                t.last_day,
                t.years,
                t.nonzero_days,
                len(data.meds[year].dates),
                history_note(t, year) or "",
            ]
        )
    s.rows(rows, ["0", F_MIN, "0.0000", "0.0000", "yyyy-mm-dd", "yyyy-mm-dd", "0.00", F_INT, F_INT, None])
    s.sheet.append([])
    s.heading("Major event days")
    s.header(["Date", "Weekday", "Year", "Daily SAIDI (min)", "T_MED (min)", "SAIDI / T_MED"])
    rows = []
    for year in data.years:
        days = data.meds[year].days
        for day, r in days.iterrows():
            rows.append([day, day.strftime("%A"), year, r["saidi"], r["t_med"], r["saidi"] / r["t_med"]])
    s.rows(
        rows, ["yyyy-mm-dd", None, "0", F_MIN, F_MIN, "0.0"], bold={i for i, r in enumerate(rows) if r[2] == data.year}
    )
    if not rows:
        s.sheet.append(["No major event days in these years."])
    s.sheet.freeze_panes = s.sheet.cell(4, 1)
    s.widths([12, 12, 8, 14, 12, 14, 12, 12, 12, 60])
    s.done(columns=10, repeat=3)


WORST_COLUMNS = [
    ("Period", None),
    ("SAIDI rank", "0"),
    ("Feeder", None),
    ("Substation", None),
    ("Division", None),
    ("Members served", F_INT),
    ("Member interruptions", F_INT),
    ("Member-minutes", F_INT),
    ("SAIFI", F_FREQ),
    ("SAIDI (min)", F_MIN),
    ("SAIFI rank", "0"),
    ("Worst 10 % by SAIDI", None),
    ("Worst 10 % by SAIFI", None),
    ("SAIDI > 200 % of system", None),
    ("SAIDI > 300 % of system", None),
    ("SAIFI > 200 % of system", None),
    ("SAIFI > 300 % of system", None),
]


def _flagged(worst: pd.DataFrame) -> pd.DataFrame:
    flags = [c for c in worst.columns if c.startswith("worst_") or "_over_" in c]
    return worst[worst[flags].fillna(False).astype(bool).any(axis=1)]


def _worst_periods(data: AnnualReliability) -> list[tuple[str, pd.DataFrame]]:
    return [(str(data.year), data.worst_one_year), (f"{data.year - 1}–{data.year} (two years)", data.worst_two_years)]


def _worst_sheet(book: Workbook, data: AnnualReliability) -> None:
    periods = _worst_periods(data)
    averages = "; ".join(
        f"{label}: system SAIDI {w.attrs['system_saidi']:.2f} min, SAIFI {w.attrs['system_saifi']:.3f}"
        for label, w in periods
    )
    s = _Sheet(
        book.create_sheet("Worst feeders"),
        f"Worst-performing feeders, {data.year} and {data.year - 1}–{data.year}",
        "Normal days (major event days left out); feeders in the worst 10 % "
        f"by SAIDI or SAIFI, or above 200 % of the system average (feeders with at least 10 members). "
        f"Two-year figures are totals over both years. {averages}.",
    )
    header_row = s.header([h for h, _ in WORST_COLUMNS])
    rows = []
    for label, worst in periods:
        for feeder, r in _flagged(worst).iterrows():
            rows.append(
                [
                    label,
                    r["saidi_rank"],
                    feeder,
                    r["substation"],
                    r["division"],
                    r["members_served"],
                    r["member_interruptions"],
                    r["member_minutes"],
                    r["saifi"],
                    r["saidi"],
                    r["saifi_rank"],
                ]
                + [
                    "yes" if bool(r[c]) else ""
                    for c in (
                        "worst_saidi",
                        "worst_saifi",
                        "saidi_over_200pct",
                        "saidi_over_300pct",
                        "saifi_over_200pct",
                        "saifi_over_300pct",
                    )
                ]
            )
    s.rows(rows, [f for _, f in WORST_COLUMNS])
    s.sheet.freeze_panes = s.sheet.cell(header_row + 1, 4)
    s.sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(WORST_COLUMNS))}{header_row + len(rows)}"
    s.widths([22, 8, 10, 11, 26, 11, 12, 14, 9, 10, 8, 10, 10, 10, 10, 10, 10])
    quiet = _quiet(data)
    if quiet:
        s.text(quiet)
    s.done(columns=len(WORST_COLUMNS))


def _quiet(data: AnnualReliability) -> str | None:
    """What to say instead of an empty worst-feeder ranking: no sustained interruption on normal days (so
    every feeder's normal-day SAIDI is 0), with where the year's SAIDI went."""
    normal = data.system(days="normal")
    if normal["sustained_records"] > 0:
        return None
    every = data.system(days="all")
    if every["sustained_records"] == 0:
        return f"No sustained interruption in {_year_words(data)}: no feeder to rank."
    return (
        f"No sustained interruption on normal days in {_year_words(data)}: all {_f(every['saidi'], 1)} min of "
        "SAIDI fell on major event days, so no feeder is ranked."
    )


def _year_words(data: AnnualReliability) -> str:
    return f"{data.year} (year to date)" if data.year_to_date else str(data.year)


EIA_FORMATS = {"saidi": F_MIN, "saifi": F_FREQ, "minutes": F_MIN, "int": F_INT, "text": None}


def eia861_sheet(book: Workbook, eia: Eia861, *, sheet: Any = None) -> None:
    """The EIA-861 reliability items as a sheet (``sheet``: an existing empty worksheet, e.g. the active one)."""
    s = _Sheet(
        sheet if sheet is not None else book.create_sheet("EIA-861"),
        f"Form EIA-861 reliability items, {eia.period.label}",
        f"SAIDI, SAIFI and CAIDI with and without major event days, and without them and loss-of-supply events "
        f"({eia.standard}); customers = members served (service points now).",
    )
    s.sheet.title = "EIA-861"
    header_row = s.header(["Item", "Value"])
    for item, value, kind in eia.items():
        s.rows([[item, value]], [None, EIA_FORMATS[kind]])
        s.sheet.cell(s.row, 2).alignment = Alignment(horizontal="left")
    s.notes(eia.notes)
    s.sheet.freeze_panes = s.sheet.cell(header_row + 1, 1)
    s.widths([64, 60])
    s.done(columns=2)


PURA_COLUMNS = [
    ("Feeder", None, 10),
    ("Substation", None, 11),
    ("Members served", F_INT, 10),
    ("SAIDI (min)", F_MIN, 10),
    ("SAIDI rank", "0", 8),
    ("SAIFI", F_FREQ, 9),
    ("SAIFI rank", "0", 8),
    ("SAIDI year before (min)", F_MIN, 11),
    ("SAIDI rank year before", "0", 9),
    ("SAIFI year before", F_FREQ, 9),
    ("SAIFI rank year before", "0", 9),
    ("Fails", None, 40),
    ("Sustained records", F_INT, 10),
]
EVIDENCE_COLUMNS = [
    ("Feeder", None, 10),
    ("Record", None, 16),
    ("Start (local)", "yyyy-mm-dd hh:mm", 17),
    ("Duration (min)", F_MIN, 10),
    ("Members", F_INT, 10),
    ("Member-minutes", F_INT, 13),
    ("Cause", None, 26),
]


def pura_sheets(book: Workbook, pura: PuraWorstFeeders, *, sheet: Any = None) -> None:
    """The PURA §38.005 flagged feeders and their evidence, as two sheets ("PURA 38.005", "PURA evidence")."""
    s = _Sheet(
        sheet if sheet is not None else book.create_sheet("PURA 38.005"),
        f"Worst-performing feeders under PURA §38.005 (16 TAC §25.52), {pura.period.label}",
        f"Flagged: among the worst 10 % by SAIDI or SAIFI in {pura.year} and in {pura.before.year} (two years "
        "running), or SAIDI or SAIFI above 300 % of the system average in "
        f"{pura.year}. Normal days (major event days left out). System average {pura.year}: SAIDI "
        f"{pura.system_saidi:.2f} min, SAIFI {pura.system_saifi:.3f}; {pura.before.year}: SAIDI "
        f"{pura.system_saidi_before:.2f} min, SAIFI {pura.system_saifi_before:.3f}. {pura.feeders_ranked} feeders "
        f"ranked, the worst 10 % is {pura.worst_count}.",
    )
    s.sheet.title = "PURA 38.005"
    header_row = s.header([h for h, _, _ in PURA_COLUMNS])
    s.rows(
        [
            [
                f.feeder,
                f.substation,
                f.members_served,
                f.saidi,
                f.saidi_rank,
                f.saifi,
                f.saifi_rank,
                f.saidi_before,
                f.saidi_rank_before,
                f.saifi_before,
                f.saifi_rank_before,
                "; ".join(f.tests),
                f.records_in_all,
            ]
            for f in pura.flagged
        ],
        [fmt for _, fmt, _ in PURA_COLUMNS],
    )
    if not pura.flagged:
        s.text(f"No feeder is flagged in {pura.period.label}.")
    s.notes(pura.notes)
    s.sheet.freeze_panes = s.sheet.cell(header_row + 1, 2)
    s.widths([w for _, _, w in PURA_COLUMNS])
    s.done(columns=len(PURA_COLUMNS))

    e = _Sheet(
        book.create_sheet("PURA evidence"),
        f"Evidence: the flagged feeders' sustained records, {pura.period.label}",
        "Normal days; each feeder's records biggest (member-minutes) first, as logged (member-minutes by D12).",
    )
    header_row = e.header([h for h, _, _ in EVIDENCE_COLUMNS])
    for f in pura.flagged:
        e.rows(
            [
                [
                    f.feeder,
                    r.record_ref or f"#{r.record_id}",
                    r.start.replace(tzinfo=None),
                    r.minutes,
                    r.members,
                    r.member_minutes,
                    r.cause_label,
                ]
                for r in f.records
            ],
            [fmt for _, fmt, _ in EVIDENCE_COLUMNS],
        )
        if f.records_in_all > len(f.records):
            e.text(f"{f.feeder}: the {len(f.records)} biggest of {f.records_in_all} sustained records are listed.")
    if not pura.flagged:
        e.text(f"No feeder is flagged in {pura.period.label}.")
    e.sheet.freeze_panes = e.sheet.cell(header_row + 1, 2)
    e.widths([w for _, _, w in EVIDENCE_COLUMNS])
    e.done(columns=len(EVIDENCE_COLUMNS))


def reliability_workbook(data: AnnualReliability, *, cooperative: str) -> bytes:
    """The annual report as .xlsx: Summary, Monthly (with charts), By cause, By division, Major event days,
    Worst feeders, PURA 38.005, PURA evidence, EIA-861; every sheet prints (landscape, one page wide)."""
    book = Workbook()
    _summary_sheet(book, data, cooperative)
    _monthly_sheet(book, data)
    _cause_sheet(book, data)
    _division_sheet(book, data)
    _med_sheet(book, data)
    _worst_sheet(book, data)
    pura_sheets(book, data.pura)
    eia861_sheet(book, data.eia861)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# plots (matplotlib, Agg canvas, no pyplot state)


def _figure(width: float = 5.4, height: float = 2.9):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=150)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _style(ax) -> None:
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=7)


def _numbers(axis, *, log: bool = False) -> None:
    """One number format per axis: on a linear axis about five round ticks, all with the decimals of the
    step between them; on a log axis the powers of ten, written plainly (0.01, 1, 100, 1,000)."""
    from matplotlib import ticker

    if log:
        axis.set_major_locator(ticker.LogLocator(base=10, numticks=8))
        axis.set_minor_formatter(ticker.NullFormatter())
        axis.set_major_formatter(
            ticker.FuncFormatter(
                lambda v, _pos: f"{v:,.{max(0, -math.floor(math.log10(v) + 1e-9))}f}" if v > 0 else "0"
            )
        )
        return
    axis.set_major_locator(ticker.MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3))

    def label(value: float, _pos: int | None) -> str:
        ticks = axis.get_majorticklocs()
        step = min((b - a for a, b in zip(ticks, ticks[1:]) if b > a), default=1.0)
        decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
        return f"{value:,.{decimals}f}"

    axis.set_major_formatter(ticker.FuncFormatter(label))


def plot_monthly(data: AnnualReliability) -> str:
    """Monthly SAIDI (bars: normal days and major event days) and SAIFI (line), as a PNG data URI."""
    fig = _figure()
    ax = fig.subplots()
    m = data.monthly.fillna(0.0)
    x = np.arange(12)
    normal, med = m["saidi_normal"].to_numpy(), (m["saidi"] - m["saidi_normal"]).to_numpy()
    ax.bar(x, normal, color="#4a78a8", label="SAIDI normal days")
    ax.bar(x, med, bottom=normal, color="#d0703c", label="SAIDI major event days")
    ax.set_xticks(x, MONTHS)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("SAIDI (min)", fontsize=8)
    _style(ax)
    ax2 = ax.twinx()
    ax2.plot(x, m["saifi"].to_numpy(), color="#222222", marker="o", markersize=3, linewidth=1.2, label="SAIFI")
    ax2.set_ylabel("SAIFI", fontsize=8)
    ax2.set_ylim(bottom=0)
    ax2.tick_params(labelsize=7)
    _numbers(ax.yaxis)
    _numbers(ax2.yaxis)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=6.5, loc="upper right", frameon=False)
    ax.set_title(f"Monthly SAIDI and SAIFI, {data.year}", fontsize=9)
    return _png(fig)


def plot_years(data: AnnualReliability) -> str:
    """SAIDI by year with and without major event days, as a PNG data URI."""
    fig = _figure()
    ax = fig.subplots()
    x = np.arange(len(data.years))
    every = [data.summary.loc[(y, "all"), "saidi"] for y in data.years]
    normal = [data.summary.loc[(y, "normal"), "saidi"] for y in data.years]
    ax.bar(x - 0.2, every, width=0.4, color="#d0703c", label="with major event days")
    bars = ax.bar(x + 0.2, normal, width=0.4, color="#4a78a8", label="without major event days")
    classified = _classified(data, data.years)
    for bar, year in zip(bars, data.years):
        if year not in classified:
            bar.set_hatch("////")
            bar.set_facecolor("#b8c8da")
    for xi, v in zip(x, every):
        ax.annotate(f"{v:.0f}", (xi - 0.2, v), ha="center", va="bottom", fontsize=6.5)
    for xi, v in zip(x, normal):
        ax.annotate(f"{v:.0f}", (xi + 0.2, v), ha="center", va="bottom", fontsize=6.5)
    ax.set_xticks(x, [str(y) for y in data.years])
    ax.set_ylabel("SAIDI (min)", fontsize=8)
    from matplotlib.patches import Patch

    handles = [
        Patch(color="#d0703c", label="with major event days"),
        Patch(color="#4a78a8", label="without major event days"),
    ]
    if len(classified) < len(data.years):
        handles.append(
            Patch(facecolor="#b8c8da", hatch="////", label="all days: too little history to find major event days")
        )
    ax.legend(handles=handles, fontsize=6.5, frameon=False)
    _style(ax)
    _numbers(ax.yaxis)
    ax.set_title(f"SAIDI by year, {data.years[0]}–{data.year}", fontsize=9)
    return _png(fig)


def plot_daily(data: AnnualReliability) -> str:
    """Daily SAIDI of the year (log scale) with the T_MED line and the major event days marked."""
    fig = _figure()
    ax = fig.subplots()
    daily = data.med.daily_saidi
    days = pd.to_datetime(pd.Index(daily.index).astype(str))
    values = daily.to_numpy(dtype=float)
    positive = values > 0
    t = data.med.t_med.value
    is_med = np.isin(np.array(daily.index, dtype=object), np.array(data.med.dates, dtype=object))
    ax.vlines(days[positive & ~is_med], 0, values[positive & ~is_med], color="#4a78a8", linewidth=0.8)
    ax.scatter(days[is_med], values[is_med], color="#c0392b", s=14, zorder=3, label="major event day")
    if positive.any():
        ax.set_yscale("log")
        top = max(values.max(), t if math.isfinite(t) else 0.0)
        ax.set_ylim(max(np.percentile(values[positive], 2) / 2, top / 1e4), top * 3)
    if math.isfinite(t):
        ax.axhline(t, color="#c0392b", linestyle="--", linewidth=1.0, label=f"T_MED {t:.2f} min")
    else:
        ax.text(0.02, 0.92, "T_MED undefined (too little history)", transform=ax.transAxes, fontsize=7)
    ax.set_ylabel("daily SAIDI (min)", fontsize=8)
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    _style(ax)
    _numbers(ax.yaxis, log=positive.any())
    if is_med.any() or math.isfinite(t):
        ax.legend(fontsize=7, frameon=False, loc="upper right")
    ax.set_title(f"Daily SAIDI, {data.year}, and the major event day threshold", fontsize=9)
    return _png(fig)


def plot_causes(data: AnnualReliability) -> str:
    """SAIDI by cause (normal days and major event days), horizontal bars."""
    fig = _figure(5.4, 3.1)
    ax = fig.subplots()
    every, normal = _days(data.by_cause, "all"), _days(data.by_cause, "normal")
    order = every["saidi"].fillna(0).sort_values().index
    labels = [every.at[c, "label"] for c in order]
    n_vals = normal["saidi"].reindex(order).fillna(0).to_numpy()
    m_vals = (every["saidi"].reindex(order).fillna(0) - normal["saidi"].reindex(order).fillna(0)).to_numpy()
    y = np.arange(len(order))
    ax.barh(y, n_vals, color="#4a78a8", label="normal days")
    ax.barh(y, m_vals, left=n_vals, color="#d0703c", label="major event days")
    ax.set_yticks(y, labels)
    ax.set_xlabel("SAIDI (min)", fontsize=8)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    _style(ax)
    _numbers(ax.xaxis)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_title(f"SAIDI by cause, {data.year}", fontsize=9)
    return _png(fig)


# --------------------------------------------------------------------------------------------------
# the PDF


def _f(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{float(value):,.{digits}f}"


def _change(now: float, before: float) -> str:
    if not (math.isfinite(now) and math.isfinite(before)) or before == 0:
        return "–"
    change = round((now / before - 1) * 100)
    return f"{change:+d} %" if change else "0 %"


PDF_STYLE = """
<style>
.plots { width: 100%; border: none; margin: 0 0 2mm 0; } .plots td { border: none; padding: 0 1mm; width: 50%; }
.plots img { width: 100%; } .headline td.num { font-size: 10pt; font-weight: bold; }
ul.notes { margin: 0; padding-left: 4mm; color: #333; } section { page-break-inside: avoid; }
</style>
"""


def headline(data: AnnualReliability) -> list[list[str]]:
    """The headline figures: SAIDI, SAIFI, CAIDI with and without MEDs against the average without MEDs of
    the previous years whose major event days could be identified."""
    prev = _classified(data, data.years[:-1])
    rows = []
    for key, label, digits in (
        ("saidi", "SAIDI (minutes per member)", 1),
        ("saifi", "SAIFI (interruptions per member)", 3),
        ("caidi", "CAIDI (minutes per interruption)", 1),
    ):
        now_all = float(data.summary.loc[(data.year, "all"), key])
        now_normal = float(data.summary.loc[(data.year, "normal"), key])
        avg_normal = float(np.nanmean([data.summary.loc[(y, "normal"), key] for y in prev])) if prev else math.nan
        rows.append(
            [
                label,
                _f(now_all, digits),
                _f(now_normal, digits),
                _f(avg_normal, digits),
                _change(now_normal, avg_normal),
            ]
        )
    for key, label, hours in (
        ("celid_s", "CELID_s: members out longer than {h} at once", data.celid_s_hours),
        ("celid_t", "CELID_t: members out more than {h} in all", data.celid_t_hours),
    ):
        now_all = float(data.summary.loc[(data.year, "all"), key])
        now_normal = float(data.summary.loc[(data.year, "normal"), key])
        avg_normal = float(np.nanmean([data.summary.loc[(y, "normal"), key] for y in prev])) if prev else math.nan
        rows.append(
            [
                label.format(h=_hours(hours)),
                _members_share(now_all, data.members_served),
                _members_share(now_normal, data.members_served),
                _members_share(avg_normal, data.members_served),
                _change(now_normal, avg_normal),
            ]
        )
    return rows


def _members_share(share: float, members: int) -> str:
    """A share of the members as members and percent: ``1,234 (10.3 %)``."""
    if not math.isfinite(share):
        return "–"
    return f"{round(share * members):,} ({share * 100:.1f} %)"


def _count(n: int, one: str, many: str) -> str:
    """``1 major event day``, ``2 major event days``, ``no major event day``."""
    return f"no {one}" if n == 0 else f"{n:,} {one if n == 1 else many}"


def reliability_pdf(data: AnnualReliability, *, cooperative: str) -> bytes:
    """The annual report for executives: headline figures, plots, the five-year summary, major event days,
    worst feeders, divisions, causes and the EIA-861 items."""
    prev = _classified(data, data.years[:-1])
    parts = [
        PDF_STYLE,
        f"<h1>{escape(cooperative)}: {TITLE} {data.year}</h1>",
        f"<p class='meta'>{escape(_subtitle(data))}</p>",
    ]
    parts.append("<h2>Headline</h2>")
    parts.append(
        table(
            [
                "Index",
                f"{data.year} with major event days",
                f"{data.year} without major event days",
                f"{_average(prev)} without MEDs",
                "Change (without MEDs)",
            ],
            headline(data),
            numeric={1, 2, 3, 4},
        ).replace("<table>", "<table class='headline'>", 1)
    )
    meds = data.med.dates
    t = data.med.t_med.value
    parts.append(
        f"<p>{_count(len(meds), 'major event day', 'major event days').capitalize()} in {_year_words(data)}"
        + (f" (T_MED {t:.2f} min): {', '.join(d.isoformat() for d in meds)}" if meds else f" (T_MED {_f(t, 2)} min)")
        + f". Members served: {data.members_served:,}.</p>"
    )
    unclassified = [y for y in data.years if y not in _classified(data, data.years)]
    if unclassified:
        parts.append(
            f"<p class='meta'>Major event days could not be identified for {_years_label(unclassified)}: "
            "there is too little earlier history for T_MED, so those years' figures include every "
            "day and are left out of the average without MEDs.</p>"
        )
    plots = [plot_monthly(data), plot_years(data), plot_daily(data), plot_causes(data)]
    parts.append(
        "<table class='plots'>"
        f"<tr><td><img src='{plots[0]}'></td><td><img src='{plots[1]}'></td></tr>"
        f"<tr><td><img src='{plots[2]}'></td><td><img src='{plots[3]}'></td></tr></table>"
    )

    parts.append(f"<h2>System indices {data.years[0]}–{data.year}</h2>")
    rows = []
    for year in data.years:
        for days in ("all", "normal"):
            r = data.summary.loc[(year, days)]
            rows.append(
                [
                    str(year),
                    DAY_LABELS[days],
                    _f(r["saifi"], 3),
                    _f(r["saidi"], 1),
                    _f(r["caidi"], 1),
                    _f(r["maifi"], 3),
                    f"{r['asai'] * 100:.4f} %" if math.isfinite(r["asai"]) else "–",
                    _f(r[f"cemi_{data.n}"] * 100, 1) + " %",
                    _f(r["celid_s"] * 100, 1) + " %",
                    _f(r["celid_t"] * 100, 1) + " %",
                    str(int(r["major_event_days"])),
                ]
            )
    parts.append(
        table(
            [
                "Year",
                "Days",
                "SAIFI",
                "SAIDI (min)",
                "CAIDI (min)",
                "MAIFI",
                "ASAI",
                f"CEMI{data.n}",
                f"CELID_s {_hours(data.celid_s_hours)}",
                f"CELID_t {_hours(data.celid_t_hours)}",
                "MEDs",
            ],
            rows,
            numeric={2, 3, 4, 5, 6, 7, 8, 9, 10},
        )
    )

    parts.append(f"<h2>Major event days {data.year}</h2>")
    if meds:
        parts.append(
            table(
                ["Date", "Weekday", "Daily SAIDI (min)", "T_MED (min)", "SAIDI / T_MED"],
                [
                    [
                        d.isoformat(),
                        d.strftime("%A"),
                        _f(r["saidi"], 1),
                        _f(r["t_med"], 2),
                        _f(r["saidi"] / r["t_med"], 1),
                    ]
                    for d, r in data.med.days.iterrows()
                ],
                numeric={2, 3, 4},
            )
        )
    else:
        parts.append("<p>No major event days.</p>")
    history = history_note(data.med.t_med, data.year)
    if history:
        parts.append(f"<p class='meta'>Major event days: {escape(history)}.</p>")

    parts.append(f"<h2>Worst-performing feeders, {data.year} (normal days)</h2>")
    w = data.worst_one_year.head(10)
    quiet = _quiet(data)
    if quiet:
        parts.append(f"<p>{escape(quiet)}</p>")
    else:
        parts.append(
            table(
                ["Rank", "Feeder", "Substation", "Division", "Members", "SAIFI", "SAIDI (min)", "SAIDI vs system"],
                [
                    [
                        str(r["saidi_rank"]),
                        f,
                        r["substation"] or "",
                        r["division"] or "",
                        f"{int(r['members_served']):,}",
                        _f(r["saifi"], 3),
                        _f(r["saidi"], 1),
                        f"{r['saidi'] / w.attrs['system_saidi'] * 100:.0f} %" if w.attrs["system_saidi"] else "–",
                    ]
                    for f, r in w.iterrows()
                ],
                numeric={0, 4, 5, 6, 7},
            )
        )
    w2 = data.worst_two_years
    ranked = [(f, r) for f, r in w2.head(10).iterrows() if r["saidi"] > 0]
    parts.append(
        f"<p class='meta'>Over {data.year - 1}–{data.year}: "
        + (", ".join(f"{f} ({_f(r['saidi'], 0)} min)" for f, r in ranked) or "no feeder had a sustained interruption")
        + f"; system SAIDI {_f(w2.attrs['system_saidi'], 1)} min over the two years (normal days).</p>"
    )
    parts.append(_pura_html(data.pura))

    parts.append(f"<h2>By division, {data.year}</h2>")
    parts.append(
        table(
            [
                "Division",
                "Members",
                "SAIFI",
                "SAIDI (min)",
                "CAIDI (min)",
                "SAIFI normal days",
                "SAIDI normal days (min)",
            ],
            [
                [
                    ("(transmission lines)" if g == "(unassigned)" else g),
                    f"{int(a['members_served']):,}" if math.isfinite(a["members_served"]) else "–",
                    _f(a["saifi"], 3),
                    _f(a["saidi"], 1),
                    _f(a["caidi"], 1),
                    _f(n["saifi"], 3),
                    _f(n["saidi"], 1),
                ]
                for g, a, n in _group_rows(data.by_division)
            ],
            numeric={1, 2, 3, 4, 5, 6},
        )
    )

    parts.append(f"<h2>By cause, {data.year}</h2>")
    every = _days(data.by_cause, "all").sort_values("saidi", ascending=False)
    parts.append(
        table(
            ["Cause", "Sustained records", "SAIFI", "SAIDI (min)", "CAIDI (min)"],
            [
                [
                    r["label"],
                    f"{int(r['sustained_records']):,}",
                    _f(r["saifi"], 3),
                    _f(r["saidi"], 1),
                    _f(r["caidi"], 1),
                ]
                for _c, r in every.iterrows()
                if r["sustained_records"] > 0
            ],
            numeric={1, 2, 3, 4},
        )
    )

    parts.append(f"<h2>Form EIA-861 reliability items, {escape(data.eia861.period.label)}</h2>")
    parts.append(table(["Item", "Value"], [[item, _eia_value(v, kind)] for item, v, kind in data.eia861.items()]))
    parts.append("<h2>Notes</h2><ul class='notes'>" + "".join(f"<li>{escape(n)}</li>" for n in data.notes) + "</ul>")
    return render_pdf(f"{TITLE} {data.year}", "".join(parts))


def _eia_value(value: Any, kind: str) -> str:
    if kind == "saifi":
        return _f(value, 3)
    if kind in ("saidi", "minutes"):
        return _f(value, 1)
    if kind == "int":
        return f"{value:,}"
    return str(value)


PDF_FLAGGED = 15  #: flagged feeders the PDF lists (the workbooks list them all)


def _pura_html(pura: PuraWorstFeeders) -> str:
    """The PURA §38.005 section of the PDF: the flagged feeders and their biggest records."""
    out = [f"<h2>PURA §38.005 worst feeders, {escape(pura.period.label)}</h2>"]
    out.append(
        f"<p class='meta'>Flagged: among the worst 10 % by SAIDI or SAIFI in {pura.year} and {pura.before.year}, "
        f"or SAIDI or SAIFI above 300 % of the system average (SAIDI {pura.system_saidi:.1f} min, SAIFI "
        f"{pura.system_saifi:.3f} in {pura.year}, normal days).</p>"
    )
    if not pura.flagged:
        out.append(f"<p>No feeder is flagged in {escape(pura.period.label)}.</p>")
        return "".join(out)
    # an executive's document: the worst of the flagged feeders; every one and its evidence are in the workbooks
    shown_feeders = sorted(pura.flagged, key=lambda f: -(f.saidi or 0))[:PDF_FLAGGED]
    if len(pura.flagged) > len(shown_feeders):
        out.append(
            f"<p class='meta'>{len(pura.flagged):,} feeders are flagged; the {len(shown_feeders)} with the highest "
            "SAIDI are listed here. Every flagged feeder and its records are in the annual workbook and the PURA "
            "§38.005 export.</p>"
        )
    out.append(
        table(
            [
                "Feeder",
                "Substation",
                "Members",
                "SAIDI (rank)",
                "SAIFI (rank)",
                f"SAIDI, SAIFI {pura.before.year}",
                "Fails",
            ],
            [
                [
                    f.feeder,
                    f.substation or "",
                    f"{f.members_served:,}",
                    f"{_f(f.saidi, 1)} ({f.saidi_rank})",
                    f"{_f(f.saifi, 3)} ({f.saifi_rank})",
                    f"{_f(f.saidi_before, 1)} ({f.saidi_rank_before}), {_f(f.saifi_before, 3)} ({f.saifi_rank_before})",
                    "; ".join(f.tests),
                ]
                for f in shown_feeders
            ],
            numeric={2, 3, 4},
        )
    )
    for f in shown_feeders:
        shown = f.records[:5]
        if not shown:
            continue
        listed = ", ".join(
            f"{r.record_ref or '#' + str(r.record_id)} ({r.start:%Y-%m-%d}, {_f(r.minutes, 0)} min, "
            f"{r.members:,} members, {r.cause_label})"
            for r in shown
        )
        more = f" and {f.records_in_all - len(shown):,} more" if f.records_in_all > len(shown) else ""
        out.append(f"<p class='meta'>{escape(f.feeder)}: {escape(listed)}{more}.</p>")
    return "".join(out)


def report_filename(year: int, suffix: str) -> str:
    """``reliability-<year>.<suffix>``."""
    return f"reliability-{year}.{suffix}"


__all__ = [
    "reliability_workbook",
    "reliability_pdf",
    "headline",
    "plot_monthly",
    "plot_years",
    "plot_daily",
    "plot_causes",
    "report_filename",
]
