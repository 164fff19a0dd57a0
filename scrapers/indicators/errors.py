"""Errors raised by the indicator importers.

Every error names the file (or URL) and the row it concerns, so a build report can point at
the exact place in a source file. A file that raises is skipped whole by the loader.
"""
from __future__ import annotations


class ImportError_(ValueError):
    """Bad input in an indicator source file: empty, wrong columns, unparseable value …

    ``file`` is the file name or URL, ``row`` the 1-based line/row in that file (``None`` when
    the problem concerns the file as a whole), ``column`` the column name or cell when known.
    """

    def __init__(self, file: str, row: int | None, message: str, *, column: str | None = None):
        self.file = str(file)
        self.row = row
        self.column = column
        self.message = message
        where = self.file
        if row is not None:
            where += f", row {row}"
        if column:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")


class CatalogueError(ValueError):
    """The indicator catalogue or the areas file is inconsistent."""
