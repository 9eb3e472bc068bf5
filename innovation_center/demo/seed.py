"""The demo center of `manage.py seed_demo`, shaped like the article's figures.

Everything comes from `random.Random(2021)`: the plan (names, dates, counts) is drawn in a
fixed order that never depends on what the database already holds, and is then applied
with natural keys, so a second run finds every row and creates nothing. The bulk parts
(leases, usage ledger rows) draw from generators seeded with a fixed string per device and
month, and are skipped per site pool and month (leases) or allocation and month (ledger)
when already present. A company's colleagues and invitee draw from generators seeded with
its USCC, so they are found by username and address however the rest is drawn.

Each area seeds in its own module (`network`, `companies`, `people`, `talent`, `compute`,
`portal`, with their tables in `data/`); this one only calls them. The order of the calls
is the order of the draws from the one generator: reordering them changes every row after.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max

from innovation_center.accounts.models import Membership, Organisation
from innovation_center.compute.models import Lease
from innovation_center.compute.rollups import rollups_close
from innovation_center.compute.services import allocations_advance
from innovation_center.core import clock
from innovation_center.demo import (
    benchmarks,
    companies,
    compute,
    demand,
    network,
    people,
    portal,
    talent,
)
from innovation_center.demo.common import SEED
from innovation_center.demo.data.people import CENTER_NAME, DEMO_PASSWORD, DEMO_USERS
from innovation_center.demo.data.talent import COORDINATOR_UNIVERSITY
from innovation_center.demo.models import DemoSeed
from innovation_center.demo.programs import seed_programs
from innovation_center.ecosystem.models import Company, Solution

COUNTED_APPS = ("accounts", "ecosystem", "talent", "compute", "evaluation", "programs")


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
    run; no allocation's ledger goes below zero; the demo logins of `DEMO_USERS` exist
    with `DEMO_PASSWORD`; every company has 2–5 people, at least one of them an owner, and
    one invitation pending at `now` (an expired one is replaced); the demo logins have
    profiles and a few notifications that lead to real pages, the latest unread. Every pool
    has its stored row; the home pool, the pools short of a device and those the any-site
    grants share are over-committed in the coming weeks, the others are not; two grants of
    the home pool are idle, one noticed longer ago than the grace period and one due its
    notice; a company of each pool has the demo model for the background demand (`demand`).
    """
    now = now or clock.now()
    today = clock.today(at=now)
    state = DemoSeed.objects.select_for_update().first()
    anchor = state.anchor if state else (_legacy_anchor() or today)
    rng = random.Random(SEED)
    before = demo_row_counts()

    center = Organisation.objects.get_or_create(kind=Organisation.Kind.CENTER, name=CENTER_NAME)[0]
    network.seed_compute_network(today=anchor)
    portal.seed_datasets()
    universities, programs = talent.seed_universities_and_programs()

    plans = companies.plan_companies(rng, anchor)
    companies.seed_companies(plans)
    incubating = [plan for plan in plans if plan.status == Company.Status.INCUBATING]
    owner_company, rival_company = incubating[0].company, incubating[1].company
    coordinator_university = universities[COORDINATOR_UNIVERSITY]
    password = people.PasswordHash()
    users = people.seed_users(
        center=center,
        owner_company=owner_company,
        rival_company=rival_company,
        coordinator_university=coordinator_university,
        password=password,
    )
    people.seed_profiles(users)

    contacts, organisation_people = people.seed_company_people(
        plans,
        contact_names=companies.draw_contact_names(rng, plans),
        demo_users=users,
        university=coordinator_university,
        password=password,
    )
    companies.seed_engagements(rng, plans, today=anchor, staff=[users["operator"], users["admin"]])
    companies.seed_solutions(rng, plans, today=anchor)
    talent.seed_courses(rng, universities, programs["course"], coordinator=users["coordinator"])
    talent.seed_crowd_tasks(rng, universities, programs["crowd"])
    talent.seed_internships(rng, universities, programs["internship"], plans)
    compute.seed_allocations(
        rng,
        incubating,
        today=anchor,
        reviewer=users["reviewer"],
        contacts=contacts,
    )
    compute.seed_capacity_pools(admin=users["admin"])
    compute.seed_idle_allocations(
        incubating, now=now, reviewer=users["reviewer"], contacts=contacts
    )
    # Runs on a later day continue the story up to now; the first run of a day writes usage
    # up to its last full hour, later runs that day find nothing to do.
    start_of_today = dt.datetime.combine(today, dt.time(), tzinfo=clock.center_timezone())
    seeded_until = state.usage_until if state else _legacy_usage_until(anchor)
    if seeded_until < start_of_today:
        until = max(seeded_until, now.replace(minute=0, second=0, microsecond=0))
        compute.seed_renewals(
            incubating, today=today, reviewer=users["reviewer"], contacts=contacts
        )
        compute.roll_pending_requests(today=today)
        compute.seed_usage(since=seeded_until, until=until)
        allocations_advance(today=today)
        if state is None:
            DemoSeed.objects.create(anchor=anchor, usage_until=until)
        else:
            DemoSeed.objects.filter(pk=state.pk).update(usage_until=until)
    compute.seed_expiries()
    people.seed_invitations(organisation_people, now=now)
    people.seed_notifications(
        users,
        organisation_people,
        center=center,
        owner_company=owner_company,
        rival_company=rival_company,
        university=coordinator_university,
        now=now,
    )
    portal.seed_portal(company=owner_company, owner=users["owner"])
    benchmarks.seed_benchmarks(
        admin=users["admin"],
        entrants=[(owner_company, users["owner"], 48), (rival_company, users["rival"], 16)],
    )
    demand.seed_demand(incubating, owner_company=owner_company, rival_company=rival_company)
    seed_programs(plans, users=users, contacts=contacts, password=password, today=anchor, now=now)
    # The closed months' utilization, stored now as beat would (a run on the same day then
    # writes nothing, and the first dashboard does not pay for it).
    rollups_close(now=now)

    after = demo_row_counts()
    created = {
        label: after[label] - before[label] for label in after if after[label] != before[label]
    }
    return DemoSeedResult(created=created, logins=_logins(users))


def _logins(users: dict) -> list[DemoLogin]:
    memberships = {
        membership.user_id: membership
        for membership in Membership.objects.filter(user__in=list(users.values())).select_related(
            "organisation"
        )
    }
    logins = []
    for username, *_rest in DEMO_USERS:
        membership = memberships[users[username].pk]
        logins.append(
            DemoLogin(
                username=username,
                password=DEMO_PASSWORD,
                role=str(membership.get_role_display()),
                organisation=membership.organisation.name,
            )
        )
    return logins


def _legacy_anchor() -> dt.date | None:
    """The first run's date in a database seeded before `DemoSeed` existed (else None)."""
    created = (
        Organisation.objects.filter(kind=Organisation.Kind.CENTER, name=CENTER_NAME)
        .values_list("created_at", flat=True)
        .first()
    )
    return clock.today(at=created) if created else None


def _legacy_usage_until(anchor: dt.date) -> dt.datetime:
    """Where synthetic usage stops: the end of the last seeded lease, or, on an empty
    database, the start of the first of the twelve months before the anchor's."""
    last = Lease.objects.filter(workload__isnull=True).aggregate(last=Max("ended_at"))["last"]
    if last is not None:
        return last
    first = clock.add_months(clock.month_of(anchor), -12)
    return clock.month_bounds(*first)[0]
