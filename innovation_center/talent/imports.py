"""Course import: the documented columns and how a file row becomes a `course_create`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from innovation_center.core.imports import ImportColumn, TableImport, choice_value
from innovation_center.talent.models import Course, Program

COURSE_COLUMNS = [
    ImportColumn("program", gettext_lazy("Name of the course program, as listed below"), True),
    ImportColumn("title", gettext_lazy("Course title"), True),
    ImportColumn("year", gettext_lazy("Year, e.g. 2021"), True),
    ImportColumn("term", gettext_lazy("spring, summer or autumn"), True),
    ImportColumn("teachers", gettext_lazy("Teachers' names, separated by semicolons"), True),
    ImportColumn("students_enrolled", gettext_lazy("Number of students enrolled"), True),
    ImportColumn("hours", gettext_lazy("Teaching hours (at least 1)"), True),
]
NUMBERS = ("year", "students_enrolled", "hours")


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
    """The `course_create` arguments of one row; raises ValidationError keyed by column."""
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


COURSE_IMPORT = TableImport(
    session_key="talent.course_import",
    columns=COURSE_COLUMNS,
    preview_columns=["program", "title", "year", "term", "teachers", "students_enrolled"],
    build=course_fields,
    lookups=lambda: {"programs": programs_by_name()},
    # The one-course-per-semester rule names no field; the title is what repeats.
    fallback_column="title",
    unique=[
        (
            "title",
            lambda r: (r.get("title", "").strip(), r.get("year", "").strip(), r.get("term", "")),
        )
    ],
)
