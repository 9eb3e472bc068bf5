"""Writes of the talent platform: courses, crowd-development tasks and internships.

Rows always belong to a university the actor coordinates; the university comes from the
membership, never from what the browser sent. Every change keeps its history under the
university's organisation.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from innovation_center.accounts.services import audit_record, model_snapshot
from innovation_center.core.errors import ApplicationError
from innovation_center.core.permissions import is_coordinator_of
from innovation_center.ecosystem.models import Company
from innovation_center.talent.models import Course, CrowdTask, Internship, Teacher, University

COURSE_EDITABLE = ("program", "title", "year", "term", "students_enrolled", "hours")
CROWDTASK_EDITABLE = ("program", "kind", "title", "team", "status", "artifact_url", "delivered_on")
INTERNSHIP_EDITABLE = ("program", "host_name", "student_count", "starts_on", "ends_on")


def _require_coordinator(actor, university: University) -> None:
    if not is_coordinator_of(actor, university):
        raise ApplicationError(
            _("Only a coordinator of %(university)s can change its records.")
            % {"university": university.name},
            code="forbidden",
        )


def _validated(instance: Model) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        field_errors = {
            (None if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
        raise ApplicationError(" ".join(error.messages), field_errors=field_errors) from None


def _save(
    *,
    actor,
    instance,
    action: str,
    before: dict | None,
    university: University,
    teachers: list[str] | None = None,
):
    _validated(instance)
    try:
        with transaction.atomic():
            instance.save()
            if teachers is not None:
                _set_teachers(instance, teachers)
    except IntegrityError:
        raise ApplicationError(
            _("This record clashes with one saved meanwhile; reload and try again.")
        ) from None
    after = model_snapshot(instance)
    if isinstance(instance, Course):
        after["teachers"] = course_teacher_names(instance)
    audit_record(
        actor=actor,
        instance=instance,
        action=action,
        before=before,
        after=after,
        organisation=university.organisation,
    )
    return instance


@transaction.atomic
def course_create(*, actor, university: University, fields: dict) -> Course:
    """Log a course for a university the actor coordinates; `fields["teachers"]` are names."""
    _require_coordinator(actor, university)
    names = _teacher_names(fields.get("teachers"))
    course = Course(
        university=university,
        logged_by=actor,
        **{k: v for k, v in fields.items() if k in COURSE_EDITABLE},
    )
    return _save(
        actor=actor,
        instance=course,
        action="create",
        before=None,
        university=university,
        teachers=names,
    )


@transaction.atomic
def course_update(*, actor, course: Course, fields: dict) -> Course:
    _require_coordinator(actor, course.university)
    course = Course.objects.select_related("university__organisation").get(pk=course.pk)
    before = model_snapshot(course) | {"teachers": course_teacher_names(course)}
    names = _teacher_names(fields["teachers"]) if "teachers" in fields else None
    for name, value in fields.items():
        if name in COURSE_EDITABLE:
            setattr(course, name, value)
    return _save(
        actor=actor,
        instance=course,
        action="update",
        before=before,
        university=course.university,
        teachers=names,
    )


def course_teacher_names(course: Course) -> list[str]:
    return sorted(t.name for t in course.teachers.all())


def _teacher_names(value) -> list[str]:
    """Names from a list or a text with one name per line (or separated by ; ； 、 ,)."""
    if isinstance(value, str):
        for separator in ("；", "、", ";", ",", "，"):
            value = value.replace(separator, "\n")
        value = value.splitlines()
    names = list(dict.fromkeys(" ".join(str(n).split()) for n in (value or []) if str(n).strip()))
    if not names:
        message = _("Name at least one teacher of the course.")
        raise ApplicationError(message, field_errors={"teachers": [message]})
    too_long = [n for n in names if len(n) > 100]
    if too_long:
        message = _("A teacher's name has at most 100 characters: “%(name)s…”.") % {
            "name": too_long[0][:20]
        }
        raise ApplicationError(message, field_errors={"teachers": [message]})
    return names


def _set_teachers(course: Course, names: list[str]) -> None:
    existing = {
        t.name: t for t in Teacher.objects.filter(university=course.university, name__in=names)
    }
    missing = [Teacher(university=course.university, name=n) for n in names if n not in existing]
    for teacher in Teacher.objects.bulk_create(missing):
        existing[teacher.name] = teacher
    course.teachers.set([existing[n] for n in names])


def courses_import(*, actor, university: University, rows: Iterable[dict]) -> list[Course]:
    """Log every course of a validated file for the university, all or none."""
    from innovation_center.talent.imports import course_fields, course_rows_check, programs_by_name

    _require_coordinator(actor, university)
    rows = list(rows)
    if course_rows_check(rows=rows, university=university):
        raise ApplicationError(_("The file is no longer valid; preview it again."))
    programs = programs_by_name()
    created = []
    with transaction.atomic():
        for row in rows:
            created.append(
                course_create(
                    actor=actor, university=university, fields=course_fields(row, programs)
                )
            )
    return created


@transaction.atomic
def crowdtask_create(*, actor, university: University, fields: dict) -> CrowdTask:
    _require_coordinator(actor, university)
    task = CrowdTask(
        university=university, **{k: v for k, v in fields.items() if k in CROWDTASK_EDITABLE}
    )
    return _save(actor=actor, instance=task, action="create", before=None, university=university)


@transaction.atomic
def crowdtask_update(*, actor, task: CrowdTask, fields: dict) -> CrowdTask:
    _require_coordinator(actor, task.university)
    task = CrowdTask.objects.select_related("university__organisation").get(pk=task.pk)
    before = model_snapshot(task)
    for name, value in fields.items():
        if name in CROWDTASK_EDITABLE:
            setattr(task, name, value)
    return _save(
        actor=actor, instance=task, action="update", before=before, university=task.university
    )


def _link_host(internship: Internship) -> None:
    # A host written exactly as a center company's legal name is linked to that company.
    name = (internship.host_name or "").strip()
    internship.host_company = Company.objects.filter(legal_name=name).first() if name else None


@transaction.atomic
def internship_create(*, actor, university: University, fields: dict) -> Internship:
    _require_coordinator(actor, university)
    internship = Internship(
        university=university,
        **{k: v for k, v in fields.items() if k in INTERNSHIP_EDITABLE},
    )
    _link_host(internship)
    return _save(
        actor=actor, instance=internship, action="create", before=None, university=university
    )


@transaction.atomic
def internship_update(*, actor, internship: Internship, fields: dict) -> Internship:
    _require_coordinator(actor, internship.university)
    internship = Internship.objects.select_related("university__organisation").get(pk=internship.pk)
    before = model_snapshot(internship)
    for name, value in fields.items():
        if name in INTERNSHIP_EDITABLE:
            setattr(internship, name, value)
    _link_host(internship)
    return _save(
        actor=actor,
        instance=internship,
        action="update",
        before=before,
        university=internship.university,
    )
