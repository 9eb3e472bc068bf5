"""Fair share with a half-life: the queue order against cases computed by hand."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.template.loader import render_to_string

from innovation_center.compute import ledger
from innovation_center.compute.scheduler import (
    company_usage,
    decayed_usage,
    schedule_round,
)
from innovation_center.compute.workloads import workload_create, workload_finish
from tests import factories

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)


def charge(grant, hours: str, at: dt.datetime) -> None:
    """Hours charged to the allocation at `at`, through the real ledger services."""
    with time_machine.travel(at, tick=False):
        work = workload_create(allocation=grant, devices=1, estimate_hours=Decimal(hours))
        ledger.ledger_reserve(allocation=grant, workload=work, amount=hours)
        ledger.ledger_settle(workload=work, used=hours)
        workload_finish(workload_id=work.pk)


@pytest.fixture
def companies():
    """A used 100 h a week before NOW, B 60 h at NOW; both hold 1,000 h; one device."""
    with time_machine.travel(NOW, tick=False):
        factories.accelerator()
        a = factories.allocation(factories.company("A Vision"), hours="1000")
        b = factories.allocation(factories.company("B Robotics"), hours="1000")
    charge(a, "100", NOW - WEEK)
    charge(b, "60", NOW)
    return a, b


def first_placed(a, b) -> str:
    """Queue one job each, B's first, and say whose the scheduler places on the one device."""
    with time_machine.travel(NOW, tick=False):
        job_b = workload_create(
            allocation=b, devices=1, estimate_hours=Decimal("1"), at=NOW - dt.timedelta(hours=1)
        )
        job_a = workload_create(allocation=a, devices=1, estimate_hours=Decimal("1"), at=NOW)
        [placement] = schedule_round(now=NOW)
    return {job_a.pk: "A", job_b.pk: "B"}[placement.workload_id]


def test_it_halves_a_charge_one_half_life_old():
    charges = [("A", NOW - WEEK, 100), ("B", NOW, 60), ("C", NOW - 2 * WEEK, 80)]
    assert decayed_usage(charges, NOW, WEEK) == pytest.approx({"A": 50, "B": 60, "C": 20})


def test_it_counts_a_charge_dated_after_now_in_full():
    assert decayed_usage([("A", NOW + WEEK, 10)], NOW, WEEK) == {"A": 10}


def test_it_adds_the_charges_of_one_company():
    charges = [("A", NOW, 10), ("A", NOW - WEEK, 10), ("A", NOW - 3 * WEEK, 8)]
    assert decayed_usage(charges, NOW, WEEK) == pytest.approx({"A": 10 + 5 + 1})


def test_it_divides_decayed_usage_by_the_hours_granted(companies, settings):
    settings.FAIR_SHARE_HALF_LIFE_DAYS = 7
    a, b = companies
    usage = company_usage(now=NOW)
    assert usage[a.company_id] == pytest.approx(50 / 1000)
    assert usage[b.company_id] == pytest.approx(60 / 1000)


def test_it_places_the_company_whose_usage_has_decayed_below_the_other(companies, settings):
    # Half-life 7 days: A 100 × 0.5 = 50 h, B 60 h → A first, though B queued an hour earlier.
    settings.FAIR_SHARE_HALF_LIFE_DAYS = 7
    assert first_placed(*companies) == "A"


def test_it_follows_the_half_life_setting(companies, settings):
    # Half-life 30 days: A 100 × 0.5 ** (7 / 30) = 85.1 h, B 60 h → B first.
    settings.FAIR_SHARE_HALF_LIFE_DAYS = 30
    assert first_placed(*companies) == "B"


def test_it_forgets_charges_older_than_ten_half_lives(companies, settings):
    settings.FAIR_SHARE_HALF_LIFE_DAYS = 7
    a, b = companies
    # 800 h eleven weeks ago would still weigh 800 × 0.5 ** 11 = 0.39 h: past the horizon.
    charge(a, "800", NOW - 11 * WEEK)
    assert company_usage(now=NOW)[a.company_id] == pytest.approx(50 / 1000)


def test_it_weighs_usage_against_a_larger_grant(settings):
    # A: 100 h today of 2,000 h granted (0.05); B: 80 h today of 1,000 h (0.08) → A first.
    settings.FAIR_SHARE_HALF_LIFE_DAYS = 7
    with time_machine.travel(NOW, tick=False):
        factories.accelerator()
        a = factories.allocation(factories.company("A Vision"), hours="2000")
        b = factories.allocation(factories.company("B Robotics"), hours="1000")
    charge(a, "100", NOW)
    charge(b, "80", NOW)
    assert first_placed(a, b) == "A"


def test_it_shows_the_formula_with_the_half_life():
    html = render_to_string("compute/_fair_share.html", {"fair_share_half_life_days": 3.5})
    assert "0.5 ^ (age ÷ half-life)" in html
    assert "The half-life is 3.5 days" in html
