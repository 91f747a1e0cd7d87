"""Print setup shared by every workbook the service writes (issue 16: "documents that print").

A workbook is forwarded and printed: each sheet prints landscape on US Letter, as wide as one page (as many
pages down as it needs), with its header rows repeated on every page, and a chart starts a page of its own.
Checked by converting with LibreOffice (``tests/test_printing.py``).

It lives in the lowest layer because every layer writes workbooks (the registry export, the interruption
log export, the reports).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from copy import copy

from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["print_setup", "page_break_before", "wrapped_height", "fit_text", "LINE_HEIGHT"]

LINE_HEIGHT = 15.0  #: [pt] one line of the default 11 pt font


def print_setup(
    ws: Worksheet | WriteOnlyWorksheet, *, header_rows: int = 1, landscape: bool = True, title: str | None = None
) -> None:
    """Landscape (or portrait) US Letter, fit to one page wide, ``header_rows`` repeated on every page (0: none),
    narrow margins, gridlines off, and ``title`` (default the sheet's) with the page number in the footer.
    On a write-only sheet, call it before the first row (the sheet's properties are written with it)."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_LETTER  # also on a write-only sheet
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


def page_break_before(ws: Worksheet | WriteOnlyWorksheet, row: int) -> None:
    """Start a new printed page at ``row`` (1-based), e.g. where a chart is anchored."""
    if ws.row_breaks is None:
        ws.row_breaks = RowBreak()
    ws.row_breaks.append(Break(id=row - 1))


def wrapped_height(cells: Sequence[tuple[object, float]], *, line_height: float = LINE_HEIGHT) -> float | None:
    """The height [pt] a row needs for its wrapped text cells, given as (value, column width) pairs: the
    most lines any cell takes, each line holding about as many characters as the column is wide (a little
    fewer: a generous estimate leaves white space, a short one would print the text over the next row).
    None when every cell fits on one line: the default height.

    A row height must be written: LibreOffice (7.4) keeps an .xlsx row's stored or default height, so a
    wrapped cell without one prints over the rows below it."""
    lines = 1
    for value, width in cells:
        if value is None:
            continue
        per_line = max(1, int(width * 1.05) - 1)
        lines = max(lines, sum(max(1, math.ceil(len(part) / per_line)) for part in str(value).split("\n")))
    return None if lines == 1 else lines * line_height


def fit_text(ws: Worksheet, *, min_row: int = 1) -> None:
    """Wrap every text cell from ``min_row`` down that is longer than its column is wide (or holds a line
    break), and give its row the height the wrapped text needs (:func:`wrapped_height`), the row's cells
    aligned at the top: nothing runs on into the next column or page, or prints over the row below.  Set the
    column widths first."""
    default = ws.sheet_format.baseColWidth + 5  # openpyxl's default column width [characters]
    widths: dict[str, float] = {}

    def width(letter: str) -> float:
        if letter not in widths:
            dimension = ws.column_dimensions.get(letter)
            widths[letter] = dimension.width if dimension is not None and dimension.width else default
        return widths[letter]

    for row in ws.iter_rows(min_row=min_row):
        long = [
            (cell.value, width(cell.column_letter))
            for cell in row
            if isinstance(cell.value, str) and (len(cell.value) > width(cell.column_letter) or "\n" in cell.value)
        ]
        height = wrapped_height(long) if long else None
        if not height:
            continue
        ws.row_dimensions[row[0].row].height = height
        for cell in row:
            alignment = copy(cell.alignment)
            alignment.vertical = "top"
            if isinstance(cell.value, str):
                alignment.wrap_text = True
            cell.alignment = alignment
