"""Company import: the documented columns and the whole-file validation."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from innovation_center.accounts.models import Organisation
from innovation_center.core.imports import (
    ROW,
    RowError,
    choice_value,
    duplicate_errors,
    sorted_errors,
    validation_errors,
)
from innovation_center.core.uscc import normalise
from innovation_center.ecosystem.models import Company, Industry

# (column, required, what it holds) — shown on the import page.
COMPANY_COLUMNS = [
    ("legal_name", True, gettext_lazy("Legal name, as on the business licence")),
    ("uscc", True, gettext_lazy("Unified social credit code, 18 characters")),
    ("industry", True, gettext_lazy("Industry: one of the codes or names listed below")),
    ("city", True, gettext_lazy("City")),
    ("size", False, gettext_lazy("micro, small, medium or large (default small)")),
    ("status", False, gettext_lazy("applied, admitted, incubating, graduated or exited")),
    ("exit_reason", False, gettext_lazy("Why it exited (required when status is exited)")),
    ("description", False, gettext_lazy("Description")),
    ("website", False, gettext_lazy("Website address")),
    ("contact_email", False, gettext_lazy("Contact e-mail")),
    ("applied_on", False, gettext_lazy("Date applied, YYYY-MM-DD")),
]
COLUMN_NAMES = [name for name, _required, _help in COMPANY_COLUMNS]
REQUIRED = [name for name, required, _help in COMPANY_COLUMNS if required]
FIELD_COLUMNS = {name: name for name in COLUMN_NAMES}


def _date(text: str):
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValidationError(_("Write the date as YYYY-MM-DD.")) from None


def company_fields(row: dict) -> dict:
    """The model fields of one file row (dates and choices converted, blanks defaulted)."""
    fields = {
        "legal_name": row.get("legal_name", "").strip(),
        "uscc": normalise(row.get("uscc", "")),
        "industry": choice_value(Industry, row.get("industry", "")),
        "city": row.get("city", "").strip(),
        "size": choice_value(Company.Size, row.get("size", "")) or Company.Size.SMALL,
        "status": choice_value(Company.Status, row.get("status", "")) or Company.Status.APPLIED,
        "exit_reason": row.get("exit_reason", "").strip(),
        "description": row.get("description", "").strip(),
        "website": row.get("website", "").strip(),
        "contact_email": row.get("contact_email", "").strip(),
        "applied_on": _date(row.get("applied_on", "")),
    }
    return fields


def company_rows_check(*, rows: list[dict]) -> list[RowError]:
    """Every problem of every row, by row number and column; empty when all rows can be written."""
    errors = duplicate_errors(rows, key=lambda r: normalise(r.get("uscc", "")), column="uscc")
    errors += duplicate_errors(
        rows, key=lambda r: r.get("legal_name", "").strip(), column="legal_name"
    )
    names = {r.get("legal_name", "").strip() for r in rows}
    taken_names = set(
        Organisation.objects.filter(kind=Organisation.Kind.COMPANY, name__in=names).values_list(
            "name", flat=True
        )
    )
    for row in rows:
        try:
            fields = company_fields(row)
        except ValidationError as error:
            errors.append(RowError(row[ROW], "applied_on", error.messages[0]))
            continue
        company = Company(**fields)
        try:
            company.full_clean(exclude=["organisation"])
        except ValidationError as error:
            errors += validation_errors(row, error, column_of=FIELD_COLUMNS, fallback="status")
        else:
            if fields["legal_name"] in taken_names:
                errors.append(
                    RowError(
                        row[ROW],
                        "legal_name",
                        _("An organisation with this name already exists."),
                    )
                )
    return sorted_errors(errors)
