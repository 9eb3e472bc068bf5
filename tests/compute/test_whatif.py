"""The what-if planner: a replay of recorded demand through the real scheduler code.

`history` makes a real history first: workloads submitted, placed by `schedule_round` and
finished (charged through the ledger) at frozen moments, as the worker would. The replay of
the unchanged fleet must then find the waits that history recorded.
"""

import datetime as dt
import json
import random
from collections import deque
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from innovation_center.compute import ledger, whatif
from innovation_center.compute.models import (
    AllocationRequest,
    Lease,
    LedgerEntry,
    Workload,
)
from innovation_center.compute.scheduler import schedule_round
from innovation_center.compute.workloads import workload_create, workload_finish
from tests import factories

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@dataclass
class History:
    end: dt.datetime
    pool: tuple[int, int]
    workloads: int


def make_history(
    *, jobs: int = 36, seed: int = 3, start: dt.datetime = T0, suffix: str = ""
) -> History:
    """`jobs` jobs of three companies on three devices, run by the real scheduler from
    `start` on, more than they can take at once; each takes 60–100 % of its estimate."""
    rng = random.Random(seed)
    with time_machine.travel(start, tick=False):
        fleet = [factories.accelerator() for _ in range(3)]
        grants = [
            factories.allocation(factories.company(name + suffix), hours="20000", device_cap=3)
            for name in ("Alpha Vision", "Beta Robotics", "Gamma Health")
        ]
    arrivals, moment = deque(), start
    for _ in range(jobs):
        moment += dt.timedelta(seconds=rng.randint(600, 2 * 3600))
        count = rng.choice([1, 1, 2])
        estimate = Decimal(f"{count * rng.uniform(1.5, 6):.2f}")
        took = dt.timedelta(seconds=round(float(estimate) / count * 3600 * rng.uniform(0.6, 1)))
        arrivals.append((moment, rng.choice(grants), count, estimate, took, rng.choice([0, 0, 1])))
    work, running = {}, {}  # workload id → (workload, took, devices); id → expected finish

    def run_round(at):
        for placement in schedule_round(now=at):
            running[placement.workload_id] = at + work[placement.workload_id][1]

    while arrivals or running:
        finishing = min(running, key=running.get) if running else None
        if finishing and (not arrivals or running[finishing] <= arrivals[0][0]):
            moment = running.pop(finishing)
            workload, took, count = work[finishing]
            with time_machine.travel(moment, tick=False):
                ledger.ledger_settle(workload=workload, used=count * took / HOUR)
                workload_finish(workload_id=workload.pk, at=moment)
                run_round(moment)
        else:
            moment, grant, count, estimate, took, priority = arrivals.popleft()
            with time_machine.travel(moment, tick=False):
                workload = workload_create(
                    allocation=grant, devices=count, estimate_hours=estimate, priority=priority
                )
                ledger.ledger_reserve(allocation=grant, workload=workload, amount=estimate)
                work[workload.pk] = (workload, took, count)
                run_round(moment)
    device = fleet[0]
    return History(moment + HOUR, (device.accelerator_type_id, device.site_id), jobs)


@pytest.fixture
def history():
    return make_history()


@pytest.fixture
def demand(history):
    return whatif.demand_load(months=1, now=history.end)


def test_it_reproduces_the_recorded_waits_with_the_fleet_unchanged(demand):
    recorded = whatif.recorded_waits(demand)
    replayed = whatif.replay(demand).waits
    assert recorded.workload_median > 1  # hours: the history did queue
    assert replayed.workload_median == pytest.approx(recorded.workload_median, rel=0.10)
    assert replayed.workload_p95 == pytest.approx(recorded.workload_p95, rel=0.10)


def test_it_starts_each_workload_when_the_real_scheduler_did(demand):
    outcome = whatif.replay(demand)
    recorded = {job.id: job.recorded_start for job in demand.jobs}
    assert outcome.starts == recorded


def test_it_lowers_the_waits_when_devices_are_added(history, demand):
    before = whatif.replay(demand).waits
    after = whatif.replay(demand, whatif.Scenario(device_changes={history.pool: 2})).waits
    assert after.workload_median < before.workload_median
    assert after.workload_p95 < before.workload_p95


def test_it_raises_the_waits_when_devices_are_removed(history, demand):
    before = whatif.replay(demand)
    after = whatif.replay(demand, whatif.Scenario(device_changes={history.pool: -1}))
    assert after.waits.workload_median > before.waits.workload_median
    assert after.waits.workload_p95 > before.waits.workload_p95
    assert after.pools[0].devices == 2
    assert after.utilization > before.utilization


def test_it_refuses_to_remove_more_devices_than_the_pool_has(history, demand):
    with pytest.raises(whatif.ApplicationError, match="remove at most 3"):
        whatif.replay(demand, whatif.Scenario(device_changes={history.pool: -4}))


def test_it_writes_nothing(history, django_assert_num_queries):
    counts = [Workload.objects.count(), Lease.objects.count(), LedgerEntry.objects.count()]
    scenario = whatif.Scenario(device_changes={history.pool: 1}, half_life=dt.timedelta(days=2))
    with CaptureQueriesContext(connection) as queries:
        comparison = whatif.whatif_run(scenario=scenario, months=1, now=history.end)
    assert queries.captured_queries
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    assert counts == [Workload.objects.count(), Lease.objects.count(), LedgerEntry.objects.count()]
    with django_assert_num_queries(0):
        whatif.replay(comparison.before.demand, scenario)


def test_it_reads_the_demand_in_a_fixed_number_of_queries(history):
    with CaptureQueriesContext(connection) as few:
        whatif.demand_load(months=1, now=history.end)
    later = make_history(jobs=12, seed=5, start=history.end, suffix=" 2")
    with CaptureQueriesContext(connection) as more:
        whatif.demand_load(months=1, now=later.end)
    assert len(more) == len(few)


def test_it_replays_usage_without_a_workload_as_occupancy_of_a_device():
    # Two devices, each busy 3–4 h; with the second removed, its 10:00–14:00 usage waits
    # for the first to free at 12:00 and ends at 16:00.
    first, second = factories.accelerator(), factories.accelerator()
    grant = factories.allocation(factories.company())
    day = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
    Lease.objects.create(
        accelerator=first, allocation=grant, started_at=day + 9 * HOUR, ended_at=day + 12 * HOUR
    )
    Lease.objects.create(
        accelerator=second, allocation=grant, started_at=day + 10 * HOUR, ended_at=day + 14 * HOUR
    )
    demand = whatif.demand_load(months=1, now=day + 24 * HOUR)
    pool = (first.accelerator_type_id, first.site_id)
    as_is = whatif.replay(demand)
    fewer = whatif.replay(demand, whatif.Scenario(device_changes={pool: -1}))
    assert sorted(as_is.waits.all_work) == [0, 0]
    assert sorted(fewer.waits.all_work) == [0, 2]
    assert [p.busy_hours for p in as_is.pools] == [pytest.approx(7)]
    assert [p.busy_hours for p in fewer.pools] == [pytest.approx(7)]
    assert fewer.occupancy_delayed == 1 and fewer.waiting_hours == 0


def test_it_counts_the_hours_the_grant_rule_would_refuse():
    # One device, a 10-day period: 240 h in service; 100 h already granted in it → 140 h free.
    # A request for 200 h: 60 h refused; with a second device (480 h) or a factor of 1.5
    # (360 h), none.
    device = factories.accelerator()
    start = dt.date(2026, 5, 11)
    with time_machine.travel(dt.datetime(2026, 5, 1, tzinfo=dt.UTC), tick=False):
        factories.allocation(
            factories.company(),
            hours="100",
            device_cap=1,
            starts_on=start,
            ends_on=start + dt.timedelta(days=10),
        )
    with time_machine.travel(dt.datetime(2026, 5, 2, tzinfo=dt.UTC), tick=False):
        AllocationRequest.objects.create(
            company=factories.company(),
            accelerator_type=device.accelerator_type,
            hours=Decimal("200"),
            device_cap=1,
            starts_on=start,
            ends_on=start + dt.timedelta(days=10),
            purpose="Training",
        )
    demand = whatif.demand_load(months=1, now=dt.datetime(2026, 5, 3, tzinfo=dt.UTC))
    pool = (device.accelerator_type_id, device.site_id)
    assert whatif.replay(demand).refused_hours == pytest.approx(60)
    more = whatif.Scenario(device_changes={pool: 1})
    assert whatif.replay(demand, more).refused_hours == 0
    looser = whatif.scenario_build(oversubscription=1.5)
    assert whatif.replay(demand, looser).refused_hours == 0


def test_it_names_the_companies_whose_waits_changed_most(history, demand):
    comparison = whatif.compare(
        whatif.replay(demand),
        whatif.replay(demand, whatif.Scenario(device_changes={history.pool: -1})),
    )
    names = {row.name for row in comparison.companies}
    assert names <= {"Alpha Vision", "Beta Robotics", "Gamma Health"} and names
    changes = [abs(row.change) for row in comparison.companies]
    assert changes == sorted(changes, reverse=True)


# The command ----------------------------------------------------------------------------------


def test_it_prints_the_help_on_an_empty_database(capsys):
    with pytest.raises(SystemExit) as exit_:
        call_command("capacity_whatif", "--help")
    assert exit_.value.code == 0
    assert "TYPE@SITE:K" in capsys.readouterr().out


def test_it_names_the_valid_types_for_an_unknown_one():
    factories.accelerator()
    with pytest.raises(CommandError, match=r"No accelerator type mi300.*sim-h200"):
        call_command("capacity_whatif", "--add", "mi300@wuhan:2")


def test_it_names_the_valid_sites_for_an_unknown_one():
    factories.accelerator()
    with pytest.raises(CommandError, match=r"No site mars.*wuhan"):
        call_command("capacity_whatif", "--remove", "sim-h200@mars:1")


def test_it_prints_before_and_after_as_json(history, capsys):
    with time_machine.travel(history.end, tick=False):
        call_command(
            "capacity_whatif",
            "--months",
            "1",
            "--add",
            "SIM-H200@Wuhan:2",
            "--half-life",
            "3",
            "--json",
        )
    result = json.loads(capsys.readouterr().out)
    waits = {f["label"]: f for f in result["figures"]}["Median wait, workloads"]
    assert waits["after"] < waits["before"]
    assert result["pools"][0]["devices_after"] == 5
    assert result["wait_agreement"]["workload_median"] <= 0.10


def test_it_prints_a_table(history, capsys):
    with time_machine.travel(history.end, tick=False):
        call_command("capacity_whatif", "--months", "1", "--remove", "sim-h200@wuhan:1")
    out = capsys.readouterr().out
    assert "p95 wait, workloads" in out and "3 → 2" in out and "Replays" not in out


# The page -------------------------------------------------------------------------------------


def test_it_shows_the_form_to_staff_without_replaying(client, staff):
    client.force_login(staff)
    response = client.get(reverse("compute:capacity_whatif"))
    assert response.status_code == 200
    assert response.context["comparison"] is None
    assert "At most 24 months" in response.content.decode()


def test_it_shows_before_and_after_to_staff(client, staff, history):
    client.force_login(staff)
    device = Lease.objects.select_related("accelerator").first().accelerator
    with time_machine.travel(history.end, tick=False):
        response = client.get(
            reverse("compute:capacity_whatif"),
            {
                "months": 1,
                "add_type": device.accelerator_type_id,
                "add_site": device.site_id,
                "add_count": 2,
                "half_life_days": "3",
            },
        )
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert comparison.after.pools[0].devices == 5
    html = response.content.decode()
    assert "Before: fleet as it is" in html and "Utilization per pool" in html
    assert "differs from the recorded waits by 0.0 % (median)" in html


def test_it_refuses_more_than_24_months(client, staff):
    client.force_login(staff)
    response = client.get(reverse("compute:capacity_whatif"), {"months": 36})
    assert response.status_code == 200
    assert response.context["comparison"] is None
    assert response.context["form"].errors["months"]


def test_it_says_when_more_devices_are_removed_than_exist(client, staff):
    device = factories.accelerator()
    client.force_login(staff)
    response = client.get(
        reverse("compute:capacity_whatif"),
        {
            "months": 1,
            "remove_type": device.accelerator_type_id,
            "remove_site": device.site_id,
            "remove_count": 3,
        },
    )
    assert response.context["comparison"] is None
    assert "remove at most 1" in " ".join(response.context["form"].errors["remove_count"])


def test_it_is_forbidden_to_a_company_owner(client, owner):
    client.force_login(owner)
    assert client.get(reverse("compute:capacity_whatif")).status_code == 403


# The demo -------------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo center, seeded once for the class's tests, rolled back after them (as in
    tests/reports/test_dashboard.py)."""
    media = tmp_path_factory.mktemp("media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
            call_command("seed_demo", "--quiet")
        yield
        transaction.set_rollback(True)


class TestOnTheDemo:
    def test_it_reproduces_the_recorded_waits_and_usage(self, seeded):
        comparison = whatif.whatif_run(scenario=whatif.Scenario(), months=12)
        assert all(value <= 0.10 for value in comparison.wait_agreement.values())
        before, demand = comparison.before, comparison.before.demand
        recorded_busy = sum(item.length.total_seconds() for item in demand.occupancy) / 3600
        recorded_busy += sum(job.device_hours for job in demand.jobs if job.recorded_start)
        assert sum(p.busy_hours for p in before.pools) == pytest.approx(recorded_busy, rel=1e-3)
        assert before.occupancy_delayed == 0 and before.waiting_hours == 0
        assert 0.90 < before.utilization < 1

    def test_it_delays_usage_when_a_busy_pool_loses_devices(self, seeded):
        pool = whatif.pool_find(type_text="sim-h200", site_text="shenzhen")
        scenario = whatif.Scenario(device_changes={pool: -2})
        comparison = whatif.whatif_run(scenario=scenario, months=12)
        assert comparison.after.waits.p95 > comparison.before.waits.p95
        assert comparison.after.unmet_hours > comparison.before.unmet_hours
        assert comparison.companies
