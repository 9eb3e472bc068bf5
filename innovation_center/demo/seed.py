"""The demo center of `manage.py seed_demo`, shaped like the article's figures.

Everything comes from `random.Random(2021)`: the plan (names, dates, counts) is drawn in a
fixed order that never depends on what the database already holds, and is then applied
with natural keys, so a second run finds every row and creates nothing. The bulk parts
(leases, usage ledger rows) draw from generators seeded with a fixed string per device and
month, and are skipped per site pool and month (leases) or allocation and month (ledger)
when already present.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from innovation_center.accounts.models import Membership, Organisation
from innovation_center.compute.models import (
    Accelerator,
    AcceleratorType,
    Allocation,
    AllocationRequest,
    DeviceOutage,
    Lease,
    LedgerEntry,
    Site,
)
from innovation_center.compute.services import allocations_advance
from innovation_center.core import clock
from innovation_center.core.uscc import ALPHABET, check_character
from innovation_center.demo import data
from innovation_center.demo.models import DemoSeed
from innovation_center.ecosystem.models import (
    Company,
    Engagement,
    LifecycleStage,
    Solution,
    StageMove,
)
from innovation_center.evaluation.builtins import ensure_builtin_datasets
from innovation_center.evaluation.models import Dataset
from innovation_center.talent.models import (
    Course,
    CrowdTask,
    Internship,
    Program,
    Teacher,
    University,
)

SEED = 2021
COUNTED_APPS = ("accounts", "ecosystem", "talent", "compute", "evaluation")
BATCH_SIZE = 2000
SIX_PLACES = Decimal("0.000001")
CENTER_START = dt.date(2021, 6, 1)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    organisation: str


@dataclass
class DemoSeedResult:
    created: dict[str, int]
    logins: list[DemoLogin]


@dataclass
class _CompanyPlan:
    legal_name: str
    uscc: str
    industry: str
    city: str
    size: str
    status: str
    description: str
    website: str
    contact_email: str
    applied_on: dt.date
    admitted_on: dt.date | None = None
    graduated_on: dt.date | None = None
    exited_on: dt.date | None = None
    exit_reason: str = ""
    domain: str = ""
    company: Company | None = field(default=None, repr=False)


# --- Public services --------------------------------------------------------------------


def demo_row_counts() -> dict[str, int]:
    """Rows per model of the seeded apps, plus users and solution–company links."""
    models = [get_user_model(), Solution.companies.through]
    for label in COUNTED_APPS:
        models.extend(apps.get_app_config(label).get_models())
    return {model._meta.label: model._default_manager.count() for model in models}


@transaction.atomic
def demo_seed(*, now: dt.datetime | None = None) -> DemoSeedResult:
    """Create the demo center, or bring it up to `now`; all or nothing.

    The plan is drawn for the day of the first run (the anchor, kept in `DemoSeed`), so a
    later run finds every row by its natural key. A run on a later day than the last one
    continues the story up to `now`: allocations renewed, started and expired on their dates,
    pending requests moved to the coming month, and usage filled from where it stopped to the
    last full hour. A second run on the same day writes nothing.

    Guarantees: every company's USCC is valid; each site's utilization is above 90 % in
    each of the twelve full months before now's month, and in every month since the first
    run; no allocation's ledger goes below zero; the demo logins of `data.DEMO_USERS` exist
    with `data.DEMO_PASSWORD`.
    """
    now = now or clock.now()
    today = clock.today(at=now)
    state = DemoSeed.objects.select_for_update().first()
    anchor = state.anchor if state else (_legacy_anchor() or today)
    rng = random.Random(SEED)
    before = demo_row_counts()

    center = Organisation.objects.get_or_create(
        kind=Organisation.Kind.CENTER, name=data.CENTER_NAME
    )[0]
    _seed_compute_network(today=anchor)
    _seed_datasets()
    universities, programs = _seed_universities_and_programs()

    plans = _plan_companies(rng, anchor)
    _seed_companies(plans)
    incubating = [plan for plan in plans if plan.status == Company.Status.INCUBATING]
    owner_company, rival_company = incubating[0].company, incubating[1].company
    users = _seed_users(
        center=center,
        owner_company=owner_company,
        rival_company=rival_company,
        coordinator_university=universities[data.COORDINATOR_UNIVERSITY],
    )

    contacts = _seed_company_contacts(rng, plans, demo_users=users)
    _seed_engagements(rng, plans, today=anchor, staff=[users["operator"], users["admin"]])
    _seed_solutions(rng, plans, today=anchor)
    _seed_courses(rng, universities, programs["course"], coordinator=users["coordinator"])
    _seed_crowd_tasks(rng, universities, programs["crowd"])
    _seed_internships(rng, universities, programs["internship"], plans)
    _seed_allocations(
        rng,
        incubating,
        today=anchor,
        reviewer=users["reviewer"],
        contacts=contacts,
    )
    # Runs on a later day continue the story up to now; the first run of a day writes usage
    # up to its last full hour, later runs that day find nothing to do.
    start_of_today = dt.datetime.combine(today, dt.time(), tzinfo=clock.center_timezone())
    seeded_until = state.usage_until if state else _legacy_usage_until(anchor)
    if seeded_until < start_of_today:
        until = max(seeded_until, now.replace(minute=0, second=0, microsecond=0))
        _seed_renewals(incubating, today=today, reviewer=users["reviewer"], contacts=contacts)
        _roll_pending_requests(today=today)
        _seed_usage(since=seeded_until, until=until)
        allocations_advance(today=today)
        if state is None:
            DemoSeed.objects.create(anchor=anchor, usage_until=until)
        else:
            DemoSeed.objects.filter(pk=state.pk).update(usage_until=until)
    _seed_expiries()
    _seed_portal(company=owner_company, owner=users["owner"])

    after = demo_row_counts()
    created = {
        label: after[label] - before[label] for label in after if after[label] != before[label]
    }
    return DemoSeedResult(created=created, logins=_logins(users))


def _seed_expiries() -> None:
    """Expired allocations write off what they did not use, as the beat would have done."""
    from innovation_center.compute.ledger import ledger_expire

    expired = Allocation.objects.filter(status=Allocation.Status.EXPIRED).exclude(
        ledger_entries__kind=LedgerEntry.Kind.EXPIRY
    )
    for allocation in expired:
        ledger_expire(allocation=allocation)


# --- Portal -----------------------------------------------------------------------------

DEMO_MODEL = "digits-mlp"


def _demo_model_bytes() -> bytes:
    """A 64-32-10 MLP for scikit-learn's digits: a random ReLU layer and a least-squares
    readout, deterministic and good enough to show real results (about 90% accuracy)."""
    import io

    import numpy as np

    from innovation_center import kernel

    digits = kernel.load_builtin("digits")
    rng = np.random.default_rng(SEED)
    hidden = rng.normal(0, 0.1, (64, 32)).astype(np.float32)
    features = np.maximum(digits.X @ hidden, 0)
    targets = np.eye(10, dtype=np.float32)[digits.y.astype(int)]
    readout, *_rest = np.linalg.lstsq(features, targets, rcond=None)
    buffer = io.BytesIO()
    kernel.save_npz_model(
        path=buffer,
        weights=[hidden, (readout * 4).astype(np.float32)],
        biases=[np.zeros(32, np.float32), np.zeros(10, np.float32)],
        activations=["relu", "softmax"],
        classes=list(range(10)),
    )
    return buffer.getvalue()


def _seed_portal(*, company, owner) -> None:
    """A model and one finished evaluation for the demo company, so its portal is not empty.

    The job goes through the real services (submit, schedule, shards, finish) in this process.
    """
    from django.core.files.base import ContentFile

    from innovation_center.compute.scheduler import schedule_round
    from innovation_center.evaluation import services as evaluation
    from innovation_center.evaluation.models import ModelArtifact

    if ModelArtifact.objects.filter(company=company, name=DEMO_MODEL).exists():
        return
    allocation = (
        Allocation.objects.filter(company=company, status=Allocation.Status.ACTIVE)
        .order_by("-hours_granted")
        .first()
    )
    if allocation is None:
        return
    model = evaluation.model_upload(
        company=company,
        actor=owner,
        name=DEMO_MODEL,
        upload=ContentFile(_demo_model_bytes(), name="digits-mlp.npz"),
    )
    job = evaluation.job_submit(
        company=company,
        actor=owner,
        model=model,
        dataset=Dataset.objects.get(kind=Dataset.Kind.BUILTIN, builtin_name="digits"),
        allocation=allocation,
        devices=min(2, allocation.device_cap),
        batch_size=256,
    )
    schedule_round()
    for index in evaluation.job_start(job_id=job.pk) or []:
        evaluation.shard_execute(job_id=job.pk, index=index, worker="seed_demo")


# --- Helpers ----------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month."""
    return clock.first_day(clock.add_months(clock.month_of(day), months))


def _random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """An office-hours moment of `day` in the current time zone."""
    moment = dt.datetime.combine(day, dt.time(9, 0)) + dt.timedelta(minutes=rng.randint(0, 540))
    return timezone.make_aware(moment)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _organisation_code(rng: random.Random) -> str:
    """Nine characters of an organisation code (GB 11714) with its own check character."""
    letters = [char for char in ALPHABET if char.isalpha()]
    if rng.random() < 0.7:  # codes issued since 2015 start with "MA"
        body = "MA4" + rng.choice(letters) + "".join(rng.choice(ALPHABET) for _ in range(4))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(char, 36) * weight for char, weight in zip(body, weights, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def _uscc(rng: random.Random, division: str) -> str:
    # 9 = registered by market regulation, 1 = enterprise; then division and org code.
    first17 = "91" + division + _organisation_code(rng)
    return first17 + check_character(first17)


# --- Compute network, data sets, universities -------------------------------------------


def _seed_compute_network(*, today: dt.date) -> None:
    types = {}
    for figures in data.ACCELERATOR_TYPES:
        fields = dict(figures)
        types[fields["preset"]] = AcceleratorType.objects.get_or_create(
            name=fields.pop("name"), defaults=fields
        )[0]
    sites = {}
    for figures in data.SITES:
        fields = dict(figures)
        code = fields.pop("code")
        sites[code] = Site.objects.get_or_create(code=code, defaults=fields)[0]
    existing = set(Accelerator.objects.values_list("name", flat=True))
    draining_name, draining_note = data.DRAINING_DEVICE
    new_devices = []
    for site_code, preset, prefix, count in data.DEVICE_POOLS:
        for number in range(1, count + 1):
            name = f"{prefix}-{number:03d}"
            if name in existing:
                continue
            device = Accelerator(site=sites[site_code], accelerator_type=types[preset], name=name)
            if name == draining_name:
                device.health = Accelerator.Health.DRAINING
                device.health_note = draining_note
                device.health_changed_at = timezone.make_aware(
                    dt.datetime.combine(today - dt.timedelta(days=3), dt.time(10, 30))
                )
            new_devices.append(device)
    Accelerator.objects.bulk_create(new_devices)
    # The draining device's outage began after the last month of seeded usage.
    DeviceOutage.objects.bulk_create(
        DeviceOutage(
            accelerator=device,
            health=device.health,
            started_at=device.health_changed_at,
            note=device.health_note,
        )
        for device in Accelerator.objects.filter(name__in=[d.name for d in new_devices])
        if device.health != Accelerator.Health.HEALTHY
    )


def _seed_datasets() -> None:
    ensure_builtin_datasets(Dataset)


def _seed_universities_and_programs() -> tuple[dict[str, University], dict[str, Program]]:
    universities = {}
    for name, short_name, _link, _courses, _weight in data.UNIVERSITIES:
        organisation = Organisation.objects.get_or_create(
            kind=Organisation.Kind.UNIVERSITY, name=name
        )[0]
        universities[name] = University.objects.get_or_create(
            name=name,
            defaults={"organisation": organisation, "short_name": short_name, "city": "武汉"},
        )[0]
    programs = {}
    for figures in data.PROGRAMS:
        fields = dict(figures)
        programs[fields["kind"]] = Program.objects.get_or_create(
            name=fields.pop("name"), year=fields.pop("year"), defaults=fields
        )[0]
    return universities, programs


# --- Companies and people ---------------------------------------------------------------


def _plan_companies(rng: random.Random, today: dt.date) -> list[_CompanyPlan]:
    statuses = [status for status, count in data.STATUS_COUNTS.items() for _ in range(count)]
    rng.shuffle(statuses)
    industries = list(data.INDUSTRY_WEIGHTS)
    industry_weights = list(data.INDUSTRY_WEIGHTS.values())
    city_weights = [weight for *_rest, weight in data.CITY_PREFIXES]
    names: set[str] = set()
    codes: set[str] = set()
    plans = []
    latest_application = today - dt.timedelta(days=120)
    while len(plans) < data.COMPANY_COUNT:
        prefix, city, divisions, _weight = rng.choices(data.CITY_PREFIXES, city_weights)[0]
        brand, brand_pinyin = rng.choice(data.BRANDS)
        industry = rng.choices(industries, industry_weights)[0]
        domain, domain_pinyin, activity = rng.choice(data.DOMAINS[industry])
        suffix = rng.choice(data.SUFFIXES)
        legal_name = f"{prefix}{brand}{domain}{suffix}"
        if legal_name in names:
            continue
        code = _uscc(rng, rng.choice(divisions))
        if code in codes:
            continue
        names.add(legal_name)
        codes.add(code)
        status = statuses[len(plans)]
        host = f"{brand_pinyin}-{domain_pinyin}.example.com"
        plan = _CompanyPlan(
            legal_name=legal_name,
            uscc=code,
            industry=industry,
            city=city,
            size=rng.choices(list(Company.Size.values), [20, 50, 25, 5])[0],
            status=status,
            description=f"{brand}{domain}专注于{activity}，依托武汉人工智能计算中心的算力"
            "开展模型训练与应用迁移。",
            website=f"https://www.{host}",
            contact_email=f"contact@{host}",
            applied_on=_random_date(rng, CENTER_START, latest_application),
            domain=activity,
        )
        if status != Company.Status.APPLIED:
            plan.admitted_on = plan.applied_on + dt.timedelta(days=rng.randint(14, 60))
        if status == Company.Status.GRADUATED:
            plan.graduated_on = min(
                plan.admitted_on + dt.timedelta(days=rng.randint(270, 720)),
                today - dt.timedelta(days=7),
            )
        if status == Company.Status.EXITED:
            plan.exited_on = min(
                plan.admitted_on + dt.timedelta(days=rng.randint(60, 400)),
                today - dt.timedelta(days=7),
            )
            plan.exit_reason = rng.choice(data.EXIT_REASONS)
        plans.append(plan)
    return plans


def _seed_companies(plans: list[_CompanyPlan]) -> None:
    existing = {company.legal_name: company for company in Company.objects.all()}
    for plan in plans:
        if plan.legal_name in existing:
            plan.company = existing[plan.legal_name]
            continue
        organisation = Organisation.objects.get_or_create(
            kind=Organisation.Kind.COMPANY, name=plan.legal_name
        )[0]
        plan.company = Company.objects.create(
            organisation=organisation,
            legal_name=plan.legal_name,
            uscc=plan.uscc,
            industry=plan.industry,
            city=plan.city,
            size=plan.size,
            status=plan.status,
            description=plan.description,
            website=plan.website,
            contact_email=plan.contact_email,
            applied_on=plan.applied_on,
            admitted_on=plan.admitted_on,
            graduated_on=plan.graduated_on,
            exited_on=plan.exited_on,
            exit_reason=plan.exit_reason,
        )


def _seed_users(*, center, owner_company, rival_company, coordinator_university) -> dict:
    organisations = {
        "center": center,
        "owner_company": owner_company.organisation,
        "rival_company": rival_company.organisation,
        "coordinator_university": coordinator_university.organisation,
    }
    user_model = get_user_model()
    password_hash = None
    users = {}
    for username, last_name, first_name, role, is_superuser, org_key in data.DEMO_USERS:
        organisation = organisations[org_key]
        user = user_model.objects.filter(username=username).first()
        if user is None:
            # One hash for all demo users: the slow hasher runs once.
            password_hash = password_hash or make_password(data.DEMO_PASSWORD)
            user = user_model.objects.create(
                username=username,
                password=password_hash,
                first_name=first_name,
                last_name=last_name,
                email=f"{username}@example.com",
                is_staff=organisation.kind == Organisation.Kind.CENTER,
                is_superuser=is_superuser,
            )
        Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        users[username] = user
    return users


def _seed_company_contacts(rng, plans, *, demo_users: dict) -> dict:
    """An owner for every admitted company without a demo login; they cannot sign in."""
    user_model = get_user_model()
    owners = {
        membership.organisation_id: membership.user
        for membership in Membership.objects.filter(
            role=Membership.Role.COMPANY_OWNER, user__in=list(demo_users.values())
        ).select_related("user")
    }
    contacts = {}  # company id -> user who files its requests
    wanted = []
    for number, plan in enumerate(plans, start=1):
        last_name = rng.choice(data.SURNAMES)
        first_name = rng.choice(data.GIVEN_NAMES)
        if plan.status == Company.Status.APPLIED:
            continue
        if plan.company.organisation_id in owners:
            contacts[plan.company.pk] = owners[plan.company.organisation_id]
            continue
        wanted.append((f"contact{number:03d}", last_name, first_name, plan.company))
    existing = set(
        user_model.objects.filter(username__in=[w[0] for w in wanted]).values_list(
            "username", flat=True
        )
    )
    user_model.objects.bulk_create(
        user_model(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@example.com",
            password=f"{UNUSABLE_PASSWORD_PREFIX}demo-contact",
        )
        for username, last_name, first_name, _company in wanted
        if username not in existing
    )
    users = user_model.objects.in_bulk([w[0] for w in wanted], field_name="username")
    have = set(
        Membership.objects.filter(user__in=list(users.values())).values_list("user_id", flat=True)
    )
    Membership.objects.bulk_create(
        Membership(
            user=users[username],
            organisation=company.organisation,
            role=Membership.Role.COMPANY_OWNER,
        )
        for username, _last, _first, company in wanted
        if users[username].pk not in have
    )
    for username, _last, _first, company in wanted:
        contacts[company.pk] = users[username]
    return contacts


def _logins(users: dict) -> list[DemoLogin]:
    memberships = {
        membership.user_id: membership
        for membership in Membership.objects.filter(user__in=list(users.values())).select_related(
            "organisation"
        )
    }
    logins = []
    for username, *_rest in data.DEMO_USERS:
        membership = memberships[users[username].pk]
        logins.append(
            DemoLogin(
                username=username,
                password=data.DEMO_PASSWORD,
                role=str(membership.get_role_display()),
                organisation=membership.organisation.name,
            )
        )
    return logins


# --- Engagements and solutions ----------------------------------------------------------


def _stage_index(rng: random.Random, status: str, incubating_stages: list[int]) -> int:
    if status == Company.Status.ADMITTED:
        return rng.randint(0, 1)
    if status == Company.Status.GRADUATED:
        return rng.randint(4, 5)
    if status == Company.Status.EXITED:
        return rng.randint(0, 3)
    return incubating_stages.pop()


def _seed_engagements(rng, plans, *, today: dt.date, staff: list) -> None:
    stages = list(LifecycleStage.values)
    admitted = [plan for plan in plans if plan.status != Company.Status.APPLIED]
    incubating_count = sum(plan.status == Company.Status.INCUBATING for plan in admitted)
    # Cycle through the stages so incubating companies are spread over all six.
    incubating_stages = [index % len(stages) for index in range(incubating_count)]
    rng.shuffle(incubating_stages)
    existing = set(Engagement.objects.values_list("company_id", "title"))
    moves = []
    for plan in admitted:
        stage_index = _stage_index(rng, plan.status, incubating_stages)
        title = f"{plan.domain} · 全生命周期服务"
        ended_on = plan.graduated_on or plan.exited_on or today
        span = max(1, (ended_on - plan.admitted_on).days)
        days = sorted(rng.randint(0, span) for _ in range(stage_index))
        moved_on = [plan.admitted_on] + [plan.admitted_on + dt.timedelta(days=d) for d in days]
        moved_at = sorted(_at(day, rng) for day in moved_on)
        movers = [rng.choice(staff) for _ in moved_at]
        target_on = plan.admitted_on + dt.timedelta(days=rng.randint(180, 540))
        if (plan.company.pk, title) in existing:
            continue
        engagement = Engagement.objects.create(
            company=plan.company,
            title=title,
            stage=stages[stage_index],
            owner=staff[0],
            started_on=plan.admitted_on,
            target_on=target_on,
            stage_changed_at=moved_at[-1],
            notes=f"场景：{plan.domain}。由中心运营人员按月跟进。",
        )
        for index, (moment, mover) in enumerate(zip(moved_at, movers, strict=True)):
            moves.append(
                StageMove(
                    engagement=engagement,
                    from_stage=stages[index - 1] if index else "",
                    to_stage=stages[index],
                    moved_by=mover,
                    moved_at=moment,
                    note="入驻，开始场景分析。" if index == 0 else "",
                )
            )
    StageMove.objects.bulk_create(moves, batch_size=BATCH_SIZE)


def _seed_solutions(rng, plans, *, today: dt.date) -> None:
    partners = [plan for plan in plans if plan.status != Company.Status.APPLIED]
    by_industry = defaultdict(list)
    for plan in partners:
        by_industry[plan.industry].append(plan)
    existing = set(Solution.objects.values_list("name", flat=True))
    for industry, scenarios in data.SOLUTION_SCENARIOS.items():
        for scenario in scenarios:
            name = f"{data.SOLUTION_PREFIX[industry]}·{scenario}"
            status = rng.choices(list(Solution.Status.values), [35, 30, 35])[0]
            primary = rng.choice(by_industry.get(industry) or partners)
            extra_count = rng.choices([0, 1, 2], [55, 30, 15])[0]
            others = [plan for plan in partners if plan is not primary]
            members = [primary, *rng.sample(others, extra_count)]
            launched_on = None
            is_published = False
            if status == Solution.Status.LAUNCHED:
                launched_on = _random_date(rng, dt.date(2021, 8, 1), today - dt.timedelta(days=30))
                is_published = rng.random() < 0.65
            if name in existing:
                continue
            summary = f"面向{scenario}场景，基于昇腾 AI 基础软硬件平台联合孵化的解决方案。"
            showcase = ""
            if is_published:
                showcase = (
                    f"{primary.legal_name}依托武汉人工智能计算中心的算力，与中心团队一起完成了"
                    f"{scenario}模型的训练、迁移与上线，已在多个项目中落地应用。"
                )
            solution = Solution.objects.create(
                name=name,
                summary=summary,
                vertical=industry,
                status=status,
                launched_on=launched_on,
                is_published=is_published,
                showcase_text=showcase,
            )
            solution.companies.set([plan.company for plan in members])


# --- Talent -----------------------------------------------------------------------------


def _seed_courses(rng, universities, program, *, coordinator) -> None:
    terms = list(Course.Term.values)
    rows = []
    for name, _short, _link, count, _weight in data.UNIVERSITIES:
        pairs = [(title, term) for title in data.COURSE_TITLES for term in terms]
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
                    "logged_by": coordinator if name == data.COORDINATOR_UNIVERSITY else None,
                }
            )
    # Nudge enrolments one student at a time until the total is the article's 16,000+.
    target = rng.randint(data.COURSE_STUDENTS_MIN + 200, data.COURSE_STUDENTS_MAX - 200)
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
    pairs = [(s, g) for g in data.GIVEN_NAMES for s in data.SURNAMES]
    return [s + g for s, g in pairs[offset : offset + count]]


def _seed_teachers(universities, courses, counts) -> None:
    """The article's 75 teachers shared over the 105 courses: each teaches at least one."""
    sizes = {name: course_count for name, _s, _l, course_count, _w in data.UNIVERSITIES}
    total = sum(sizes.values())
    quotas = {name: data.TEACHER_COUNT * size // total for name, size in sizes.items()}
    for name in sorted(sizes, key=lambda n: -sizes[n])[: data.TEACHER_COUNT - sum(quotas.values())]:
        quotas[name] += 1
    offset = 0
    pools = {}
    for name, _s, _l, _c, _w in data.UNIVERSITIES:
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
        local = random.Random(f"teachers-{university_id}-{data.TEACHER_COUNT}")
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


def _seed_crowd_tasks(rng, universities, program) -> None:
    names = [row[0] for row in data.UNIVERSITIES]
    slugs = {row[0]: row[2] for row in data.UNIVERSITIES}
    shorts = {row[0]: row[1] for row in data.UNIVERSITIES}
    weights = [row[4] for row in data.UNIVERSITIES]
    combos = [(op, flavour) for op in data.OPERATORS for flavour in data.OPERATOR_FLAVOURS]
    tasks = []  # (kind, university name, title, link path)
    for op, (flavour, flavour_slug) in rng.sample(combos, data.OPERATOR_TASKS):
        university = rng.choices(names, weights)[0]
        path = f"{slugs[university]}-{_slug(op)}-{flavour_slug}"
        tasks.append((CrowdTask.Kind.OPERATOR, university, f"{op} 算子 {flavour}", path))
    for model in data.MODELS[: data.MODEL_TASKS]:
        university = rng.choices(names, weights)[0]
        path = f"{slugs[university]}-{_slug(model)}-mindspore"
        tasks.append((CrowdTask.Kind.MODEL, university, f"{model} 迁移至昇思 MindSpore", path))
    for title, university in data.APPLICATION_TASKS:
        path = f"{slugs[university]}-luojianet-app"
        tasks.append((CrowdTask.Kind.APPLICATION, university, title, path))

    existing = set(CrowdTask.objects.values_list("university_id", "kind", "title"))
    rows = []
    for kind, university_name, title, path in tasks:
        status = _crowd_status(rng)
        team = f"{shorts[university_name]}{rng.choice(data.CROWD_TEAMS)}"
        delivered = status != CrowdTask.Status.IN_PROGRESS
        delivered_on = _random_date(rng, dt.date(2021, 6, 1), dt.date(2021, 12, 20))
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


def _seed_internships(rng, universities, program, plans) -> None:
    hosts = [
        plan
        for plan in plans
        if plan.status in (Company.Status.INCUBATING, Company.Status.GRADUATED)
    ]
    names = [row[0] for row in data.UNIVERSITIES]
    for _ in range(data.INTERNSHIP_COUNT):
        university = universities[rng.choice(names)]
        host = rng.choice(hosts).company
        starts_on = _random_date(rng, dt.date(2021, 7, 1), dt.date(2022, 6, 30))
        ends_on = starts_on + dt.timedelta(days=rng.randint(60, 180))
        student_count = rng.randint(2, 12)
        Internship.objects.get_or_create(
            university=university,
            host_company=host,
            starts_on=starts_on,
            defaults={"program": program, "ends_on": ends_on, "student_count": student_count},
        )


# --- Allocations, leases, ledger --------------------------------------------------------


def _allocation_status(starts_on: dt.date, ends_on: dt.date, today: dt.date) -> str:
    if ends_on <= today:
        return Allocation.Status.EXPIRED
    if starts_on <= today:
        return Allocation.Status.ACTIVE
    return Allocation.Status.SCHEDULED


def _grant_hours(rng: random.Random, cap: int, starts_on: dt.date, ends_on: dt.date) -> Decimal:
    # At least the cap's devices busy around the clock: usage can never exceed the grant.
    most = cap * 24 * (ends_on - starts_on).days * rng.uniform(1.0, 1.15)
    return Decimal(math.ceil(most / 100) * 100)


def _seed_allocations(rng, incubating, *, today: dt.date, reviewer, contacts: dict) -> None:
    types = {t.preset: t for t in AcceleratorType.objects.all()}
    sites = {s.code: s for s in Site.objects.all()}
    current = today.replace(day=1)
    first_month = _add_months(current, -12)

    pool_of = [index for index, count in enumerate(data.COMPANIES_PER_POOL) for _ in range(count)]
    # The demo owner's company (the first incubating one) computes at the home site.
    rest = pool_of[1:]
    rng.shuffle(rest)
    pool_of = [pool_of[0], *rest]

    requests = []  # (plan, fields of the request)
    for plan, pool_index in zip(incubating, pool_of, strict=False):
        site_code, preset, _prefix, devices = data.DEVICE_POOLS[pool_index]
        companies = data.COMPANIES_PER_POOL[pool_index]
        # Each company's caps alone cover its share, so any mix of phases fills the pool.
        least_cap = math.ceil(devices / companies)
        usual_cap = math.ceil(devices * 1.3 / companies)
        draw = rng.random()
        site, accelerator_type = sites[site_code], types[preset]
        if plan is not incubating[0]:
            if site_code == "wuhan" and draw < 1 / 3:
                site = None  # any Ascend 910 of the network
            elif site_code in ("xian", "chengdu", "nanjing") and draw < 0.3:
                accelerator_type = None  # any device of that site
        purpose = rng.choice(data.ALLOCATION_PURPOSES)
        first_end = _add_months(first_month, rng.randint(4, 8))
        periods = [
            (_add_months(first_month, -rng.randint(0, 3)), first_end),
            (first_end, _add_months(current, rng.randint(1, 5))),
        ]
        for phase, (starts_on, ends_on) in enumerate(periods, start=1):
            cap = max(least_cap, usual_cap + rng.choice([-1, 0, 0, 1]))
            hours = _grant_hours(rng, cap, starts_on, ends_on)
            requests.append(
                (
                    plan,
                    {
                        "purpose": f"{purpose}（第{phase}期）",
                        "status": AllocationRequest.Status.APPROVED,
                        "accelerator_type": accelerator_type,
                        "site": site,
                        "hours": hours,
                        "granted_hours": hours,
                        "device_cap": cap,
                        "starts_on": starts_on,
                        "ends_on": ends_on,
                        "reviewed_at": _at(starts_on - dt.timedelta(days=rng.randint(3, 10)), rng),
                        "decision_reason": "",
                    },
                )
            )

    # The review queue: pending requests (one of them the demo owner's) and two rejections.
    next_month = _add_months(current, 1)
    waiting = [(incubating[0], AllocationRequest.Status.PENDING)]
    waiting += [(plan, AllocationRequest.Status.PENDING) for plan in incubating[40:45]]
    waiting += [(plan, AllocationRequest.Status.REJECTED) for plan in incubating[45:47]]
    for number, (plan, status) in enumerate(waiting):
        preset = rng.choice(["sim-ascend910", "sim-ascend910", "sim-h200", "sim-a100"])
        ends_on = _add_months(next_month, rng.randint(3, 6))
        rejected = status == AllocationRequest.Status.REJECTED
        requests.append(
            (
                plan,
                {
                    "purpose": f"{rng.choice(data.ALLOCATION_PURPOSES)}（新增申请）",
                    "status": status,
                    "accelerator_type": types[preset],
                    "site": None,
                    "hours": Decimal(rng.choice([500, 800, 1200, 2000, 3000])),
                    "device_cap": rng.choice([2, 4, 8]),
                    "starts_on": next_month,
                    "ends_on": ends_on,
                    "reviewed_at": _at(today - dt.timedelta(days=2), rng) if rejected else None,
                    "decision_reason": data.REJECTION_REASONS[number % 2] if rejected else "",
                },
            )
        )

    existing = {
        (request.company_id, request.purpose): request
        for request in AllocationRequest.objects.all()
    }
    granted = set(Allocation.objects.values_list("request_id", flat=True))
    credits = []
    for plan, fields in requests:
        company = plan.company
        request = existing.get((company.pk, fields["purpose"]))
        if request is None:
            decided = fields["status"] != AllocationRequest.Status.PENDING
            request = AllocationRequest.objects.create(
                company=company,
                requested_by=contacts[company.pk],
                reviewed_by=reviewer if decided else None,
                **fields,
            )
        if request.status != AllocationRequest.Status.APPROVED or request.pk in granted:
            continue
        allocation = Allocation.objects.create(
            company=company,
            request=request,
            accelerator_type=request.accelerator_type,
            site=request.site,
            hours_granted=request.granted_hours,
            device_cap=request.device_cap,
            starts_on=request.starts_on,
            ends_on=request.ends_on,
            status=_allocation_status(request.starts_on, request.ends_on, today),
        )
        credits.append(
            LedgerEntry(
                allocation=allocation,
                kind=LedgerEntry.Kind.CREDIT,
                available=allocation.hours_granted,
                reserved=Decimal("0"),
                actor=reviewer,
                memo=f"Grant for request #{request.pk}",
            )
        )
    LedgerEntry.objects.bulk_create(credits)


def _legacy_anchor() -> dt.date | None:
    """The first run's date in a database seeded before `DemoSeed` existed (else None)."""
    created = (
        Organisation.objects.filter(kind=Organisation.Kind.CENTER, name=data.CENTER_NAME)
        .values_list("created_at", flat=True)
        .first()
    )
    return clock.today(at=created) if created else None


def _legacy_usage_until(anchor: dt.date) -> dt.datetime:
    """Where synthetic usage stops: the end of the last seeded lease, or, on an empty
    database, the start of the first of the twelve months before the anchor's."""
    last = Lease.objects.filter(job__isnull=True).aggregate(last=Max("ended_at"))["last"]
    if last is not None:
        return last
    first = clock.add_months(clock.month_of(anchor), -12)
    return clock.month_bounds(*first)[0]


PHASE = re.compile(r"（第(\d+)期）$")


def _seed_renewals(incubating, *, today: dt.date, reviewer, contacts: dict) -> None:
    """Each incubating company renews its grant when it ends, as the real ones do, so the
    pools stay busy in every month up to the one after `today`.

    A renewal continues the company's latest phase with the same pool and cap, for 3–6
    months drawn from a generator seeded by company and phase: the same on every run.
    """
    horizon = _add_months(today, 2)
    companies = [plan.company for plan in incubating]
    latest = {}
    for allocation in (
        Allocation.objects.filter(company__in=companies)
        .select_related("request", "accelerator_type", "site")
        .order_by("ends_on", "pk")
    ):
        if allocation.request and PHASE.search(allocation.request.purpose):
            latest[allocation.company_id] = allocation
    credits = []
    for company in companies:
        last = latest.get(company.pk)
        while last is not None and last.ends_on < horizon:
            phase = int(PHASE.search(last.request.purpose)[1]) + 1
            rng = random.Random(f"{SEED}:{company.uscc}:phase-{phase}")
            starts_on = last.ends_on
            ends_on = _add_months(starts_on, rng.randint(3, 6))
            hours = _grant_hours(rng, last.device_cap, starts_on, ends_on)
            request = AllocationRequest.objects.create(
                company=company,
                requested_by=contacts[company.pk],
                reviewed_by=reviewer,
                purpose=PHASE.sub(f"（第{phase}期）", last.request.purpose),
                status=AllocationRequest.Status.APPROVED,
                accelerator_type=last.accelerator_type,
                site=last.site,
                hours=hours,
                granted_hours=hours,
                device_cap=last.device_cap,
                starts_on=starts_on,
                ends_on=ends_on,
                reviewed_at=_at(starts_on - dt.timedelta(days=rng.randint(3, 10)), rng),
            )
            last = Allocation.objects.create(
                company=company,
                request=request,
                accelerator_type=request.accelerator_type,
                site=request.site,
                hours_granted=hours,
                device_cap=request.device_cap,
                starts_on=starts_on,
                ends_on=ends_on,
                status=_allocation_status(starts_on, ends_on, today),
            )
            credits.append(
                LedgerEntry(
                    allocation=last,
                    kind=LedgerEntry.Kind.CREDIT,
                    available=hours,
                    reserved=Decimal("0"),
                    actor=reviewer,
                    memo=f"Grant for request #{request.pk}",
                )
            )
    LedgerEntry.objects.bulk_create(credits)


def _roll_pending_requests(*, today: dt.date) -> None:
    """Pending demo requests whose period has begun move to the coming month, keeping their
    length, so the review queue always asks for time that is still ahead."""
    next_month = _add_months(today, 1)
    for request in AllocationRequest.objects.filter(
        status=AllocationRequest.Status.PENDING, starts_on__lte=today
    ):
        months = (request.ends_on.year - request.starts_on.year) * 12 + (
            request.ends_on.month - request.starts_on.month
        )
        AllocationRequest.objects.filter(pk=request.pk).update(
            starts_on=next_month, ends_on=_add_months(next_month, max(months, 1))
        )


def _covers(allocation: Allocation, site: Site, accelerator_type, first: dt.date, after: dt.date):
    return (
        allocation.starts_on <= first
        and allocation.ends_on >= after
        and allocation.site_id in (None, site.pk)
        and allocation.accelerator_type_id in (None, accelerator_type.pk)
    )


def _pick_allocations(pool_devices, candidates, remaining, rng) -> list:
    """Pair each device with an allocation for the month, within every allocation's cap.

    Allocations naming both the site and the type come first, then site-only, then
    type-only ones; within a tier, devices are dealt round-robin.
    """
    tiers = [
        [a for a in candidates if a.site_id and a.accelerator_type_id],
        [a for a in candidates if a.site_id and not a.accelerator_type_id],
        [a for a in candidates if not a.site_id],
    ]
    devices = list(pool_devices)
    rng.shuffle(devices)
    pairs = []
    for tier in tiers:
        rng.shuffle(tier)
        while devices and any(remaining[a.pk] for a in tier):
            for allocation in tier:
                if devices and remaining[allocation.pk]:
                    remaining[allocation.pk] -= 1
                    pairs.append((devices.pop(), allocation))
    return pairs


def _device_month_leases(device, allocation, start, minutes, site_target) -> list[Lease]:
    """Back-to-back leases of 3–30 h with short gaps, busy for about `site_target` of the
    month's `minutes`."""
    rng = random.Random(f"{SEED}:{device.name}:{start:%Y-%m}")
    share = min(0.985, max(0.905, site_target + rng.uniform(-0.02, 0.02)))
    busy = round(minutes * share)
    durations = []
    while sum(durations) < busy:
        durations.append(rng.randint(180, 1800))
    durations[-1] -= sum(durations) - busy
    if durations[-1] < 60 and len(durations) > 1:
        shortest = durations.pop()
        durations[-1] += shortest
    weights = [rng.random() + 0.1 for _ in range(len(durations) + 1)]
    idle = minutes - busy
    gaps = [math.floor(idle * weight / sum(weights)) for weight in weights]
    moment = start + dt.timedelta(minutes=gaps[0])
    leases = []
    for duration, gap in zip(durations, gaps[1:], strict=True):
        ended = moment + dt.timedelta(minutes=duration)
        leases.append(
            Lease(accelerator=device, allocation=allocation, started_at=moment, ended_at=ended)
        )
        moment = ended + dt.timedelta(minutes=gap)
    return leases


def _seed_usage(*, since: dt.datetime, until: dt.datetime) -> None:
    """Leases for every device between `since` and `until`, and their charges.

    Each device's month is drawn whole from its own seeded generator, whenever it is drawn,
    and only the leases that start in [since, until) are written, the last one cut at
    `until`: a month filled in two runs has the leases of one run, but for that cut. Leases
    that would overlap a device's outage are left out. Usage is charged per allocation and
    span, so no span is charged twice.
    """
    if until <= since:
        return
    devices = list(Accelerator.objects.select_related("site", "accelerator_type"))
    pools = defaultdict(list)
    for device in sorted(devices, key=lambda d: d.name):
        pools[(device.site, device.accelerator_type)].append(device)
    pool_order = sorted(pools, key=lambda key: (not key[0].is_home, key[0].code, key[1].preset))
    allocations = list(
        Allocation.objects.exclude(status=Allocation.Status.REVOKED)
        .select_related("company")
        .order_by("company__legal_name", "starts_on", "pk")
    )
    outages = defaultdict(list)
    for device_id, started, ended in DeviceOutage.objects.values_list(
        "accelerator_id", "started_at", "ended_at"
    ):
        outages[device_id].append((started, ended))
    month = clock.month_of(since)
    while clock.month_bounds(*month)[0] < until:
        start, end = clock.month_bounds(*month)
        lo, hi = max(start, since), min(end, until)
        first, after = clock.first_day(month), clock.first_day(clock.add_months(month, 1))
        minutes = int((end - start).total_seconds() // 60)
        remaining = {allocation.pk: allocation.device_cap for allocation in allocations}
        used_seconds = defaultdict(int)
        leases = []
        for site, accelerator_type in pool_order:
            pool_devices = pools[(site, accelerator_type)]
            rng = random.Random(f"{SEED}:{site.code}:{accelerator_type.preset}:{first:%Y-%m}")
            site_target = rng.uniform(0.925, 0.965)
            candidates = [
                a for a in allocations if _covers(a, site, accelerator_type, first, after)
            ]
            for device, allocation in _pick_allocations(pool_devices, candidates, remaining, rng):
                for lease in _device_month_leases(device, allocation, start, minutes, site_target):
                    if not lo <= lease.started_at < hi:
                        continue
                    lease.ended_at = min(lease.ended_at, hi)
                    if any(
                        o_start < lease.ended_at and (o_end is None or o_end > lease.started_at)
                        for o_start, o_end in outages.get(device.pk, [])
                    ):
                        continue
                    leases.append(lease)
                    used_seconds[allocation.pk] += int(
                        (lease.ended_at - lease.started_at).total_seconds()
                    )
        Lease.objects.bulk_create(leases, batch_size=BATCH_SIZE)

        memo = f"Usage {clock.local(lo):%Y-%m-%d %H:%M} – {clock.local(hi):%Y-%m-%d %H:%M}"
        entries = []
        for allocation in allocations:
            if not used_seconds[allocation.pk]:
                continue
            hours = (Decimal(used_seconds[allocation.pk]) / 3600).quantize(SIX_PLACES)
            entries += [
                LedgerEntry(
                    allocation=allocation,
                    kind=LedgerEntry.Kind.RESERVE,
                    available=-hours,
                    reserved=hours,
                    memo=memo,
                ),
                LedgerEntry(
                    allocation=allocation,
                    kind=LedgerEntry.Kind.CHARGE,
                    available=Decimal("0"),
                    reserved=-hours,
                    memo=memo,
                ),
            ]
        LedgerEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
        month = clock.add_months(month, 1)
