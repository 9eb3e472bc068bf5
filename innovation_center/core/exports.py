"""Lists download as CSV and XLSX with the same columns and the current filters.

A list declares its columns beside its selector (`COMPANY_EXPORT = [Column(...), ...]`); the
list page hands them and its filtered rows to `export_table` when `?format=` asks for a file.

Every file the center writes for a spreadsheet goes through `csv_writer` or `xlsx_cells`, so
every cell passes `safe_cell`: staff open these files, and a name such as
`=HYPERLINK("http://…","…")` typed by a company or a university must stay text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell

from innovation_center.core.text import strip_control_characters

FORMATS = ("csv", "xlsx")
# OWASP's CSV injection list: a spreadsheet reads a cell that starts with one as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column of a download: its header and where each row's value comes from.

    `value` is an attribute path ("university.name", "get_status_display") or a function of
    the row. Dates are written as YYYY-MM-DD, booleans as yes/no, None as an empty cell.
    """

    header: str | Promise
    value: str | Callable[[object], object]

    def of(self, row) -> object:
        if callable(self.value):
            return _cell(self.value(row))
        value = row
        for name in self.value.split("."):
            value = getattr(value, name) if value is not None else None
        if callable(value) and not isinstance(value, models.Manager):
            value = value()  # a method such as get_status_display
        return _cell(value)


def _cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model | Promise):
        return str(value)
    return value


def safe_cell(value) -> object:
    """A cell no spreadsheet runs: text loses its control characters (openpyxl refuses them)
    and, when it would start a formula, gets OWASP's `'` in front; numbers stay numbers."""
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        return value
    value = strip_control_characters(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _SafeCsvWriter:
    def __init__(self, buffer):
        # Text quoted, numbers bare: a separator inside a name (a `;` where Excel splits on
        # it) cannot start a new cell, and spreadsheets still read numbers as numbers.
        self._writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(buffer) -> _SafeCsvWriter:
    """`csv.writer(buffer)` for files people open in a spreadsheet: every cell `safe_cell`."""
    return _SafeCsvWriter(buffer)


def xlsx_cells(sheet, values: Iterable) -> list[Cell]:
    """One row for `sheet.append`, every cell `safe_cell`; text is stored as text.

    openpyxl makes a formula of any text that starts with "=" and an error cell of "#N/A";
    a cell typed as text is neither, whatever it holds.
    """
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=safe_cell(value))
        if isinstance(cell.value, str):
            cell.data_type = "s"
        cells.append(cell)
    return cells


def export_format(request: HttpRequest) -> str:
    """'csv' or 'xlsx' when the list is asked for as a file, else ''."""
    fmt = request.GET.get("format", "")
    return fmt if fmt in FORMATS else ""


def export_table(
    *, filename: str, fmt: str, columns: Sequence[Column], rows: Iterable
) -> HttpResponse:
    """The rows as an attachment in `fmt`, one cell per declared column."""
    return export_response(
        filename=filename,
        fmt=fmt,
        headers=[column.header for column in columns],
        rows=([column.of(row) for column in columns] for row in rows),
    )


def export_response(
    *, filename: str, fmt: str, headers: Sequence[str], rows: Iterable[Sequence]
) -> HttpResponse:
    """An attachment in `fmt` ('csv' or 'xlsx'), every cell `safe_cell`; CSV carries a BOM so
    Excel reads UTF-8."""
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(xlsx_cells(sheet, (str(h) for h in headers)))
        for row in rows:
            sheet.append(xlsx_cells(sheet, row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv_writer(buffer)
        writer.writerow([str(h) for h in headers])
        writer.writerows(rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        fmt = "csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
