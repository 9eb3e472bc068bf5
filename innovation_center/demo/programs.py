"""The demo's incubation programs: mentors, a closed incubation call with 30 judged and
decided applications, an open compute-grant call, and two years of half-yearly KPI reports.

Everything is drawn from `random.Random(f"{SEED}:programs")`, in a fixed order that never
depends on the database, and then written with the ORM where missing (calls by slug,
companies by legal name, users by username, reports by company and half, mentors by name),
so a second run finds every row and writes nothing. The applicant companies' people are
drawn from generators seeded by their USCC, as `people` does for the other companies.

The center meets the national criteria (`programs.criteria`) except two, clearly: the
share of incubated firms holding granted IP is kept far below its threshold, and the
companies' 18 graduates fall short of the 20 the graduated total asks for. Nine center staff
besides the demo logins and 14 mentors put both per-10-firms figures above 1.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from innovation_center.accounts.models import Membership, Organisation
from innovation_center.demo import people
from innovation_center.demo.common import SEED, office_hours_at
from innovation_center.demo.companies import CompanyPlan, uscc_for
from innovation_center.demo.data.companies import (
    BRANDS,
    CITY_PREFIXES,
    DOMAINS,
    INDUSTRY_WEIGHTS,
    SUFFIXES,
)
from innovation_center.demo.data.people import (
    CENTER_NAME,
    COLLEAGUE_GIVEN_NAMES,
    GIVEN_NAMES,
    PEOPLE_PER_COMPANY,
    SURNAMES,
)
from innovation_center.demo.data.programs import (
    APPLICATION_ANSWERS,
    COHORT_COMMENTS_STRONG,
    COHORT_COMMENTS_WEAK,
    COHORT_RUBRIC,
    MENTEES_PER_MENTOR,
    MENTORS,
    MODEL_ANSWERS,
)
from innovation_center.demo.program_calls import cohort_dates, seed_cohort_call, seed_grant_call
from innovation_center.demo.program_kpis import plan_kpis, seed_kpi_reports
from innovation_center.ecosystem.models import Company
from innovation_center.programs.models import (
    Mentor,
)

NEW_APPLICANTS = 20  # companies that first came to the center through the cohort call
ACCEPTED = 10  # of the cohort call's 30 applications, the best ranked
# The center's people besides the three demo logins: 12 in all, over 1 per 10 incubated firms.
CENTER_STAFF = 9
CENTER_HOST = "wuhan-aicc.example.com"


@dataclass
class Scored:
    """One application of the cohort call as drawn: its company, dates, answers, the two
    reviewers' scores (reviewer index -> one score per criterion) and the decision."""

    plan: CompanyPlan
    submitted_at: dt.datetime
    answers: list[str]
    scores: dict[int, list[int]]
    comments: dict[int, str]
    reviewed_at: dict[int, dt.datetime]
    accepted: bool = False

    def weighted(self) -> float:
        weights = [float(weight) for *_texts, weight in COHORT_RUBRIC]
        means = [
            sum(w * s for w, s in zip(weights, values, strict=True)) / sum(weights)
            for values in self.scores.values()
        ]
        return sum(means) / len(means)


def seed_programs(plans, *, users: dict, contacts: dict, password, today: dt.date, now) -> None:
    """The programs of the demo center, drawn for the day of the first run (`today`).

    Guarantees: 14 active mentors and 9 more center staff; the cohort call closed before
    `today` with 30 applications (the demo companies that applied, and 20 companies that
    came through the call, each with 2–5 people and a pending invitation), two submitted
    reviews each from a panel of three (reviewer, operator, admin) at 20 reviews apiece, the
    reviewer's declared conflict with one applicant respected; the 10 best ranked accepted
    (company admitted with its first engagement), the others rejected with feedback and
    still applied; an open compute-grant call with a pool of hours whose deadline is after
    `today`, with drafts and submitted applications (the demo owner's company a draft);
    and KPI reports of every incubated firm for the last four finished half-years it was
    at the center for, with funding rounds for some.
    """
    rng = random.Random(f"{SEED}:programs")
    applicants = _plan_applicants(rng, plans, today=today)
    incubating = [plan for plan in plans if plan.status == Company.Status.INCUBATING]
    cohort = _plan_cohort(
        rng, [plan for plan in plans if plan.status == Company.Status.APPLIED] + applicants, today
    )
    mentees = _plan_mentees(rng, incubating)
    # The incubated firms of the criteria: admitted or incubating, the new cohort among them.
    # (`_plan_cohort` made the accepted ones admitted.)
    incubated = [
        plan
        for plan in [*plans, *applicants]
        if plan.status in (Company.Status.ADMITTED, Company.Status.INCUBATING)
    ]
    kpis = plan_kpis(rng, incubated, today=today)
    grant_companies = [incubating[0], incubating[1], *rng.sample(incubating[2:], 3)]

    _seed_center_staff(_plan_center_staff(), password=password)
    _seed_applicant_companies(applicants)
    applicant_contacts = _seed_applicant_people(applicants, password=password, now=now)
    contacts = {**contacts, **applicant_contacts}
    _seed_mentors(mentees)
    panel = [users["reviewer"], users["operator"], users["admin"]]
    seed_cohort_call(cohort, panel=panel, contacts=contacts, today=today)
    seed_grant_call(
        grant_companies,
        submitters=[users["owner"], users["rival"]],
        panel=panel[:2],
        contacts=contacts,
        today=today,
    )
    seed_kpi_reports(kpis, contacts=contacts)


# Plans -----------------------------------------------------------------------------------


def _plan_applicants(rng: random.Random, plans, *, today: dt.date) -> list[CompanyPlan]:
    """Companies that applied to the cohort call without having been at the center: names,
    codes and web addresses that no demo company has."""
    names = {plan.legal_name for plan in plans}
    codes = {plan.uscc for plan in plans}
    hosts = {plan.contact_email.partition("@")[2] for plan in plans}
    opens_on, closes_on, _decided_on = cohort_dates(today)
    industries, weights = list(INDUSTRY_WEIGHTS), list(INDUSTRY_WEIGHTS.values())
    city_weights = [weight for *_rest, weight in CITY_PREFIXES]
    applicants = []
    while len(applicants) < NEW_APPLICANTS:
        prefix, city, divisions, _weight = rng.choices(CITY_PREFIXES, city_weights)[0]
        brand, brand_pinyin = rng.choice(BRANDS)
        industry = rng.choices(industries, weights)[0]
        domain, domain_pinyin, activity = rng.choice(DOMAINS[industry])
        legal_name = f"{prefix}{brand}{domain}{rng.choice(SUFFIXES)}"
        code = uscc_for(rng, rng.choice(divisions))
        host = f"{brand_pinyin}-{domain_pinyin}.example.com"
        if legal_name in names or code in codes or host in hosts:
            continue
        names.add(legal_name)
        codes.add(code)
        hosts.add(host)
        applicants.append(
            CompanyPlan(
                legal_name=legal_name,
                uscc=code,
                industry=industry,
                city=city,
                size=rng.choices(list(Company.Size.values), [45, 45, 10, 0])[0],
                status=Company.Status.APPLIED,
                description=f"{brand}{domain}专注于{activity}，申请加入武汉人工智能计算中心"
                "孵化营，在昇腾平台上完成模型迁移与产品化。",
                website=f"https://www.{host}",
                contact_email=f"contact@{host}",
                applied_on=opens_on
                + dt.timedelta(days=rng.randint(0, (closes_on - opens_on).days - 1)),
                domain=activity,
            )
        )
    return applicants


def _plan_cohort(rng: random.Random, candidates: list[CompanyPlan], today: dt.date) -> list:
    """Each candidate's submission, two reviewers' scores (the pairs cycle so each of the
    three reviewers has 20; the first reviewer never scores the conflicted company, the
    first candidate) and the decision: the ACCEPTED best by weighted score."""
    opens_on, closes_on, _decided_on = cohort_dates(today)
    # The conflicted application takes pair (1, 2); the other 29 cycle through the pairs
    # with (1, 2) last, so it comes up once less: 20 reviews for every reviewer.
    pairs = [(1, 2)] + [[(0, 1), (0, 2), (1, 2)][index % 3] for index in range(29)]
    cohort = []
    for plan, pair in zip(candidates, pairs, strict=True):
        first = max(plan.applied_on, opens_on)
        day = first + dt.timedelta(days=rng.randint(0, max(0, (closes_on - first).days - 1)))
        quality = rng.uniform(1.8, 4.6)
        scores, comments, reviewed_at = {}, {}, {}
        for reviewer in pair:
            values = [
                min(5, max(1, round(quality + rng.gauss(0, 0.7)))) for _criterion in COHORT_RUBRIC
            ]
            scores[reviewer] = values
            strong = sum(values) / len(values) >= 3.5
            comments[reviewer] = rng.choice(
                COHORT_COMMENTS_STRONG if strong else COHORT_COMMENTS_WEAK
            )
            reviewed_at[reviewer] = office_hours_at(
                closes_on + dt.timedelta(days=rng.randint(2, 25)), rng
            )
        cohort.append(
            Scored(
                plan=plan,
                submitted_at=office_hours_at(day, rng),
                answers=[
                    rng.choice(APPLICATION_ANSWERS),
                    rng.choice(MODEL_ANSWERS),
                    "希望借助中心的算力与工程团队，在六个月内完成产品上线。"
                    if rng.random() < 0.7
                    else "",
                ],
                scores=scores,
                comments=comments,
                reviewed_at=reviewed_at,
            )
        )
    ranked = sorted(range(len(cohort)), key=lambda index: (-cohort[index].weighted(), index))
    _opens_on, _closes_on, decided_on = cohort_dates(today)
    for index in ranked[:ACCEPTED]:
        cohort[index].accepted = True
        cohort[index].plan.status = Company.Status.ADMITTED
        cohort[index].plan.admitted_on = decided_on
    return cohort


def _plan_center_staff() -> list[people.Person]:
    """The center's incubation service staff beside the demo logins (the criteria count the
    center's people per 10 incubated firms); they sign in with their address."""
    rng = random.Random(f"{SEED}:center:staff")
    taken: set[str] = set()
    staff = []
    for number in range(CENTER_STAFF):
        family_name, given_name = rng.choice(SURNAMES), rng.choice(COLLEAGUE_GIVEN_NAMES)
        email = people.email_address(family_name, given_name, CENTER_HOST, taken)
        role = (
            Membership.Role.CENTER_REVIEWER if number % 4 == 3 else Membership.Role.CENTER_OPERATOR
        )
        staff.append(people.Person(email, family_name, given_name, email, role))
    return staff


def _plan_mentees(rng: random.Random, incubating: list[CompanyPlan]) -> dict[str, list]:
    return {
        name: rng.sample(incubating, rng.randint(*MENTEES_PER_MENTOR)) for name, *_rest in MENTORS
    }


# Writes ----------------------------------------------------------------------------------


def _seed_center_staff(staff: list[people.Person], *, password) -> None:
    center = Organisation.objects.get(kind=Organisation.Kind.CENTER, name=CENTER_NAME)
    user_model = get_user_model()
    existing = set(
        user_model.objects.filter(username__in=[p.username for p in staff]).values_list(
            "username", flat=True
        )
    )
    new = [person for person in staff if person.username not in existing]
    if not new:
        return
    user_model.objects.bulk_create(
        user_model(
            username=person.username,
            first_name=person.given_name,
            last_name=person.family_name,
            email=person.email,
            password=password.hashed(),
            is_staff=True,
        )
        for person in new
    )
    users = user_model.objects.in_bulk([p.username for p in new], field_name="username")
    Membership.objects.bulk_create(
        Membership(user=users[person.username], organisation=center, role=person.role)
        for person in new
    )


def _seed_applicant_companies(applicants: list[CompanyPlan]) -> None:
    existing = {
        company.legal_name: company
        for company in Company.objects.filter(legal_name__in=[p.legal_name for p in applicants])
    }
    for plan in applicants:
        plan.company = existing.get(plan.legal_name)
        if plan.company is not None:
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
            status=Company.Status.APPLIED,  # until the cohort call's decision admits it
            description=plan.description,
            website=plan.website,
            contact_email=plan.contact_email,
            applied_on=plan.applied_on,
        )


def _seed_applicant_people(applicants: list[CompanyPlan], *, password, now) -> dict:
    """Each applicant company's contact (an owner, `applicantNN`) and colleagues, 2–5 people
    in all, and its pending invitation. Returns the contact of each company (by id)."""
    planned = []
    for number, plan in enumerate(applicants, start=1):
        host = plan.contact_email.partition("@")[2]
        taken: set[str] = set()
        rng = random.Random(f"{SEED}:{plan.uscc}:people")
        family_name, given_name = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
        contact = f"applicant{number:02d}"
        email = people.email_address(family_name, given_name, host, taken)
        members = [people.Person(contact, family_name, given_name, email, people.OWNER)]
        for _index in range(rng.randint(*PEOPLE_PER_COMPANY) - 1):
            members.append(people.colleague(rng, host, taken))
        rng = random.Random(f"{SEED}:{plan.uscc}:invitation")
        invited = people.colleague(rng, host, taken)
        invitee = people.Invitee(
            email=invited.email,
            role=invited.role,
            language="zh-hans" if rng.random() < 0.7 else "",
            age=dt.timedelta(hours=rng.randint(2, 72)),
            inviter=rng.random(),
        )
        planned.append(
            people.OrganisationPeople(
                plan.company.organisation, members, contact, invitee, plan.company
            )
        )

    users = people.seed_people_rows(planned, password=password)
    people.seed_invitations(planned, now=now)
    return {entry.company.pk: users[entry.contact] for entry in planned}


def _seed_mentors(mentees: dict[str, list]) -> None:
    existing = set(Mentor.objects.values_list("name", flat=True))
    new = Mentor.objects.bulk_create(
        [
            Mentor(name=name, affiliation=affiliation, expertise=expertise)
            for name, affiliation, expertise in MENTORS
            if name not in existing
        ]
    )
    created = {
        mentor.name: mentor for mentor in Mentor.objects.filter(name__in=[m.name for m in new])
    }
    Mentor.companies.through.objects.bulk_create(
        [
            Mentor.companies.through(mentor_id=mentor.pk, company_id=plan.company.pk)
            for name, mentor in created.items()
            for plan in mentees[name]
        ]
    )
