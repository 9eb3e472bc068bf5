"""The demo's capacity story: over-committed pools beside pools that are not, idle grants for
the idle-allocation policy, and the background demand that submits real jobs."""

import datetime as dt
import random

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from innovation_center.accounts.models import (
    Membership,
    Notification,
    NotificationKind,
    Profile,
)
from innovation_center.compute import allocations, capacity, forecast
from innovation_center.compute.models import Allocation, CapacityPool, LedgerEntry, Site
from innovation_center.compute.scheduler import schedule_round
from innovation_center.compute.selectors import allocation_balances
from innovation_center.core import clock
from innovation_center.demo import demand
from innovation_center.demo.data.people import DEMO_USERS
from innovation_center.evaluation import services as evaluation
from innovation_center.evaluation.models import EvaluationJob

pytestmark = pytest.mark.django_db
# A Wednesday, mid-month, 10:00 in Shanghai: the clock stays here for the whole module.
SEEDED_AT = dt.datetime(2026, 12, 9, 2, 0, tzinfo=dt.UTC)
DEMO_LOGINS = {username for username, *_rest in DEMO_USERS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo center seeded once for the module at SEEDED_AT, rolled back after it (see
    tests/reports/test_dashboard.py); each test's own writes are rolled back after it."""
    media = tmp_path_factory.mktemp("media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(SEEDED_AT, tick=False):
        with django_db_blocker.unblock(), transaction.atomic():
            with override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
                call_command("seed_demo", "--quiet")
            yield media
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, seeded):
    # The seeded models' files are in the module's media folder (tests/conftest.py would give
    # each test an empty one): the jobs of the demand read them.
    settings.MEDIA_ROOT = seeded


def home_pool_committed() -> float:
    home = Site.objects.get(is_home=True)
    calendar = capacity.capacity_calendar()
    key = next(key for key in calendar.pools if key[1] == home.pk)
    return calendar.totals(key, calendar.start, calendar.end).committed


def test_it_over_commits_some_pools_and_not_others(seeded):
    rows = capacity.heat_map(capacity.capacity_calendar())
    over = {row["label"] for row in rows if row["over_weeks"] > 0}
    assert over and len(over) < len(rows)
    home = Site.objects.get(is_home=True)
    assert any(home.name in label for label in over)
    # Pools that are full or below, never over.
    assert all(
        cell["load"] <= 1 for row in rows if row["label"] not in over for cell in row["cells"]
    )


def test_it_stores_every_pool_and_one_factor_above_one(seeded):
    calendar = capacity.capacity_calendar()
    stored = set(CapacityPool.objects.values_list("accelerator_type_id", "site_id"))
    assert set(calendar.pools) <= stored
    above = CapacityPool.objects.filter(oversubscription__gt=1)
    assert above.exists()
    assert {float(pool.oversubscription) for pool in above} == {1.2}
    assert all(calendar.factors[(p.accelerator_type_id, p.site_id)] == 1.2 for p in above)


def test_it_leaves_an_idle_grant_staff_may_lend_at_once(seeded, staff):
    noticed = Allocation.objects.get(idle_noticed_at__isnull=False)
    assert allocations.lend_allowed_from(noticed) <= clock.now()
    owners = Membership.objects.filter(
        organisation=noticed.company.organisation, role=Membership.Role.COMPANY_OWNER
    )
    url = reverse("compute:allocation_detail", args=[noticed.pk])
    for owner in owners:
        notice = Notification.objects.get(
            user=owner.user, kind=NotificationKind.ALLOCATION_CHANGE, url=url
        )
        assert notice.read_at is None and notice.created_at == noticed.idle_noticed_at

    before = home_pool_committed()
    lent = allocations.allocation_lend(allocation=noticed, actor=staff, reason="Idle for weeks")
    assert lent > 0
    assert home_pool_committed() < before


def test_it_leaves_one_grant_for_the_idle_policy_to_notice(seeded, settings):
    already = set(
        Allocation.objects.filter(idle_noticed_at__isnull=False).values_list("pk", flat=True)
    )
    settings.IDLE_POLICY = False
    assert allocations.allocations_watch()["idle"] == 0

    settings.IDLE_POLICY = True
    assert allocations.allocations_watch()["idle"] == 1
    noticed = Allocation.objects.filter(idle_noticed_at=clock.now()).get()
    assert noticed.pk not in already
    burn = forecast.burndown(allocation=noticed)
    assert burn.projected_unused > 0.5 * burn.granted
    assert not noticed.workloads.exists()
    # Once noticed, it is not noticed again.
    assert allocations.allocations_watch()["idle"] == 0


def test_it_submits_the_demand_through_the_real_service_without_piling_up(seeded):
    jobs = demand.demand_submit(limit=3, rng=random.Random(1))
    assert 1 <= len(jobs) <= 3
    assert len({job.company_id for job in jobs}) == len(jobs)
    for job in jobs:
        assert job.status == EvaluationJob.Status.QUEUED
        assert job.submitted_by.username not in DEMO_LOGINS
        assert Profile.objects.get(user=job.submitted_by).email_muted
        assert LedgerEntry.objects.filter(
            workload=job.workload, kind=LedgerEntry.Kind.RESERVE
        ).exists()

    again = demand.demand_submit(limit=10, rng=random.Random(2))
    assert not {job.company_id for job in jobs} & {job.company_id for job in again}
    assert demand.demand_submit(limit=10, rng=random.Random(3)) == []
    unfinished = EvaluationJob.objects.exclude(status__in=EvaluationJob.FINISHED)
    companies = list(unfinished.values_list("company_id", flat=True))
    assert len(companies) == len(set(companies))
    balances = allocation_balances(allocation_ids=unfinished.values_list("allocation_id"))
    assert min(balance.available for balance in balances.values()) >= 0


def test_its_jobs_run_and_move_the_burn_down(seeded):
    job = demand.demand_submit(limit=1, rng=random.Random(4))[0]
    spent = forecast.burndown(allocation=job.allocation).spent
    schedule_round()
    for index in evaluation.job_start(job_id=job.pk) or []:
        evaluation.shard_execute(job_id=job.pk, index=index, worker="test")
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.SUCCEEDED
    assert forecast.burndown(allocation=job.allocation).spent > spent


def test_it_writes_nothing_on_a_second_run_the_same_day(seeded):
    with CaptureQueriesContext(connection) as queries:
        call_command("seed_demo", "--quiet")
    writes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
