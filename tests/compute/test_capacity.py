"""The capacity calendar and the grants that keep its promise: refusals with the numbers,
over-commit only with a reason, staff actions on a grant, burn-down, idle lending."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from innovation_center.accounts.models import AuditEvent, Notification
from innovation_center.compute import allocations, capacity, forecast, ledger, services
from innovation_center.compute.models import (
    Allocation,
    CapacityPool,
    DeviceOutage,
    LedgerEntry,
)
from innovation_center.compute.scheduler import queued_workloads
from innovation_center.compute.selectors import allocation_balance, review_queue
from innovation_center.core.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# 2027-01-15 09:00 in Shanghai: the calendar's days are the center's.
NOW = dt.datetime(2027, 1, 15, 9, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def ask(company, owner, **overrides):
    fields = {
        "company": company,
        "actor": owner,
        "hours": Decimal("500"),
        "device_cap": 2,
        "starts_on": dt.date(2027, 2, 1),
        "ends_on": dt.date(2027, 3, 1),
        "purpose": "Fine-tune a detector",
        "accelerator_type": factories.accelerator_type(),
    }
    fields.update(overrides)
    return services.allocation_request_create(**fields)


def test_the_calendar_counts_devices_outages_and_unspent_grants(company):
    devices = factories.fleet(2)
    # A planned outage of one device on 2027-01-20, 06:00–18:00 (12 h).
    DeviceOutage.objects.create(
        accelerator=devices[0],
        health="draining",
        started_at=dt.datetime(2027, 1, 20, 6, tzinfo=SHANGHAI),
        ended_at=dt.datetime(2027, 1, 20, 18, tzinfo=SHANGHAI),
    )
    # 100 h granted, 20 h spent: 80 h over the 10 days left (from 2027-01-15 to 2027-01-25).
    grant = factories.allocation(
        company,
        hours="100",
        device_cap=2,
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 1, 25),
    )
    LedgerEntry.objects.create(
        allocation=grant, kind=LedgerEntry.Kind.ADJUSTMENT, available=Decimal("-20"), reserved=0
    )
    calendar = capacity.capacity_calendar(start=dt.date(2027, 1, 15), end=dt.date(2027, 1, 30))
    key = (factories.accelerator_type().pk, None)
    row = calendar.row[key]
    assert calendar.in_service[row, 0] == 48  # two devices × 24 h
    assert calendar.in_service[row, 5] == 36  # 2027-01-20: 12 h out
    assert calendar.committed[row, 0] == pytest.approx(8.0)
    assert calendar.committed[row, 10] == 0  # after the grant's end
    totals = calendar.totals(key, dt.date(2027, 1, 15), dt.date(2027, 1, 25))
    assert totals.in_service == pytest.approx(48 * 10 - 12)
    assert totals.committed == pytest.approx(80)
    assert totals.free == pytest.approx(468 - 80)
    # The per-site pool sees the same grant (its type at any site, all devices at one site).
    site_key = (key[0], devices[0].site_id)
    assert calendar.totals(site_key, dt.date(2027, 1, 15), dt.date(2027, 1, 25)).committed == (
        pytest.approx(80)
    )


def test_an_any_site_grant_counts_for_each_site_by_its_share_of_devices(company):
    here, there = factories.site("wuhan"), factories.site("xian")
    factories.fleet(3, site=here)
    factories.fleet(1, site=there)
    factories.allocation(
        company, hours="400", starts_on=dt.date(2027, 1, 15), ends_on=dt.date(2027, 1, 25)
    )
    calendar = capacity.capacity_calendar(start=dt.date(2027, 1, 15), end=dt.date(2027, 1, 25))
    type_id = factories.accelerator_type().pk
    assert calendar.totals((type_id, here.pk), NOW.date(), dt.date(2027, 1, 25)).committed == (
        pytest.approx(300)
    )
    assert calendar.totals((type_id, there.pk), NOW.date(), dt.date(2027, 1, 25)).committed == (
        pytest.approx(100)
    )


def test_a_request_beyond_what_its_cap_can_deliver_is_refused_with_the_numbers(company, owner):
    with pytest.raises(ApplicationError) as refused:
        ask(company, owner, hours=Decimal("100000"))
    # February 2027: 2 devices × 24 h × 28 days = 1,344 h.
    assert "at most 1,344" in refused.value.message and "100,000" in refused.value.message
    assert refused.value.field_errors["hours"]


def test_a_request_for_a_past_or_empty_period_is_refused(company, owner):
    with pytest.raises(ApplicationError, match="in the past"):
        ask(company, owner, starts_on=dt.date(2027, 1, 10))
    with pytest.raises(ApplicationError, match="must end after it starts"):
        ask(company, owner, starts_on=dt.date(2027, 2, 1), ends_on=dt.date(2027, 2, 1))


def test_approving_more_than_is_free_needs_a_reason_that_goes_into_the_history(
    company, owner, reviewer
):
    factories.fleet(2)  # 1,344 h in February
    factories.allocation(
        factories.company(),
        hours="1000",
        device_cap=2,
        starts_on=dt.date(2027, 2, 1),
        ends_on=dt.date(2027, 3, 1),
    )
    request = ask(company, owner, hours=Decimal("600"))
    assert review_queue()[0].fits is False and review_queue()[0].free_hours == pytest.approx(344)
    with pytest.raises(ApplicationError) as refused:
        services.allocation_request_approve(request=request, actor=reviewer)
    message = refused.value.message
    assert "344 h free" in message and "1,344 h in service" in message
    assert "1,000 h committed" in message and "over-commits it by 256 h" in message
    request.refresh_from_db()
    assert request.status == "pending" and not Allocation.objects.filter(request=request).exists()
    granted = services.allocation_request_approve(
        request=request, actor=reviewer, overcommit_reason="Half of the big grant goes unused"
    )
    assert granted.hours_granted == Decimal("600")
    event = AuditEvent.objects.get(action="approve")
    assert event.after["overcommit_reason"] == "Half of the big grant goes unused"
    assert event.after["overcommit_hours"] == "256"


def test_the_pools_over_subscription_factor_lets_a_grant_through_without_a_reason(
    company, owner, reviewer
):
    factories.fleet(2)
    CapacityPool.objects.create(
        accelerator_type=factories.accelerator_type(), site=None, oversubscription=Decimal("1.5")
    )
    request = ask(company, owner, hours=Decimal("1300"))
    factories.allocation(
        factories.company(),
        hours="600",
        device_cap=2,
        starts_on=dt.date(2027, 2, 1),
        ends_on=dt.date(2027, 3, 1),
    )
    # 1,344 × 1.5 = 2,016 h may be promised; 600 are: 1,300 fit, beyond the devices alone.
    granted = services.allocation_request_approve(request=request, actor=reviewer)
    assert granted.hours_granted == Decimal("1300")
    assert AuditEvent.objects.get(action="approve").after["oversubscription"] == "1.50"


def test_a_reviewer_sees_the_numbers_and_over_commits_with_a_reason_on_the_page(
    client, company, owner, reviewer
):
    factories.fleet(1)  # 672 h in February
    request = ask(company, owner, hours=Decimal("700"), device_cap=2)
    client.force_login(reviewer)
    data = {
        f"approve-{request.pk}-hours": "700",
        f"approve-{request.pk}-device_cap": "2",
        f"approve-{request.pk}-starts_on": "2027-02-01",
        f"approve-{request.pk}-ends_on": "2027-03-01",
        f"approve-{request.pk}-reason": "",
    }
    page = client.post(reverse("compute:request_approve", args=[request.pk]), data)
    text = page.content.decode()
    assert "672 h free" in text and "over-commits it by 28 h" in text
    data[f"approve-{request.pk}-overcommit_reason"] = "A second device arrives on 02-05"
    done = client.post(reverse("compute:request_approve", args=[request.pk]), data)
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved"


def test_staff_adjust_suspend_resume_and_revoke_with_ledger_rows_history_and_mail(
    company, owner, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    factories.fleet(2)
    grant = factories.allocation(
        company,
        hours="100",
        device_cap=2,
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 3, 1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        allocations.allocation_adjust(
            allocation=grant, actor=reviewer, reason="Correct a typo", hours_delta=Decimal("-40")
        )
    assert allocation_balance(allocation=grant).available == Decimal("60")
    with pytest.raises(ApplicationError, match="lower the hours by at most"):
        allocations.allocation_adjust(
            allocation=grant, actor=reviewer, reason="x", hours_delta=Decimal("-61")
        )
    with pytest.raises(ApplicationError, match="Give the reason"):
        allocations.allocation_suspend(allocation=grant, actor=reviewer, reason=" ")
    job = factories.job(grant)
    allocations.allocation_suspend(allocation=grant, actor=reviewer, reason="Unpaid fee")
    grant.refresh_from_db()
    assert grant.status == Allocation.Status.SUSPENDED
    assert job.workload_id not in [w.id for w in queued_workloads(now=timezone.now(), lock=False)]
    allocations.allocation_resume(allocation=grant, actor=reviewer, reason="Fee paid")
    grant.refresh_from_db()
    assert grant.status == Allocation.Status.ACTIVE
    ledger.ledger_reserve(allocation=grant, workload=job.workload, amount=Decimal("10"))
    allocations.allocation_revoke(allocation=grant, actor=reviewer, reason="Left the program")
    grant.refresh_from_db()
    assert grant.status == Allocation.Status.REVOKED
    assert allocation_balance(allocation=grant).available == 0
    # The running job finishes and is charged; its unused reserve is written off, not refunded.
    ledger.ledger_settle(workload=job.workload, used=Decimal("4"))
    balance = allocation_balance(allocation=grant)
    assert (balance.available, balance.reserved, balance.spent) == (0, 0, Decimal("4"))
    kinds = list(grant.ledger_entries.values_list("kind", flat=True))
    assert kinds.count("revocation") == 2 and "adjustment" in kinds
    actions = set(
        AuditEvent.objects.filter(
            object_id=str(grant.pk), content_type__model="allocation"
        ).values_list("action", flat=True)
    )
    assert {"adjust", "suspend", "resume", "revoke"} <= actions
    assert any("changed" in m.subject for m in mailoutbox)
    with pytest.raises(ApplicationError, match="only a scheduled, active or suspended"):
        allocations.allocation_resume(allocation=grant, actor=reviewer, reason="again")


def test_staff_act_on_an_allocation_from_its_page(client, company, reviewer, owner):
    grant = factories.allocation(company, hours="100")
    client.force_login(owner)
    assert (
        client.post(
            reverse("compute:allocation_action", args=[grant.pk, "suspend"]), {"reason": "x"}
        ).status_code
        == 403
    )
    client.force_login(reviewer)
    page = client.get(reverse("compute:allocation_detail", args=[grant.pk])).content.decode()
    assert "Manage this allocation" in page and "Burn-down" in page
    assert 'id="pool-capacity"' in page and "this grant included" in page
    client.post(reverse("compute:allocation_action", args=[grant.pk, "suspend"]), {"reason": ""})
    grant.refresh_from_db()
    assert grant.status == "active"  # no reason, no suspension
    client.post(
        reverse("compute:allocation_action", args=[grant.pk, "suspend"]), {"reason": "Audit"}
    )
    grant.refresh_from_db()
    assert grant.status == "suspended"


def test_the_burn_down_projects_the_end_at_the_recent_rate(company):
    grant = factories.allocation(
        company, hours="280", starts_on=dt.date(2026, 12, 18), ends_on=dt.date(2027, 2, 12)
    )
    # 2 h a day charged for the 28 days before today.
    for day in range(28):
        job = factories.job(grant)
        LedgerEntry.objects.create(
            allocation=grant,
            kind="reserve",
            available=Decimal("-2"),
            reserved=Decimal("2"),
            workload=job.workload,
        )
        entry = LedgerEntry.objects.create(
            allocation=grant,
            kind="charge",
            available=0,
            reserved=Decimal("-2"),
            workload=job.workload,
        )
        LedgerEntry.objects.filter(pk=entry.pk).update(
            created_at=dt.datetime(2026, 12, 18, 12, tzinfo=SHANGHAI) + dt.timedelta(days=day)
        )
    burn = forecast.burndown(allocation=grant)
    assert burn.spent == pytest.approx(56)
    assert burn.rate_per_day == pytest.approx(2.0)
    assert burn.days_left == 28
    assert burn.projected_total == pytest.approx(112)
    assert burn.projected_unused == pytest.approx(168)
    assert forecast.warning_due(burn) == 0.5  # half the period, a fifth of the hours


def test_owners_are_warned_once_per_milestone(company, owner, settings):
    grant = factories.allocation(
        company, hours="280", starts_on=dt.date(2026, 12, 18), ends_on=dt.date(2027, 2, 12)
    )
    assert allocations.allocations_watch()["burn"] == 1
    assert allocations.allocations_watch()["burn"] == 0
    grant.refresh_from_db()
    assert grant.burn_warned_percent == 50
    assert Notification.objects.filter(user=owner, kind="allocation_change").count() == 1


def test_an_idle_allocation_gets_a_notice_then_lends_and_reclaims_its_hours(
    company, owner, reviewer, settings
):
    settings.IDLE_POLICY = True
    grant = factories.allocation(
        company, hours="280", starts_on=dt.date(2026, 12, 18), ends_on=dt.date(2027, 2, 12)
    )
    assert allocations.allocations_watch()["idle"] == 1
    grant.refresh_from_db()
    with pytest.raises(ApplicationError, match="grace period"):
        allocations.allocation_lend(allocation=grant, actor=reviewer, reason="Idle")
    with time_machine.travel(NOW + dt.timedelta(days=8), tick=False):
        lent = allocations.allocation_lend(allocation=grant, actor=reviewer, reason="Idle")
    assert lent == Decimal("280")
    assert allocation_balance(allocation=grant).available == 0
    calendar = capacity.capacity_calendar()
    assert calendar.committed.sum() == 0  # nothing committed: the hours went back to the pool
    assert allocations.allocation_reclaim(allocation=grant, actor=owner) == Decimal("280")
    assert allocation_balance(allocation=grant).available == Decimal("280")
    assert allocations.allocation_reclaim(allocation=grant, actor=owner) == 0


def test_the_capacity_page_shows_the_heat_map_in_both_languages(client, staff, company):
    factories.fleet(1)
    factories.allocation(
        company,
        hours="2000",
        device_cap=4,
        starts_on=dt.date(2027, 1, 15),
        ends_on=dt.date(2027, 2, 15),
    )
    client.force_login(staff)
    page = client.get(reverse("compute:capacity")).content.decode()
    assert 'id="capacity-heatmap"' in page and "over-committed" in page
    assert "level-5 over" in page
    chinese = client.get(reverse("compute:capacity"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "算力容量" in chinese.content.decode()


def test_the_capacity_api_gives_each_pools_weeks(client, owner):
    factories.fleet(2)
    client.force_login(owner)
    body = client.get("/api/v1/capacity/", {"start": "2027-01-18", "end": "2027-02-01"}).json()
    pool = next(p for p in body["pools"] if p["site"] is None)
    assert [p["start"] for p in pool["periods"]] == ["2027-01-18", "2027-01-25"]
    assert pool["periods"][0]["in_service_hours"] == 2 * 24 * 7
    bad = client.get("/api/v1/capacity/", {"start": "2027-02-01", "end": "2027-01-01"})
    assert bad.status_code == 400 and "end" in str(bad.json())
