"""Print setup shared by every workbook the service writes (issue 16: "documents that print").

A workbook is forwarded and printed: each sheet prints landscape on US Letter, as wide as one page (as many
pages down as it needs), with its header rows repeated on every page, and a chart starts a page of its own.
Checked by converting with LibreOffice (``tests/test_printing.py``).
"""

from __future__ import annotations

from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["print_setup", "page_break_before"]


def print_setup(ws: Worksheet, *, header_rows: int = 1, landscape: bool = True, title: str | None = None) -> None:
    """Landscape (or portrait) US Letter, fit to one page wide, ``header_rows`` repeated on every page (0: none),
    narrow margins, gridlines off, and ``title`` (default the sheet's) with the page number in the footer."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.gridLines = False
    if header_rows:
        ws.print_title_rows = f"1:{header_rows}"
    ws.oddFooter.left.text = title or ws.title
    ws.oddFooter.right.text = "Page &P of &N"


def page_break_before(ws: Worksheet, row: int) -> None:
    """Start a new printed page at ``row`` (1-based), e.g. where a chart is anchored."""
    if ws.row_breaks is None:
        ws.row_breaks = RowBreak()
    ws.row_breaks.append(Break(id=row - 1))
