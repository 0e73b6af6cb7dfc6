"""Spreadsheet formulas kept out of what station writes and reads (formula injection).

Archivists open station's CSV and XLSX files in Excel or LibreOffice, which run a cell
that starts like a formula: `=HYPERLINK("http://…","x")` or `@SUM(1+1)` in a title would
send data away or run a command the moment the file is opened. One rule per direction:

- Writing CSV for spreadsheets (`csv_cell`: statistics, audit trail, AtoM catalogue): a
  text cell whose first character is `=`, `+`, `-`, `@`, TAB or CR gets a leading
  apostrophe (OWASP's rule). Every such cell, plain text too: Excel also parses
  "- Lưu VT" as a formula and shows #NAME? (and saves #NAME? back), while `'- Lưu VT`
  shows "- Lưu VT", since a spreadsheet takes the apostrophe as "this is text" and hides
  it. Numbers stay numbers, so -3 is not escaped. A program reading the file as plain
  text sees the apostrophe: the price of a file that is safe to open.
- Writing XLSX (`append_text_row`): no apostrophe at all. A cell stored as a string is
  never evaluated, so every text cell is written as a string (openpyxl would otherwise
  store "=…" as a formula) and marked "quote prefix", Excel's own flag that keeps it
  text when someone edits the cell. The value is exactly the text.
- Reading a manifest (`looks_like_formula`): a cell that starts with `=` or `@`, or with
  `+`/`-` not followed by a space or a number, is refused, and so is an XLSX cell that
  holds a formula. Plain text such as "- Lưu VT", "+ Bản sao", "-5" or a lone "-" is
  accepted; a space or a number after the sign is how lists and figures are
  written, and a formula behind "- " is still escaped whenever the text is written out.
  TAB and CR never survive the manifest's trimming, so the text after them is judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A sign followed by whitespace (a list dash), by a plain number ("-5", "+84 24 3825"), or
# by nothing but signs ("-" or "--" for "none").
_PLAIN_SIGNED = re.compile(r"[+-](?:\s|[\d\s.,]+$|[+\-\s]*$)")


def _number(value: Any) -> int | float | None:
    """Numbers stay numbers (12.0 as 12); None for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else value
    return None


def csv_cell(value: Any) -> Any:
    """A cell for a CSV meant for spreadsheets: numbers as numbers, formula-like text escaped."""
    number = _number(value)
    if number is not None:
        return number
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


def append_text_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl sheet: numbers as numbers, empty as empty, and every
    other value as text, never a formula."""
    sheet.append([_xlsx_value(value) for value in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if cell.value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True


def _xlsx_value(value: Any) -> Any:
    number = _number(value)
    return value if value is None else number if number is not None else str(value)


def looks_like_formula(text: str) -> bool:
    """Whether a manifest cell (already trimmed) would run as a formula in a spreadsheet."""
    if text.startswith(("=", "@", "\t", "\r")):
        return True
    return text.startswith(("+", "-")) and not _PLAIN_SIGNED.match(text)
