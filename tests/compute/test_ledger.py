from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innovation_center.compute import ledger
from innovation_center.compute.models import LedgerEntry
from innovation_center.compute.selectors import allocation_balance
from innovation_center.core.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant():
    return factories.allocation(factories.company(), hours="10")


def test_it_reserves_and_settles_with_one_charge_and_one_refund(grant):
    job = factories.job(grant)
    ledger.ledger_reserve(allocation=grant, workload=job.workload, amount="4")
    assert allocation_balance(allocation=grant).available == Decimal("6")
    settlement = ledger.ledger_settle(workload=job.workload, used="1.5")
    assert (settlement.charged, settlement.refunded) == (Decimal("1.5"), Decimal("2.5"))
    balance = allocation_balance(allocation=grant)
    assert (balance.available, balance.reserved, balance.spent) == (
        Decimal("8.5"),
        Decimal("0"),
        Decimal("1.5"),
    )
    kinds = list(job.ledger_entries.values_list("kind", flat=True).order_by("id"))
    assert kinds == ["reserve", "charge", "refund"]


def test_it_never_charges_twice_when_a_finish_is_retried(grant):
    job = factories.job(grant)
    ledger.ledger_reserve(allocation=grant, workload=job.workload, amount="4")
    first = ledger.ledger_settle(workload=job.workload, used="1")
    again = ledger.ledger_settle(workload=job.workload, used="3")
    assert again.repeated and (again.charged, again.refunded) == (first.charged, first.refunded)
    assert job.ledger_entries.filter(kind="charge").count() == 1
    assert allocation_balance(allocation=grant).available == Decimal("9")


def test_it_charges_at_most_the_reserve(grant):
    job = factories.job(grant)
    ledger.ledger_reserve(allocation=grant, workload=job.workload, amount="2")
    assert ledger.ledger_settle(workload=job.workload, used="5").charged == Decimal("2")
    assert allocation_balance(allocation=grant).available == Decimal("8")


def test_it_refuses_a_reservation_beyond_the_balance_and_says_how_much_is_left(grant):
    job = factories.job(grant)
    with pytest.raises(ApplicationError) as error:
        ledger.ledger_reserve(allocation=grant, workload=job.workload, amount="10.5")
    assert error.value.code == "insufficient_balance"
    assert "10" in error.value.message and "10.5" in error.value.message
    assert not job.ledger_entries.exists()


def test_it_refuses_to_reserve_twice_for_one_job(grant):
    job = factories.job(grant)
    ledger.ledger_reserve(allocation=grant, workload=job.workload, amount="1")
    with pytest.raises(ApplicationError):
        ledger.ledger_reserve(allocation=grant, workload=job.workload, amount="1")
    assert allocation_balance(allocation=grant).available == Decimal("9")


def test_it_expires_what_is_left_but_keeps_open_reserves(grant):
    job = factories.job(grant)
    ledger.ledger_reserve(allocation=grant, workload=job.workload, amount="3")
    ledger.ledger_expire(allocation=grant)
    balance = allocation_balance(allocation=grant)
    assert (balance.available, balance.reserved) == (Decimal("0"), Decimal("3"))
    ledger.ledger_settle(workload=job.workload, used="1")
    assert allocation_balance(allocation=grant).available == Decimal("2")


def test_it_rounds_device_seconds_up_to_the_ledger_quantum():
    assert ledger.hours_from_seconds(0.001) == Decimal("0.000001")
    assert ledger.hours_from_seconds(3600) == Decimal("1")


operations = st.lists(
    st.one_of(
        st.tuples(st.just("credit"), st.decimals("0.01", "20", places=2)),
        st.tuples(st.just("reserve"), st.decimals("0.01", "15", places=2)),
        st.tuples(st.just("settle"), st.decimals("0", "15", places=2)),
        st.tuples(st.just("retry"), st.decimals("0", "15", places=2)),
        st.tuples(st.just("expire"), st.just(Decimal(0))),
    ),
    max_size=25,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_it_keeps_every_balance_a_sum_of_rows_that_never_goes_negative(django_db_blocker, ops):
    """Random sequences of ledger operations against a Python model of the rules."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        grant = factories.allocation(factories.company(), hours="10")
        expected_available, expected_spent = Decimal("10"), Decimal("0")
        reserved: dict[int, Decimal] = {}
        settled: dict[int, Decimal] = {}
        for op, amount in ops:
            if op == "credit":
                ledger.ledger_credit(allocation=grant, amount=amount)
                expected_available += amount
            elif op == "reserve":
                job = factories.job(grant)
                if amount <= expected_available:
                    ledger.ledger_reserve(allocation=grant, workload=job.workload, amount=amount)
                    expected_available -= amount
                    reserved[job.pk] = amount
                else:
                    with pytest.raises(ApplicationError):
                        ledger.ledger_reserve(
                            allocation=grant, workload=job.workload, amount=amount
                        )
            elif op in ("settle", "retry") and reserved:
                job_id = next(iter(reserved)) if op == "settle" else max(reserved)
                job = grant.jobs.get(pk=job_id)
                held = reserved[job_id]
                result = ledger.ledger_settle(workload=job.workload, used=amount)
                if job_id in settled:
                    assert result.repeated and result.charged == settled[job_id]
                else:
                    charged = min(amount, held)
                    settled[job_id] = charged
                    expected_spent += charged
                    expected_available += held - charged
                if op == "settle":
                    del reserved[job_id]
            elif op == "expire":
                ledger.ledger_expire(allocation=grant)
                expected_available = Decimal("0")
            balance = allocation_balance(allocation=grant)
            assert balance.available >= 0
            assert balance.available == expected_available
            assert balance.spent == expected_spent
            assert LedgerEntry.objects.filter(allocation=grant, kind="charge").count() == len(
                settled
            )
        transaction.set_rollback(True)
