"""The demo's universities and talent programs: courses and their teachers, crowd tasks
and internships."""

import datetime as dt
import random
import re

from innovation_center.accounts.models import Organisation
from innovation_center.demo.common import random_date
from innovation_center.demo.data.people import GIVEN_NAMES, SURNAMES
from innovation_center.demo.data.talent import (
    APPLICATION_TASKS,
    COORDINATOR_UNIVERSITY,
    COURSE_STUDENTS_MAX,
    COURSE_STUDENTS_MIN,
    COURSE_TITLES,
    CROWD_TEAMS,
    INTERNSHIP_COUNT,
    MODEL_TASKS,
    MODELS,
    OPERATOR_FLAVOURS,
    OPERATOR_TASKS,
    OPERATORS,
    PROGRAMS,
    TEACHER_COUNT,
    UNIVERSITIES,
)
from innovation_center.ecosystem.models import Company
from innovation_center.talent.models import (
    Course,
    CrowdTask,
    Internship,
    Program,
    Teacher,
    University,
)


def seed_universities_and_programs() -> tuple[dict[str, University], dict[str, Program]]:
    universities = {}
    for name, short_name, _link, _courses, _weight in UNIVERSITIES:
        organisation = Organisation.objects.get_or_create(
            kind=Organisation.Kind.UNIVERSITY, name=name
        )[0]
        universities[name] = University.objects.get_or_create(
            name=name,
            defaults={"organisation": organisation, "short_name": short_name, "city": "武汉"},
        )[0]
    programs = {}
    for figures in PROGRAMS:
        fields = dict(figures)
        programs[fields["kind"]] = Program.objects.get_or_create(
            name=fields.pop("name"), year=fields.pop("year"), defaults=fields
        )[0]
    return universities, programs


def seed_courses(rng, universities, program, *, coordinator) -> None:
    terms = list(Course.Term.values)
    rows = []
    for name, _short, _link, count, _weight in UNIVERSITIES:
        pairs = [(title, term) for title in COURSE_TITLES for term in terms]
        for title, term in rng.sample(pairs, count):
            summer = term == Course.Term.SUMMER
            rows.append(
                {
                    "university": universities[name],
                    "title": title,
                    "term": term,
                    # How many of the university's teachers teach it (people are shared).
                    "teacher_count": rng.choices([1, 2, 3], [55, 35, 10])[0],
                    "students_enrolled": rng.randint(80, 240),
                    "hours": rng.choice([16, 24]) if summer else rng.choice([32, 48, 64]),
                    "logged_by": coordinator if name == COORDINATOR_UNIVERSITY else None,
                }
            )
    # Nudge enrolments one student at a time until the total is the article's 16,000+.
    target = rng.randint(COURSE_STUDENTS_MIN + 200, COURSE_STUDENTS_MAX - 200)
    difference = target - sum(row["students_enrolled"] for row in rows)
    step = 1 if difference > 0 else -1
    index = 0
    while difference:
        row = rows[index % len(rows)]
        if 30 <= row["students_enrolled"] + step <= 400:
            row["students_enrolled"] += step
            difference -= step
        index += 1
    existing = set(Course.objects.values_list("university_id", "title", "year", "term"))
    new_rows = [
        row
        for row in rows
        if (row["university"].pk, row["title"], program.year, row["term"]) not in existing
    ]
    created = Course.objects.bulk_create(
        [
            Course(program=program, year=program.year, **_without(row, "teacher_count"))
            for row in new_rows
        ]
    )
    _seed_teachers(universities, created, [row["teacher_count"] for row in new_rows])


def _without(row: dict, key: str) -> dict:
    return {k: v for k, v in row.items() if k != key}


def _teacher_names(offset: int, count: int) -> list[str]:
    # Deterministic and unique: walk surname × given name from an offset per university.
    pairs = [(s, g) for g in GIVEN_NAMES for s in SURNAMES]
    return [s + g for s, g in pairs[offset : offset + count]]


def _seed_teachers(universities, courses, counts) -> None:
    """The article's 75 teachers shared over the 105 courses: each teaches at least one."""
    sizes = {name: course_count for name, _s, _l, course_count, _w in UNIVERSITIES}
    total = sum(sizes.values())
    quotas = {name: TEACHER_COUNT * size // total for name, size in sizes.items()}
    for name in sorted(sizes, key=lambda n: -sizes[n])[: TEACHER_COUNT - sum(quotas.values())]:
        quotas[name] += 1
    offset = 0
    pools = {}
    for name, _s, _l, _c, _w in UNIVERSITIES:
        university = universities[name]
        names = _teacher_names(offset, quotas[name])
        offset += quotas[name]
        have = set(Teacher.objects.filter(university=university).values_list("name", flat=True))
        Teacher.objects.bulk_create(
            [Teacher(university=university, name=n) for n in names if n not in have]
        )
        pools[university.pk] = list(Teacher.objects.filter(university=university, name__in=names))
    links = []
    by_university: dict[int, list[tuple[Course, int]]] = {}
    for course, count in zip(courses, counts, strict=True):
        by_university.setdefault(course.university_id, []).append((course, count))
    for university_id, pairs in by_university.items():
        pool = sorted(pools[university_id], key=lambda t: t.name)
        local = random.Random(f"teachers-{university_id}-{TEACHER_COUNT}")
        for position, (course, count) in enumerate(pairs):
            # Round-robin first so nobody is left without a course, then random colleagues.
            chosen = {pool[position % len(pool)]}
            while len(chosen) < min(count, len(pool)):
                chosen.add(local.choice(pool))
            links += [Course.teachers.through(course_id=course.pk, teacher_id=t.pk) for t in chosen]
    Course.teachers.through.objects.bulk_create(links)


def _crowd_status(rng: random.Random) -> str:
    return rng.choices(
        [CrowdTask.Status.ACCEPTED, CrowdTask.Status.DELIVERED, CrowdTask.Status.IN_PROGRESS],
        [55, 30, 15],
    )[0]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def seed_crowd_tasks(rng, universities, program) -> None:
    names = [row[0] for row in UNIVERSITIES]
    slugs = {row[0]: row[2] for row in UNIVERSITIES}
    shorts = {row[0]: row[1] for row in UNIVERSITIES}
    weights = [row[4] for row in UNIVERSITIES]
    combos = [(op, flavour) for op in OPERATORS for flavour in OPERATOR_FLAVOURS]
    tasks = []  # (kind, university name, title, link path)
    for op, (flavour, flavour_slug) in rng.sample(combos, OPERATOR_TASKS):
        university = rng.choices(names, weights)[0]
        path = f"{slugs[university]}-{_slug(op)}-{flavour_slug}"
        tasks.append((CrowdTask.Kind.OPERATOR, university, f"{op} 算子 {flavour}", path))
    for model in MODELS[:MODEL_TASKS]:
        university = rng.choices(names, weights)[0]
        path = f"{slugs[university]}-{_slug(model)}-mindspore"
        tasks.append((CrowdTask.Kind.MODEL, university, f"{model} 迁移至昇思 MindSpore", path))
    for title, university in APPLICATION_TASKS:
        path = f"{slugs[university]}-luojianet-app"
        tasks.append((CrowdTask.Kind.APPLICATION, university, title, path))

    existing = set(CrowdTask.objects.values_list("university_id", "kind", "title"))
    rows = []
    for kind, university_name, title, path in tasks:
        status = _crowd_status(rng)
        team = f"{shorts[university_name]}{rng.choice(CROWD_TEAMS)}"
        delivered = status != CrowdTask.Status.IN_PROGRESS
        delivered_on = random_date(rng, dt.date(2021, 6, 1), dt.date(2021, 12, 20))
        university = universities[university_name]
        if (university.pk, kind, title) in existing:
            continue
        rows.append(
            CrowdTask(
                university=university,
                program=program,
                kind=kind,
                title=title,
                team=team,
                status=status,
                artifact_url=f"https://gitee.com/ascend-crowd/{path}" if delivered else "",
                delivered_on=delivered_on if delivered else None,
            )
        )
    CrowdTask.objects.bulk_create(rows)


def seed_internships(rng, universities, program, plans) -> None:
    hosts = [
        plan
        for plan in plans
        if plan.status in (Company.Status.INCUBATING, Company.Status.GRADUATED)
    ]
    names = [row[0] for row in UNIVERSITIES]
    for _ in range(INTERNSHIP_COUNT):
        university = universities[rng.choice(names)]
        host = rng.choice(hosts).company
        starts_on = random_date(rng, dt.date(2021, 7, 1), dt.date(2022, 6, 30))
        ends_on = starts_on + dt.timedelta(days=rng.randint(60, 180))
        student_count = rng.randint(2, 12)
        Internship.objects.get_or_create(
            university=university,
            host_company=host,
            starts_on=starts_on,
            defaults={"program": program, "ends_on": ends_on, "student_count": student_count},
        )
