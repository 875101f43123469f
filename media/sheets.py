"""The one writer of every spreadsheet and CSV the product hands out.

A cell a person typed (a name, a 簡述, a file name) must never become a live formula when staff
open the file in Excel or LibreOffice. Following OWASP's advice on CSV injection, a text cell
that starts with = + - @, a tab or a carriage return (or their full-width forms, which some
spreadsheet programs also accept) is neutralised: in CSV it gets a leading apostrophe; in xlsx
it is stored as text with Excel's quote-prefix mark, exactly as Excel stores a cell typed as
'=..., so what is shown is what was written and nothing is evaluated. Every text cell of an
xlsx is stored as text (type "s"), never as a formula or a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_LEADS)


def csv_cell(value: Any) -> Any:
    """The value as it should go into a CSV cell."""
    if is_formula_like(value):
        return "'" + value
    return value


class CsvWriter:
    """csv.writer with every cell passed through csv_cell."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(handle: IO[str], **options: Any) -> CsvWriter:
    return CsvWriter(handle, **options)


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet with every text cell stored as text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        mark_text(cell)


def mark_text(cell: Any) -> None:
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if is_formula_like(cell.value):
            cell.quotePrefix = True


def open_private(path: Any, mode: str = "w", **options: Any) -> IO[Any]:
    """Open a file for writing readable by its owner only (0600): exports hold personal data."""
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the file may have been there already with wider rights
    return os.fdopen(fd, mode, **options)
