"""Uploaded CSV/XLSX tables for imports: read as text, validated whole before anything is written.

A file becomes a list of plain rows (`{"_row": 3, "legal_name": "…"}`, strings only) so the
rows can travel between the preview and the confirm step in the JSON session: nothing is
pickled, nothing in the file is executed or evaluated.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from innovation_center.core.errors import ApplicationError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
ROW = "_row"  # key of the spreadsheet row number (the header is row 1)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


def _header_name(value) -> str:
    text = "" if value is None else str(value)
    return text.replace("\ufeff", "").strip().lower().replace(" ", "_").replace("-", "_")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterable[list]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApplicationError(
            _("The CSV file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
        ) from None
    return csv.reader(io.StringIO(text, newline=""))


def _xlsx_rows(data: bytes) -> Iterable[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ApplicationError(
            _("The file is not a readable XLSX workbook. Save it again from Excel as .xlsx.")
        ) from None
    sheet = workbook.worksheets[0]
    return sheet.iter_rows(values_only=True)


def read_table(upload, *, columns: Sequence[str], required: Sequence[str]) -> list[dict]:
    """The rows of an uploaded .csv (UTF-8, BOM or not) or .xlsx file, as text keyed by column.

    Refuses (ApplicationError) a file over MAX_BYTES or MAX_ROWS rows, of another type, without
    the required columns, or with columns it does not know; blank rows are skipped.
    """
    if upload is None:
        raise ApplicationError(_("Choose a file to upload."))
    name = (upload.name or "").lower()
    if upload.size > MAX_BYTES:
        raise ApplicationError(
            _("The file is %(size)d KB; the limit is %(limit)d KB. Split it into smaller files.")
            % {"size": upload.size // 1024, "limit": MAX_BYTES // 1024}
        )
    data = upload.read(MAX_BYTES + 1)
    if name.endswith(".csv"):
        raw_rows = _csv_rows(data)
    elif name.endswith(".xlsx"):
        raw_rows = _xlsx_rows(data)
    else:
        raise ApplicationError(
            _("Only .csv (UTF-8) and .xlsx files can be imported; “%(name)s” is neither.")
            % {"name": upload.name}
        )
    iterator = iter(raw_rows)
    try:
        header = [_header_name(value) for value in next(iterator)]
    except StopIteration:
        raise ApplicationError(_("The file is empty.")) from None
    except csv.Error as error:
        raise ApplicationError(
            _("The CSV file cannot be read: %(error)s") % {"error": error}
        ) from None
    while header and not header[-1]:
        header.pop()
    unknown = [h for h in header if h not in columns]
    if unknown:
        raise ApplicationError(
            _("Unknown column “%(column)s” in the header. The columns are: %(columns)s.")
            % {"column": unknown[0] or "—", "columns": ", ".join(columns)}
        )
    missing = [c for c in required if c not in header]
    if missing:
        raise ApplicationError(
            _("The header lacks the column(s): %(columns)s.") % {"columns": ", ".join(missing)}
        )
    rows = []
    try:
        for number, values in enumerate(iterator, start=2):
            texts = [_cell_text(v) for v in values]
            if not any(texts):
                continue
            if len(rows) >= MAX_ROWS:
                raise ApplicationError(
                    _("The file has more than %(max)d rows. Split it into smaller files.")
                    % {"max": MAX_ROWS}
                )
            row = {column: "" for column in header}
            row.update(zip(header, texts, strict=False))
            row[ROW] = number
            rows.append(row)
    except csv.Error as error:
        raise ApplicationError(
            _("The CSV file cannot be read: %(error)s") % {"error": error}
        ) from None
    if not rows:
        raise ApplicationError(_("The file has a header but no rows."))
    return rows


def validation_errors(
    row: dict, error: ValidationError, *, column_of: dict[str, str], fallback: str
) -> list[RowError]:
    """A model's ValidationError as row errors named by the file's columns."""
    found = []
    for field, messages in error.message_dict.items():
        column = column_of.get(field, fallback if field == NON_FIELD_ERRORS else field)
        found.extend(RowError(row[ROW], column, message) for message in messages)
    return found


def duplicate_errors(
    rows: Sequence[dict], *, key: Callable[[dict], tuple | str], column: str
) -> list[RowError]:
    """Rows that repeat an earlier row's unique key within the same file."""
    seen: dict = {}
    found = []
    for row in rows:
        value = key(row)
        if not value or (isinstance(value, tuple) and not all(value)):
            continue
        if value in seen:
            found.append(
                RowError(
                    row[ROW],
                    column,
                    _("Repeats row %(row)d of this file.") % {"row": seen[value]},
                )
            )
        else:
            seen[value] = row[ROW]
    return found


def choice_value(choices: type[models.TextChoices], text: str) -> str:
    """A TextChoices value from its value or its English label, case-insensitive ('' if none)."""
    wanted = text.strip().lower()
    for value, label in zip(choices.values, choices.labels, strict=True):
        if wanted in {value.lower(), str(label).lower()}:
            return value
    return text.strip()


def preview_rows(rows: Sequence[dict], columns: Sequence[str], limit: int = 200) -> list:
    """(row number, [values]) of the first rows, for the preview table."""
    return [(row[ROW], [row.get(c, "") for c in columns]) for row in rows[:limit]]


def sorted_errors(errors: Iterable[RowError]) -> list[RowError]:
    return sorted(errors, key=lambda e: (e.row, e.column))
