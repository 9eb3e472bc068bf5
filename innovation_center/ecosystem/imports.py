"""Company import: the documented columns and how a file row becomes a `company_create`."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from innovation_center.core.imports import ImportColumn, TableImport, choice_value
from innovation_center.core.uscc import normalise
from innovation_center.ecosystem.models import Company, Industry

COMPANY_COLUMNS = [
    ImportColumn("legal_name", gettext_lazy("Legal name, as on the business licence"), True),
    ImportColumn("uscc", gettext_lazy("Unified social credit code, 18 characters"), True),
    ImportColumn(
        "industry", gettext_lazy("Industry: one of the codes or names listed below"), True
    ),
    ImportColumn("city", gettext_lazy("City"), True),
    ImportColumn("size", gettext_lazy("micro, small, medium or large (default small)")),
    ImportColumn("status", gettext_lazy("applied, admitted, incubating, graduated or exited")),
    ImportColumn("exit_reason", gettext_lazy("Why it exited (required when status is exited)")),
    ImportColumn("description", gettext_lazy("Description")),
    ImportColumn("website", gettext_lazy("Website address")),
    ImportColumn("contact_email", gettext_lazy("Contact e-mail")),
    ImportColumn("applied_on", gettext_lazy("Date applied, YYYY-MM-DD")),
]


def _date(row: dict, column: str) -> dt.date | None:
    text = row.get(column, "")
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValidationError({column: [_("Write the date as YYYY-MM-DD.")]}) from None


def company_fields(row: dict) -> dict:
    """The `company_create` arguments of one file row (dates and choices converted, blanks
    defaulted); raises ValidationError keyed by column for a value it cannot read."""
    return {
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
        "applied_on": _date(row, "applied_on"),
    }


COMPANY_IMPORT = TableImport(
    session_key="ecosystem.company_import",
    columns=COMPANY_COLUMNS,
    preview_columns=["legal_name", "uscc", "industry", "city", "status"],
    build=company_fields,
    # The exit-reason rule names no field: it is about the status.
    fallback_column="status",
    unique=[
        ("uscc", lambda row: normalise(row.get("uscc", ""))),
        ("legal_name", lambda row: row.get("legal_name", "").strip()),
    ],
)
