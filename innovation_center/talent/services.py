"""Writes of the talent platform: courses, crowd-development tasks and internships.

Rows always belong to a university the actor coordinates; the university comes from the
membership, never from what the browser sent. Every change keeps its history under the
university's organisation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypedDict

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from innovation_center.accounts.access import is_coordinator_of
from innovation_center.accounts.services import audit_record, model_snapshot
from innovation_center.core.errors import ApplicationError
from innovation_center.core.services import model_update, validated
from innovation_center.ecosystem.models import Company
from innovation_center.talent.models import (
    Course,
    CrowdTask,
    Internship,
    Program,
    Teacher,
    University,
)


class CourseChanges(TypedDict, total=False):
    """What an edit may change of a course; `teachers` are names (a list or one text)."""

    program: Program
    title: str
    year: int
    term: str
    students_enrolled: int
    hours: int
    teachers: Sequence[str] | str


class CrowdTaskChanges(TypedDict, total=False):
    program: Program | None
    kind: str
    title: str
    team: str
    status: str
    artifact_url: str
    delivered_on: dt.date | None


class InternshipChanges(TypedDict, total=False):
    program: Program | None
    host_name: str
    student_count: int
    starts_on: dt.date
    ends_on: dt.date


# The teachers are people, not a column: `_set_teachers` writes them.
COURSE_EDITABLE = tuple(n for n in CourseChanges.__annotations__ if n != "teachers")
CROWDTASK_EDITABLE = tuple(CrowdTaskChanges.__annotations__)
INTERNSHIP_EDITABLE = tuple(InternshipChanges.__annotations__)


def _require_coordinator(actor, university: University) -> None:
    if not is_coordinator_of(actor, university):
        raise ApplicationError(
            _("Only a coordinator of %(university)s can change its records.")
            % {"university": university.name},
            code="forbidden",
        )


@contextmanager
def _clash_refused() -> Iterator[None]:
    # A unique row written by someone else between our check and our insert.
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise ApplicationError(
            _("This record clashes with one saved meanwhile; reload and try again.")
        ) from None


def _snapshot(instance: Model) -> dict:
    snapshot = model_snapshot(instance)
    if isinstance(instance, Course):
        snapshot["teachers"] = course_teacher_names(instance)
    return snapshot


def _recorded(*, actor, instance, action: str, before: dict | None):
    audit_record(
        actor=actor,
        instance=instance,
        action=action,
        before=before,
        after=_snapshot(instance),
        organisation=instance.university.organisation,
    )
    return instance


def _created(*, actor, instance, teachers: list[str] | None = None):
    validated(instance)
    with _clash_refused():
        instance.save()
        if teachers is not None:
            _set_teachers(instance, teachers)
    return _recorded(actor=actor, instance=instance, action="create", before=None)


def _updated(*, actor, instance, fields: Sequence[str], data, teachers: list[str] | None = None):
    before = _snapshot(instance)
    with _clash_refused():
        model_update(instance=instance, fields=fields, data=data)
        if teachers is not None:
            _set_teachers(instance, teachers)
    return _recorded(actor=actor, instance=instance, action="update", before=before)


@transaction.atomic
def course_create(
    *,
    actor,
    university: University,
    program: Program,
    title: str,
    year: int,
    term: str,
    teachers: Sequence[str] | str,
    students_enrolled: int,
    hours: int,
) -> Course:
    """Log a course for a university the actor coordinates; `teachers` are names."""
    _require_coordinator(actor, university)
    names = _teacher_names(teachers)
    course = Course(
        university=university,
        logged_by=actor,
        program=program,
        title=title,
        year=year,
        term=term,
        students_enrolled=students_enrolled,
        hours=hours,
    )
    return _created(actor=actor, instance=course, teachers=names)


@transaction.atomic
def course_update(*, actor, course: Course, data: CourseChanges) -> Course:
    _require_coordinator(actor, course.university)
    course = Course.objects.select_related("university__organisation").get(pk=course.pk)
    names = _teacher_names(data["teachers"]) if "teachers" in data else None
    return _updated(actor=actor, instance=course, fields=COURSE_EDITABLE, data=data, teachers=names)


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


@transaction.atomic
def crowdtask_create(
    *,
    actor,
    university: University,
    kind: str,
    title: str,
    team: str,
    program: Program | None = None,
    status: str = CrowdTask.Status.OPEN,
    artifact_url: str = "",
    delivered_on: dt.date | None = None,
) -> CrowdTask:
    _require_coordinator(actor, university)
    task = CrowdTask(
        university=university,
        program=program,
        kind=kind,
        title=title,
        team=team,
        status=status,
        artifact_url=artifact_url,
        delivered_on=delivered_on,
    )
    return _created(actor=actor, instance=task)


@transaction.atomic
def crowdtask_update(*, actor, task: CrowdTask, data: CrowdTaskChanges) -> CrowdTask:
    _require_coordinator(actor, task.university)
    task = CrowdTask.objects.select_related("university__organisation").get(pk=task.pk)
    return _updated(actor=actor, instance=task, fields=CROWDTASK_EDITABLE, data=data)


def _host_name(host_name: str | None) -> str:
    """The host as written, required: pages and API refuse an internship without one alike."""
    name = (host_name or "").strip()
    if not name:
        raise ApplicationError(
            _("Name the internship's host: the company or institution the students go to."),
            code="host_required",
            field_errors={"host_name": [_("Name the host company or institution.")]},
        )
    return name


def _host_company(host_name: str) -> Company | None:
    # A host written exactly as a center company's legal name is linked to that company, so
    # the company sees the internship. Coordinators do not see companies: the API shows the
    # link only to those who may see the company (talent.serializers), never whether a name
    # matched, so trying legal names tells a coordinator nothing.
    return Company.objects.filter(legal_name=host_name).first()


@transaction.atomic
def internship_create(
    *,
    actor,
    university: University,
    student_count: int,
    starts_on: dt.date,
    ends_on: dt.date,
    host_name: str = "",
    program: Program | None = None,
) -> Internship:
    """Log an internship; its host is required, and linked to the center company whose exact
    legal name it is."""
    _require_coordinator(actor, university)
    host_name = _host_name(host_name)
    internship = Internship(
        university=university,
        program=program,
        host_name=host_name,
        host_company=_host_company(host_name),
        student_count=student_count,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    return _created(actor=actor, instance=internship)


@transaction.atomic
def internship_update(*, actor, internship: Internship, data: InternshipChanges) -> Internship:
    _require_coordinator(actor, internship.university)
    internship = Internship.objects.select_related("university__organisation").get(pk=internship.pk)
    data = dict(data)
    data["host_name"] = _host_name(data.get("host_name", internship.host_name))
    data["host_company"] = _host_company(data["host_name"])
    return _updated(
        actor=actor,
        instance=internship,
        fields=[*INTERNSHIP_EDITABLE, "host_company"],
        data=data,
    )
