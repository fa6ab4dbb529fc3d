"""Errors of the catalog: a malformed file names the file, row and field."""

from __future__ import annotations

from lakehouse.errors import RegulakeError


class CatalogError(RegulakeError):
    """The catalog files (or an imported workbook) are malformed.

    The message names the file, the row (1-based, header is row 1) and the field.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in the catalog:\n  " if len(self.problems) > 1 else ""
        super().__init__(head + "\n  ".join(self.problems[:50]) + ("\n  ..." if len(self.problems) > 50 else ""))
