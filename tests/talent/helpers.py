"""Builders for the talent tests (beyond tests/factories.py)."""

import datetime as dt

from innovation_center.talent.models import Course, CrowdTask, Internship, Teacher


def course(university, program, title="Ascend AI fundamentals", teachers=2, **fields):
    """A course taught by `teachers` teachers (a count, or a list of names)."""
    defaults = {
        "year": 2021,
        "term": "autumn",
        "students_enrolled": 120,
        "hours": 32,
    }
    defaults.update(fields)
    created = Course.objects.create(university=university, program=program, title=title, **defaults)
    names = teachers if isinstance(teachers, list) else [f"Teacher {i}" for i in range(teachers)]
    created.teachers.set(
        [Teacher.objects.get_or_create(university=university, name=n)[0] for n in names]
    )
    return created


def crowd_task(university, title="Conv2D operator", kind="operator", **fields):
    defaults = {"team": "Team A"}
    defaults.update(fields)
    return CrowdTask.objects.create(university=university, kind=kind, title=title, **defaults)


def internship(university, **fields):
    defaults = {
        "host_name": "Hubei Lab",
        "student_count": 3,
        "starts_on": dt.date(2021, 7, 1),
        "ends_on": dt.date(2021, 8, 31),
    }
    defaults.update(fields)
    return Internship.objects.create(university=university, **defaults)
