"""Imports of CSV/XLSX tables: upload → preview (every row's errors) → confirm, all or none.

An app declares a `TableImport` (its columns and the builder that turns a file row into the
keyword arguments of its create service); `import_page` runs the rest. A file becomes a list
of plain rows (`{"_row": 3, "legal_name": "…"}`, strings only) so the rows can travel between
the preview and the confirm step in the JSON session: nothing is pickled, nothing in the file
is executed or evaluated.

The preview writes every row through the app's own service inside a transaction that is
rolled back, so it refuses exactly what the confirm step would refuse. Services used here
must keep their side effects inside the transaction (`transaction.on_commit`). A cell with a
control character is refused by row and column before its row reaches the service, as the
forms and the API refuse one (`core.text`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from innovation_center.core.errors import ApplicationError
from innovation_center.core.text import control_character_message

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
ROW = "_row"  # key of the spreadsheet row number (the header is row 1)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class ImportColumn:
    """A column of the file, as documented on the import page."""

    name: str
    help: str | Promise
    required: bool = False


@dataclass(frozen=True)
class TableImport:
    """What one import declares; reading, checking, previewing and writing are shared.

    `build(row, **lookups())` turns a file row into the keyword arguments of the create
    service, raising ValidationError keyed by column for values it cannot convert; `lookups`
    loads what it needs once per file. `unique` holds (column, key of a row) pairs that a
    file may not repeat. A service error that names no field lands on `fallback_column`.
    """

    session_key: str
    columns: Sequence[ImportColumn]
    preview_columns: Sequence[str]
    build: Callable[..., dict]
    fallback_column: str
    lookups: Callable[[], dict] = dict
    unique: Sequence[tuple[str, Callable[[dict], object]]] = ()

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def required(self) -> list[str]:
        return [column.name for column in self.columns if column.required]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


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
    if "\x00" in text:
        # NUL bytes: UTF-16 text or not text at all; PostgreSQL could store none of it.
        raise ApplicationError(
            _(
                "The CSV file contains NUL bytes, so it is not UTF-8 text (it may be saved as "
                "UTF-16 “Unicode text”). Save it as “CSV UTF-8” and upload it again."
            )
        )
    return csv.reader(io.StringIO(text, newline=""))


def _unreadable_xlsx() -> ApplicationError:
    return ApplicationError(
        _("The file is not a readable XLSX workbook. Save it again from Excel as .xlsx.")
    )


def _xlsx_rows(data: bytes) -> Iterable[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise _unreadable_xlsx() from None
    return _sheet_rows(workbook.worksheets[0])


def _sheet_rows(sheet) -> Iterable[tuple]:
    # A read-only sheet parses its XML while it is read: a broken sheet fails here, with
    # ElementTree's ParseError (a SyntaxError).
    try:
        yield from sheet.iter_rows(values_only=True)
    except (SyntaxError, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise _unreadable_xlsx() from None


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
    for number, name in enumerate(header, start=1):
        if problem := control_character_message(name):
            raise ApplicationError(
                _("Column %(number)d of the header: %(problem)s")
                % {"number": number, "problem": problem}
            )
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
    row: dict, error: ValidationError, *, fallback: str, column_of: Mapping[str, str] | None = None
) -> list[RowError]:
    """A ValidationError as row errors named by the file's columns (a field's own name unless
    `column_of` maps it); what names no field lands on `fallback`."""
    column_of = column_of or {}
    by_field = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    found = []
    for field, field_messages in by_field.items():
        if field in (None, NON_FIELD_ERRORS):
            column = fallback
        else:
            column = column_of.get(field, field)
        found.extend(RowError(row[ROW], column, message) for message in field_messages)
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


def control_character_errors(rows: Sequence[dict]) -> list[RowError]:
    """Every cell that holds a control character, by row number and column."""
    return [
        RowError(row[ROW], column, message)
        for row in rows
        for column, text in row.items()
        if column != ROW and (message := control_character_message(text))
    ]


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


def service_errors(row: dict, error: ApplicationError, *, fallback: str) -> list[RowError]:
    """A service's refusal of one row as row errors; a field is named by its column."""
    found = [
        RowError(row[ROW], fallback if field is None else field, str(message))
        for field, field_messages in error.field_errors.items()
        for message in field_messages
    ]
    return found or [RowError(row[ROW], fallback, str(error.message))]


def _rows_write(spec: TableImport, rows: Sequence[dict], write: Callable) -> tuple[list, list]:
    """Write every row, each in its own savepoint; (what was written, every row's errors)."""
    errors: list[RowError] = []
    errors += control_character_errors(rows)
    for column, key in spec.unique:
        errors += duplicate_errors(rows, key=key, column=column)
    # Refused rows never reach the service (PostgreSQL would refuse a NUL with a 500).
    repeated = {error.row for error in errors}
    lookups = spec.lookups()
    written = []
    for row in rows:
        if row[ROW] in repeated:
            continue
        try:
            fields = spec.build(row, **lookups)
            with transaction.atomic():
                written.append(write(**fields))
        except ValidationError as error:
            errors += validation_errors(row, error, fallback=spec.fallback_column)
        except ApplicationError as error:
            errors += service_errors(row, error, fallback=spec.fallback_column)
        except IntegrityError:
            message = _("This record clashes with one saved meanwhile; reload and try again.")
            errors.append(RowError(row[ROW], spec.fallback_column, message))
    return written, sorted_errors(errors)


def rows_check(spec: TableImport, rows: Sequence[dict], *, write: Callable) -> list[RowError]:
    """Every problem of every row, by row number and column; empty when all can be written.

    The rows go through `write` in a transaction that is always rolled back.
    """
    with transaction.atomic():
        _written, errors = _rows_write(spec, rows, write)
        transaction.set_rollback(True)
    return errors


def rows_apply(spec: TableImport, rows: Sequence[dict], *, write: Callable) -> list:
    """Write every row of a checked file in one transaction, all or none.

    Raises ApplicationError when a row fails now (the data changed since the preview).
    """
    with transaction.atomic():
        written, errors = _rows_write(spec, rows, write)
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ApplicationError(
            _("The file is no longer valid (%(count)d problem(s)); preview it again.")
            % {"count": len(errors)}
        )
    return written


def import_page(
    request: HttpRequest,
    *,
    spec: TableImport,
    writer: Callable[[dict], Callable],
    done: Callable[[int], str],
    success_url: str,
    title: str,
    template: str,
    form_class: type[forms.Form] = ImportUploadForm,
    form_kwargs: Mapping | None = None,
    keep: Callable[[forms.Form], dict] | None = None,
    context: Mapping | None = None,
) -> HttpResponse:
    """Upload → preview (every row's errors) → confirm (all rows in one transaction).

    `keep(form)` is what the upload form chose besides the file, as plain values stored with
    the previewed rows; `writer(kept)` returns the function that writes one row (the create
    service with its actor and target bound) and is called again at the confirm step, where
    it may refuse (PermissionDenied) a choice that is no longer allowed.
    """
    form_kwargs = dict(form_kwargs or {})
    page = {
        **(context or {}),
        "columns": spec.columns,
        "title": title,
        "action_url": request.path,
    }
    form = form_class(**form_kwargs)
    if request.method == "POST" and request.POST.get("step") == "confirm":
        stored = request.session.pop(spec.session_key, None)
        if not stored or stored.get("token") != request.POST.get("token") or "kept" not in stored:
            messages.error(request, _("This preview has expired; upload the file again."))
            return redirect(request.path)
        write = writer(stored["kept"])
        try:
            written = rows_apply(spec, stored["rows"], write=write)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect(request.path)
        messages.success(request, done(len(written)))
        return redirect(success_url)
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            try:
                rows = read_table(
                    form.cleaned_data["file"], columns=spec.column_names, required=spec.required
                )
            except ApplicationError as error:
                form.add_error("file", error.message)
            else:
                kept = keep(form) if keep else {}
                errors = rows_check(spec, rows, write=writer(kept))
                page.update({"rows": rows, "errors": errors, "previewed": True})
                if not errors:
                    token = uuid.uuid4().hex
                    # Plain strings in the JSON session: nothing from the file is unpickled.
                    request.session[spec.session_key] = {"token": token, "rows": rows, "kept": kept}
                    page.update(
                        {
                            "token": token,
                            "preview_columns": spec.preview_columns,
                            "preview_rows": preview_rows(rows, spec.preview_columns),
                        }
                    )
    page["form"] = form
    return render(request, template, page)
