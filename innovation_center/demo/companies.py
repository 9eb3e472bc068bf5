"""The demo companies, their contacts' names, engagements and solutions.

Everything is drawn from the caller's generator, in the caller's order: the plan first
(`plan_companies`), then each area that depends on it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from innovation_center.accounts.models import Organisation
from innovation_center.core.uscc import ALPHABET, check_character
from innovation_center.demo.common import BATCH_SIZE, office_hours_at, random_date
from innovation_center.demo.data.companies import (
    BRANDS,
    CITY_PREFIXES,
    COMPANY_COUNT,
    DOMAINS,
    EXIT_REASONS,
    INDUSTRY_WEIGHTS,
    SOLUTION_PREFIX,
    SOLUTION_SCENARIOS,
    STATUS_COUNTS,
    SUFFIXES,
)
from innovation_center.demo.data.people import GIVEN_NAMES, SURNAMES
from innovation_center.ecosystem.models import (
    Company,
    Engagement,
    LifecycleStage,
    Solution,
    StageMove,
)

CENTER_START = dt.date(2021, 6, 1)  # the first applications date from the opening


@dataclass
class CompanyPlan:
    """A company as drawn, before any row exists; `company` is set once it is written."""

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


def plan_companies(rng: random.Random, today: dt.date) -> list[CompanyPlan]:
    statuses = [status for status, count in STATUS_COUNTS.items() for _ in range(count)]
    rng.shuffle(statuses)
    industries = list(INDUSTRY_WEIGHTS)
    industry_weights = list(INDUSTRY_WEIGHTS.values())
    city_weights = [weight for *_rest, weight in CITY_PREFIXES]
    names: set[str] = set()
    codes: set[str] = set()
    plans = []
    latest_application = today - dt.timedelta(days=120)
    while len(plans) < COMPANY_COUNT:
        prefix, city, divisions, _weight = rng.choices(CITY_PREFIXES, city_weights)[0]
        brand, brand_pinyin = rng.choice(BRANDS)
        industry = rng.choices(industries, industry_weights)[0]
        domain, domain_pinyin, activity = rng.choice(DOMAINS[industry])
        suffix = rng.choice(SUFFIXES)
        legal_name = f"{prefix}{brand}{domain}{suffix}"
        if legal_name in names:
            continue
        code = uscc_for(rng, rng.choice(divisions))
        if code in codes:
            continue
        names.add(legal_name)
        codes.add(code)
        status = statuses[len(plans)]
        host = f"{brand_pinyin}-{domain_pinyin}.example.com"
        plan = CompanyPlan(
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
            applied_on=random_date(rng, CENTER_START, latest_application),
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
            plan.exit_reason = rng.choice(EXIT_REASONS)
        plans.append(plan)
    return plans


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


def uscc_for(rng: random.Random, division: str) -> str:
    # 9 = registered by market regulation, 1 = enterprise; then division and org code.
    first17 = "91" + division + _organisation_code(rng)
    return first17 + check_character(first17)


def seed_companies(plans: list[CompanyPlan]) -> None:
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


def draw_contact_names(rng: random.Random, plans: list[CompanyPlan]) -> list[tuple[str, str]]:
    """(family name, given name) of each company's contact, its first owner; the people seed
    (`people.seed_company_people`) makes the users. Drawn for every plan, in plan order."""
    return [(rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)) for _plan in plans]


def _stage_index(rng: random.Random, status: str, incubating_stages: list[int]) -> int:
    if status == Company.Status.ADMITTED:
        return rng.randint(0, 1)
    if status == Company.Status.GRADUATED:
        return rng.randint(4, 5)
    if status == Company.Status.EXITED:
        return rng.randint(0, 3)
    return incubating_stages.pop()


def seed_engagements(rng, plans, *, today: dt.date, staff: list) -> None:
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
        moved_at = sorted(office_hours_at(day, rng) for day in moved_on)
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


def seed_solutions(rng, plans, *, today: dt.date) -> None:
    partners = [plan for plan in plans if plan.status != Company.Status.APPLIED]
    by_industry = defaultdict(list)
    for plan in partners:
        by_industry[plan.industry].append(plan)
    existing = set(Solution.objects.values_list("name", flat=True))
    for industry, scenarios in SOLUTION_SCENARIOS.items():
        for scenario in scenarios:
            name = f"{SOLUTION_PREFIX[industry]}·{scenario}"
            status = rng.choices(list(Solution.Status.values), [35, 30, 35])[0]
            primary = rng.choice(by_industry.get(industry) or partners)
            extra_count = rng.choices([0, 1, 2], [55, 30, 15])[0]
            others = [plan for plan in partners if plan is not primary]
            members = [primary, *rng.sample(others, extra_count)]
            launched_on = None
            is_published = False
            if status == Solution.Status.LAUNCHED:
                launched_on = random_date(rng, dt.date(2021, 8, 1), today - dt.timedelta(days=30))
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
