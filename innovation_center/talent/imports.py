"""Course import: the documented columns and the whole-file validation."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from innovation_center.core.imports import (
    ROW,
    RowError,
    choice_value,
    duplicate_errors,
    sorted_errors,
    validation_errors,
)
from innovation_center.talent.models import Course, Program, University

# (column, required, what it holds) — shown on the import page.
COURSE_COLUMNS = [
    ("program", True, gettext_lazy("Name of the course program, as listed below")),
    ("title", True, gettext_lazy("Course title")),
    ("year", True, gettext_lazy("Year, e.g. 2021")),
    ("term", True, gettext_lazy("spring, summer or autumn")),
    ("teachers", True, gettext_lazy("Teachers' names, separated by semicolons")),
    ("students_enrolled", True, gettext_lazy("Number of students enrolled")),
    ("hours", True, gettext_lazy("Teaching hours (at least 1)")),
]
COLUMN_NAMES = [name for name, _required, _help in COURSE_COLUMNS]
REQUIRED = [name for name, required, _help in COURSE_COLUMNS if required]
NUMBERS = ("year", "students_enrolled", "hours")
FIELD_COLUMNS = {name: name for name in COLUMN_NAMES}


def programs_by_name() -> dict[str, list[Program]]:
    found: dict[str, list[Program]] = {}
    for program in Program.objects.filter(kind=Program.Kind.COURSE).only("id", "name", "year"):
        found.setdefault(program.name.strip().lower(), []).append(program)
    return found


def _program_for(name: str, year: int | None, programs: dict) -> Program:
    candidates = programs.get(name.strip().lower(), [])
    if len(candidates) == 1:
        return candidates[0]
    for program in candidates:
        if program.year == year:
            return program
    if candidates:
        raise ValidationError(
            _("Several programs are named “%(name)s”; none is of the course's year.")
            % {"name": name}
        )
    raise ValidationError(_("No course program is named “%(name)s”.") % {"name": name})


def course_fields(row: dict, programs: dict | None = None) -> dict:
    """The model fields of one row; raises ValidationError keyed by column for bad values."""
    programs = programs if programs is not None else programs_by_name()
    errors: dict[str, list[str]] = {}
    fields: dict = {
        "title": row.get("title", "").strip(),
        "term": choice_value(Course.Term, row.get("term", "")),
        "teachers": [n.strip() for n in row.get("teachers", "").replace("；", ";").split(";")],
    }
    fields["teachers"] = [n for n in fields["teachers"] if n]
    if not fields["teachers"]:
        errors["teachers"] = [_("Name at least one teacher; separate names with semicolons.")]
    for name in NUMBERS:
        text = row.get(name, "").strip()
        try:
            fields[name] = int(text)
            if fields[name] < 0:
                raise ValueError
        except ValueError:
            fields[name] = None
            errors[name] = [_("Write a whole number, 0 or more.")]
    try:
        fields["program"] = _program_for(row.get("program", ""), fields.get("year"), programs)
    except ValidationError as error:
        errors["program"] = error.messages
    if errors:
        raise ValidationError(errors)
    return fields


def course_rows_check(*, rows: list[dict], university: University) -> list[RowError]:
    """Every problem of every row, by row number and column; empty when all can be written."""
    errors = duplicate_errors(
        rows,
        key=lambda r: (r.get("title", "").strip(), r.get("year", "").strip(), r.get("term", "")),
        column="title",
    )
    programs = programs_by_name()
    for row in rows:
        try:
            fields = course_fields(row, programs)
        except ValidationError as error:
            errors += validation_errors(row, error, column_of=FIELD_COLUMNS, fallback="title")
            continue
        fields.pop("teachers")
        course = Course(university=university, **fields)
        try:
            course.full_clean()
        except ValidationError as error:
            errors += validation_errors(row, error, column_of=FIELD_COLUMNS, fallback="title")
    return sorted_errors(errors)


__all__ = ["COURSE_COLUMNS", "ROW", "course_fields", "course_rows_check"]
