"""Text cells that stay text: the one guard against formula injection in every CSV and Excel export.

A spreadsheet program runs a cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (or with a tab or a
carriage return before one of them) as a formula: a location typed as ``=HYPERLINK("http://x", "map")``
would become a live link, or worse, in the file a dispatcher or a regulator opens.  Following OWASP's
guidance on CSV injection (and ASVS 1.2.10, which adds the NUL character; a line feed is treated like the
carriage return it becomes in an .xlsx), :func:`neutralise` prefixes such text with one single quote, so
that every program shows it as text; numbers, dates and other non-text values are never touched (a
negative number stored as a number stays a number).  :func:`restore` undoes it on import, so that
importing an export gives back exactly the original text.

The prefix is added whenever the text, once its own leading quotes are set aside, begins with one of
those characters, and only then removed: ``=1`` is written ``'=1`` and ``'=1`` is written ``''=1``, so
every text, including one that already began with a quote, comes back unchanged.

An .xlsx cannot hold a carriage return: XML reads it back as a line feed, so a text that begins with one
returns from an Excel export beginning with a line feed instead (from a CSV export it returns exactly).

References: OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection; OWASP ASVS 4.0.3,
requirement 1.2.10.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
QUOTE = "'"


def _dangerous(text: str) -> bool:
    return text.lstrip(QUOTE).startswith(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """The value to write to a CSV or Excel cell: text a spreadsheet would run as a formula gets a leading
    single quote; anything else (numbers, dates, other text, None) is returned unchanged."""
    if isinstance(value, str) and _dangerous(value):
        return QUOTE + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    """:func:`neutralise` applied to every cell of a row."""
    return [neutralise(v) for v in values]


def restore(value: Any) -> Any:
    """The original text of a cell :func:`neutralise` wrote: the one quote it added is removed (only when a
    formula character follows the quotes); anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(QUOTE) and _dangerous(value):
        return value[1:]
    return value
