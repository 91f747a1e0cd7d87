"""The regulators' and boards' exports as files: Form EIA-861's reliability fields and the PURA §38.005 worst
feeders, each as a workbook (for people: titled, formatted, set up to print) and as CSV (for machines: UTF-8,
one header row, snake_case names, numbers unrounded).

The data come from :mod:`outages.regulatory`; the workbook sheets are the very sheets of the annual
reliability report (:func:`reports.reliability_report.eia861_sheet`, :func:`~reports.reliability_report.pura_sheets`).
Text a spreadsheet would run as a formula is quoted in both (:mod:`gis.spreadsheets`).
"""

from __future__ import annotations

import io
import math
from typing import Any

import pandas as pd
from openpyxl import Workbook

from outages.records_io import to_csv
from outages.regulatory import Eia861, Eia861Figures, FeederRecord, PuraWorstFeeders
from reports.reliability_report import eia861_sheet, pura_sheets

__all__ = ["eia861_workbook", "eia861_csv", "pura_workbook", "pura_csv", "export_filename"]


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def eia861_workbook(data: Eia861, cooperative: str) -> bytes:
    """The EIA-861 reliability items as .xlsx (one sheet, ``cooperative`` in the document's properties)."""
    book = Workbook()
    book.properties.creator = book.properties.lastModifiedBy = cooperative
    book.properties.title = f"{cooperative}: Form EIA-861 reliability, {data.period.label}"
    eia861_sheet(book, data, sheet=book.active)
    return _save(book)


def eia861_csv(data: Eia861) -> bytes:
    """The EIA-861 reliability fields as CSV: a header row and one row for the year."""
    row: dict[str, Any] = {
        "report_year": data.year,
        "period_start": data.period.start.date().isoformat(),
        "period_end": data.period.last_day.isoformat(),
        "year_to_date": "yes" if data.year_to_date else "no",
        "standard": data.standard,
    }
    columns: tuple[tuple[str, Eia861Figures], ...] = (
        ("with_med", data.with_med),
        ("without_med", data.without_med),
        ("without_med_and_loss_of_supply", data.without_med_and_loss_of_supply),
    )
    for suffix, figures in columns:
        row[f"saidi_{suffix}"] = _number(figures.saidi)
        row[f"saifi_{suffix}"] = _number(figures.saifi)
        row[f"caidi_{suffix}"] = _number(figures.caidi)
    row.update(
        customers=data.customers,
        major_event_days=len(data.major_event_days),
        t_med_minutes=_number(data.t_med),
        major_event_day_method=data.med_method,
        momentary_interruption_definition=data.momentary_definition,
        outages_recorded_automatically="yes" if data.recorded_automatically else "no",
        loss_of_supply_records=data.loss_of_supply_records,
    )
    return to_csv(pd.DataFrame([row]))


def pura_workbook(data: PuraWorstFeeders, cooperative: str) -> bytes:
    """The PURA §38.005 flagged feeders and their evidence as .xlsx (two sheets)."""
    book = Workbook()
    book.properties.creator = book.properties.lastModifiedBy = cooperative
    book.properties.title = f"{cooperative}: PURA §38.005 worst feeders, {data.period.label}"
    pura_sheets(book, data, sheet=book.active)
    return _save(book)


PURA_CSV_COLUMNS = [
    "report_year",
    "year_to_date",
    "feeder",
    "substation",
    "members_served",
    "saidi",
    "saidi_rank",
    "saifi",
    "saifi_rank",
    "saidi_year_before",
    "saidi_rank_year_before",
    "saifi_year_before",
    "saifi_rank_year_before",
    "worst_10pct_two_years",
    "saidi_over_300pct",
    "saifi_over_300pct",
    "sustained_records",
    "record_id",
    "record_ref",
    "start_local",
    "duration_minutes",
    "members",
    "member_minutes",
    "cause",
]


def pura_csv(data: PuraWorstFeeders) -> bytes:
    """The flagged feeders as CSV: one row per evidence record (the feeder's figures repeated on each; a flagged
    feeder without a listed record has one row with empty record columns)."""
    rows = []
    for f in data.flagged:
        feeder = {
            "report_year": data.year,
            "year_to_date": "yes" if data.period.year_to_date else "no",
            "feeder": f.feeder,
            "substation": f.substation,
            "members_served": f.members_served,
            "saidi": f.saidi,
            "saidi_rank": f.saidi_rank,
            "saifi": f.saifi,
            "saifi_rank": f.saifi_rank,
            "saidi_year_before": f.saidi_before,
            "saidi_rank_year_before": f.saidi_rank_before,
            "saifi_year_before": f.saifi_before,
            "saifi_rank_year_before": f.saifi_rank_before,
            "worst_10pct_two_years": "yes" if f.worst_two_years else "no",
            "saidi_over_300pct": "yes" if f.saidi_over_300pct else "no",
            "saifi_over_300pct": "yes" if f.saifi_over_300pct else "no",
            "sustained_records": f.records_in_all,
        }
        listed: list[FeederRecord | None] = list(f.records) or [None]
        for r in listed:
            rows.append(
                feeder
                | (
                    {}
                    if r is None
                    else {
                        "record_id": r.record_id,
                        "record_ref": r.record_ref,
                        "start_local": r.start.isoformat(timespec="minutes"),
                        "duration_minutes": r.minutes,
                        "members": r.members,
                        "member_minutes": r.member_minutes,
                        "cause": r.cause,
                    }
                )
            )
    return to_csv(pd.DataFrame(rows, columns=PURA_CSV_COLUMNS))


def export_filename(kind: str, year: int, suffix: str) -> str:
    """``eia-861-<year>.<suffix>`` or ``worst-feeders-<year>.<suffix>``."""
    return f"{kind}-{year}.{suffix}"
