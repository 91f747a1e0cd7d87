"""Row ids and counts as both databases store them: 64-bit signed integers.

Every id and count the API takes (path, query and body) is one of these types, so a number outside the
range is a 422 naming its field instead of an ``OverflowError`` from the SQLite driver (or a PostgreSQL
"out of range") deep in a query.  In JSON bodies, wrap them in ``Strict()`` so that ``true`` or ``"5"`` is
refused as well."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_DB_INT = 2**63 - 1  # SQLite INTEGER and PostgreSQL BIGINT

DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT, description="A row id: 1 to 2**63 - 1.")]
DbCount = Annotated[int, Field(ge=0, le=MAX_DB_INT)]  # a count, a limit or an offset
