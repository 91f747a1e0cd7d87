"""The yearly registry annex of the emergency operations plan: every essential-services registry entry
by division and feeder, with category, priority, backup generation, last verification and reviewer, whom
to call, and summary counts.  Excel (openpyxl) and PDF (WeasyPrint).

Both print: the workbook landscape, one page wide, its header rows on every page; in the PDF a row never
splits across pages and the column headings repeat on each.  The subtitle says what the data knows about
verification (how many entries are overdue), never a promise the list below contradicts."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from html import escape

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from gis.spreadsheets import neutralise, neutralise_row
from gis.workbook_print import fit_text, print_setup
from registry.schemas import ContactOut, EntryOut
from reports.pdf import render_pdf, table

COLUMNS = [
    "Division",
    "Feeder",
    "Substation",
    "Ref",
    "Entry",
    "Category",
    "Priority tier",
    "Backup generation",
    "Fuel (h)",
    "Last verified",
    "Verified by",
    "Review due",
    "Review status",
    "Contacts",
]
WIDTHS = (24, 10, 10, 11, 36, 24, 8, 10, 8, 12, 14, 12, 14, 48)  #: workbook column widths, in COLUMNS order
TITLE = "Registry of essential services — annex to the emergency operations plan"


def _ordered(entries: list[EntryOut]) -> list[EntryOut]:
    return sorted(entries, key=lambda e: (e.division or "~", e.feeder, e.priority_tier, e.name))


def _contact(c: ContactOut, *, glue: str) -> str:
    """'Dana Ruiz (Facility manager, 24/7): (512) 555-0142, alt 830.555.0199', the spaces inside each
    phone number replaced by ``glue``."""
    about = ", ".join(x for x in (c.role, "24/7" if c.around_the_clock else None) if x)
    phones = [p.replace(" ", glue) for p in (c.phone, c.alt_phone) if p]
    numbers = ", alt ".join(phones) if phones else (c.email or "no phone")
    return f"{c.name}{f' ({about})' if about else ''}: {numbers}"


def contacts_text(e: EntryOut, *, glue: str = " ") -> str:
    """Whom to call, one contact a line, those reachable around the clock first (``glue``: what joins the
    parts of a phone number, a no-break space in the PDF so that a number never wraps)."""
    ordered = sorted(e.contacts, key=lambda c: not c.around_the_clock)
    return "\n".join(_contact(c, glue=glue) for c in ordered) or "no contact recorded"


def _late(e: EntryOut) -> bool:
    return e.review_status in ("overdue", "never_verified")


def verification_text(entries: list[EntryOut]) -> str:
    """What the data knows about the yearly verification, e.g. 'Entries are to be verified at least once
    every 12 months; 40 of 212 are overdue (3 never verified), marked in red.'"""
    late = [e for e in entries if _late(e)]
    if not late:
        return f"Entries are to be verified at least once every 12 months; all {len(entries)} are up to date."
    never = sum(e.review_status == "never_verified" for e in late)
    return (
        f"Entries are to be verified at least once every 12 months; {len(late)} of {len(entries)} "
        f"{'is' if len(late) == 1 else 'are'} overdue"
        + (f" ({never} never verified)" if never else "")
        + ", marked in red."
    )


def _row(e: EntryOut, *, glue: str = " ") -> list:
    return [
        e.division or "(outside divisions)",
        e.feeder,
        e.substation,
        e.ref,
        e.name,
        e.category_label,
        e.priority_tier,
        "yes" if e.backup_generation else "no",
        e.fuel_hours,
        e.last_verified_at.date().isoformat() if e.last_verified_at else "never",
        e.last_verified_by or "",
        e.review_due.isoformat() if e.review_due else "",
        e.review_status.replace("_", " "),
        contacts_text(e, glue=glue),
    ]


def summary(entries: list[EntryOut]) -> dict[str, Counter]:
    """Counts by category, division, priority tier, backup generation and review status."""
    return {
        "By category": Counter(e.category_label for e in entries),
        "By division": Counter(e.division or "(outside divisions)" for e in entries),
        "By priority tier": Counter(f"Tier {e.priority_tier}" for e in entries),
        "Backup generation": Counter("with backup" if e.backup_generation else "without backup" for e in entries),
        "Review status": Counter(e.review_status.replace("_", " ") for e in entries),
    }


def annex_workbook(entries: list[EntryOut], *, cooperative: str, as_of: date) -> bytes:
    """The annex as an .xlsx: an 'Annex' sheet (one row per entry) and a 'Summary' sheet, both printing
    landscape and one page wide, the Annex's title and column headings on every page."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Annex"
    print_setup(sheet, header_rows=3, title=f"{cooperative}: registry annex as of {as_of.isoformat()}")
    sheet.append([neutralise(f"{cooperative}: {TITLE}")])
    sheet.append([f"As of {as_of.isoformat()}; {len(entries)} entries. {verification_text(entries)}"])
    sheet.append(COLUMNS)
    sheet["A1"].font = Font(bold=True, size=13)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF4")
    for e in _ordered(entries):
        sheet.append(neutralise_row(_row(e)))  # names and labels are free text: never a formula
        if _late(e):
            sheet.cell(sheet.max_row, COLUMNS.index("Review status") + 1).font = Font(bold=True, color="AA0000")
    sheet.freeze_panes = "A4"
    sheet.auto_filter.ref = f"A3:{sheet.cell(3, len(COLUMNS)).column_letter}{sheet.max_row}"
    for i, width in enumerate(WIDTHS, 1):
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = width
    fit_text(sheet, min_row=3)  # headings and contacts wrap, rows as tall as their text
    counts = book.create_sheet("Summary")
    print_setup(
        counts, header_rows=1, landscape=False, title=f"{cooperative}: registry annex as of {as_of.isoformat()}"
    )
    counts.append(["Summary", f"{len(entries)} entries"])
    counts["A1"].font = Font(bold=True, size=13)
    for heading, counter in summary(entries).items():
        counts.append([])
        counts.append([heading, "Entries"])
        counts.cell(counts.max_row, 1).font = Font(bold=True)
        for key, value in sorted(counter.items()):
            counts.append([neutralise(key), value])
    counts.column_dimensions["A"].width = 32
    counts.column_dimensions["B"].width = 12
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# A row never splits across pages (WeasyPrint repeats the <thead> on each page by itself), a division's
# heading row stays with its first entry, and the contacts print one a line.
# Column widths [% of the page] in the order of the PDF's columns (COLUMNS without Division, the group rows).
PDF_WIDTHS = (5, 7, 5, 13, 8, 6, 7, 4, 7.5, 6, 7.5, 6, 18)
ANNEX_STYLE = """
tr { break-inside: avoid; } tr.group { break-after: avoid; }
div.entries table { table-layout: fixed; } div.entries th, div.entries td { box-sizing: border-box; }
div.entries th { font-size: 7pt; } div.entries td:nth-child(13) { white-space: pre-line; }
div.entries td:nth-child(9), div.entries td:nth-child(11) { white-space: nowrap; }
""" + "".join(f"div.entries th:nth-child({i}) {{ width: {w}%; }}\n" for i, w in enumerate(PDF_WIDTHS, 1))


def annex_pdf(entries: list[EntryOut], *, cooperative: str, as_of: date) -> bytes:
    """The annex as a PDF, grouped by division and feeder, with the summary counts first."""
    parts = [
        f"<style>{ANNEX_STYLE}</style>",
        f"<h1>{escape(TITLE)}</h1>",
        f"<p class='meta'>{escape(cooperative)} · as of {as_of.isoformat()} · {len(entries)} entries · "
        f"{escape(verification_text(entries))}</p>",
        "<h2>Summary</h2>",
    ]
    for heading, counter in summary(entries).items():
        parts.append(table([heading, "Entries"], [[k, v] for k, v in sorted(counter.items())], numeric={1}))
    parts.append("<h2>Entries by division and feeder</h2>")
    rows, classes, division = [], {}, object()
    for e in _ordered(entries):
        row = _row(e, glue="\u00a0")
        if row[0] != division:
            division = row[0]
            rows.append(division)
        if _late(e):
            classes[len(rows)] = "overdue"
        rows.append(row[1:])
    parts.append(f"<div class='entries'>{table(COLUMNS[1:], rows, numeric={5, 7}, classes=classes)}</div>")
    return render_pdf(TITLE, "".join(parts))
