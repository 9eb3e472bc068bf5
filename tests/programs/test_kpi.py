"""Filing half-yearly KPI reports, what is due, and the reminders."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from innovation_center.accounts.models import AuditEvent, Membership, Notification, NotificationKind
from innovation_center.celery import beat_schedule
from innovation_center.core.errors import ApplicationError
from innovation_center.ecosystem.models import Company
from innovation_center.programs import kpi, tasks
from innovation_center.programs.models import FundingRound, KpiReport
from tests import factories

pytestmark = pytest.mark.django_db
UTC = dt.UTC
# 2025-08-15 12:00 in Shanghai: H1 2025 has ended, H2 is under way.
SUMMER = dt.datetime(2025, 8, 15, 4, tzinfo=UTC)


def figures(**changes):
    data = {
        "year": 2025,
        "half": 1,
        "revenue": Decimal("1200000.50"),
        "employees": 12,
        "patents_filed": 2,
        "patents_granted": 0,
        "copyrights_filed": 1,
        "copyrights_granted": 1,
        "high_tech_enterprise": False,
        "products_launched": 1,
    }
    data.update(changes)
    return data


@pytest.fixture
def summer():
    with time_machine.travel(SUMMER, tick=False):
        yield


def save(company, actor, **changes):
    return kpi.kpi_report_save(company=company, actor=actor, **figures(**changes))


def test_it_files_a_report_with_its_funding_rounds(summer, company, owner):
    report = save(
        company,
        owner,
        funding=[
            {"round": "angel", "amount": "500000", "investors": "Optics Valley Angels"},
            {"round": "grant", "amount": Decimal("80000"), "investors": ""},
        ],
    )
    assert (report.year, report.half, report.revenue, report.employees) == (
        2025,
        1,
        Decimal("1200000.50"),
        12,
    )
    assert report.submitted_by == owner
    rounds = list(report.funding.order_by("id").values_list("round", "amount", "investors"))
    assert rounds == [
        ("angel", Decimal("500000.00"), "Optics Valley Angels"),
        ("grant", Decimal("80000.00"), ""),
    ]
    event = AuditEvent.objects.get(object_id=str(report.pk), action="create")
    assert event.organisation_id == company.organisation_id
    assert event.after["funding"][0]["round"] == "angel"


def test_it_replaces_the_half_and_its_rounds_on_a_second_filing(summer, company, owner, member):
    first = save(company, owner, funding=[{"round": "seed", "amount": "100", "investors": "A"}])
    second = save(
        company,
        member,
        revenue="900",
        employees=15,
        funding=[{"round": "a", "amount": "3000000", "investors": "B Capital"}],
    )
    assert second.pk == first.pk
    assert KpiReport.objects.filter(company=company).count() == 1
    second.refresh_from_db()
    assert (second.revenue, second.employees, second.submitted_by) == (Decimal(900), 15, member)
    assert list(FundingRound.objects.filter(report=second).values_list("round", flat=True)) == ["a"]
    update = AuditEvent.objects.get(object_id=str(first.pk), action="update")
    assert update.before["employees"] == 12 and update.after["employees"] == 15


def test_it_keeps_the_other_halves_apart(summer, company, owner):
    save(company, owner, year=2024, half=2)
    save(company, owner, year=2025, half=1)
    assert KpiReport.objects.filter(company=company).count() == 2


def test_it_allows_the_half_under_way(summer, company, owner):
    assert save(company, owner, year=2025, half=2).half == 2


def test_it_refuses_a_half_not_yet_begun(company, owner):
    # 2025-06-30 23:30 in Shanghai: H2 starts in half an hour.
    with time_machine.travel(dt.datetime(2025, 6, 30, 15, 30, tzinfo=UTC), tick=False):
        with pytest.raises(ApplicationError) as refused:
            save(company, owner, year=2025, half=2)
    assert "has not begun" in refused.value.message
    assert "half" in refused.value.field_errors
    assert not KpiReport.objects.exists()


def test_it_refuses_a_future_year(summer, company, owner):
    with pytest.raises(ApplicationError) as refused:
        save(company, owner, year=2026, half=1)
    assert "2026 is in the future" in refused.value.field_errors["year"][0]


@pytest.mark.parametrize(
    "field, value", [("revenue", "-1"), ("employees", -3), ("patents_granted", -1)]
)
def test_it_refuses_negative_figures(summer, company, owner, field, value):
    with pytest.raises(ApplicationError) as refused:
        save(company, owner, **{field: value})
    assert refused.value.field_errors[field] == ["This cannot be negative."]
    assert not KpiReport.objects.exists()


def test_it_refuses_a_bad_funding_round_and_writes_nothing(summer, company, owner):
    save(company, owner, funding=[{"round": "seed", "amount": "100", "investors": ""}])
    with pytest.raises(ApplicationError) as refused:
        save(
            company,
            owner,
            employees=99,
            funding=[
                {"round": "seed", "amount": "50", "investors": ""},
                {"round": "lottery", "amount": "0", "investors": ""},
            ],
        )
    assert refused.value.field_errors["funding"] == [
        "Funding round 2: choose the kind of round; the amount must be more than 0."
    ]
    report = KpiReport.objects.get(company=company)
    assert report.employees == 12
    assert list(report.funding.values_list("amount", flat=True)) == [Decimal("100.00")]


def test_it_lets_staff_file_for_a_company(summer, company, staff):
    assert save(company, staff).submitted_by == staff


@pytest.mark.parametrize("who", ["outsider", "coordinator"])
def test_it_refuses_people_of_other_organisations(summer, request, company, who):
    with pytest.raises(ApplicationError) as refused:
        save(company, request.getfixturevalue(who))
    assert refused.value.code == "forbidden"
    assert not KpiReport.objects.exists()


# What is due ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment, expected",
    [
        # 1 July 00:30 in Shanghai (still 30 June in UTC): H1 has ended.
        (dt.datetime(2025, 6, 30, 16, 30, tzinfo=UTC), (2025, 1)),
        # 30 June 23:30 in Shanghai: the last ended half is the previous year's H2.
        (dt.datetime(2025, 6, 30, 15, 30, tzinfo=UTC), (2024, 2)),
        # 1 January 00:30 in Shanghai (31 December in UTC): H2 has ended.
        (dt.datetime(2025, 12, 31, 16, 30, tzinfo=UTC), (2025, 2)),
        (dt.datetime(2025, 12, 31, 15, 30, tzinfo=UTC), (2025, 1)),
    ],
)
def test_it_finds_the_half_due_in_the_centers_calendar(moment, expected, company):
    with time_machine.travel(moment, tick=False):
        assert [(c, y, h) for c, y, h in kpi.kpi_due_reports()] == [(company, *expected)]


def test_it_leaves_out_filed_and_non_incubating_companies(summer, company, owner):
    factories.company("Applicant Co", status=Company.Status.APPLIED)
    factories.company("Alumni Co", status=Company.Status.GRADUATED)
    admitted = factories.company("Admitted Co", status=Company.Status.ADMITTED)
    factories.company("Late Co", admitted_on=dt.date(2025, 7, 10))
    assert [c for c, _y, _h in kpi.kpi_due_reports()] == [admitted, company]
    save(company, owner)
    assert [c for c, _y, _h in kpi.kpi_due_reports()] == [admitted]


# Reminders ------------------------------------------------------------------------------------


def test_it_reminds_owners_once_per_half(
    company, owner, member, django_capture_on_commit_callbacks
):
    other_owner = factories.member(company.organisation, Membership.Role.COMPANY_OWNER)
    moment = dt.datetime(2025, 7, 1, 1, tzinfo=UTC)
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert kpi.kpi_reminders_send() == 1
    reminded = Notification.objects.filter(kind=NotificationKind.KPI_REMINDER)
    assert sorted(n.user.username for n in reminded) == sorted(
        [owner.username, other_owner.username]
    )
    assert reminded[0].url == f"/kpi/?company={company.pk}&period=2025H1"
    assert "2025H1" in reminded[0].subject
    assert len(mail.outbox) == 2
    # The next days' runs of the same half send nothing more.
    for day in (2, 20):
        moment = dt.datetime(2025, 7, day, 1, tzinfo=UTC)
        with (
            time_machine.travel(moment, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert kpi.kpi_reminders_send() == 0
    assert reminded.count() == 2 and len(mail.outbox) == 2
    # The next half brings the next reminder.
    with time_machine.travel(dt.datetime(2026, 1, 2, 1, tzinfo=UTC), tick=False):
        assert kpi.kpi_reminders_send() == 1
    assert reminded.filter(url__endswith="period=2025H2").count() == 2


def test_it_reminds_nobody_before_the_half_ends_or_once_filed(company, owner):
    with time_machine.travel(dt.datetime(2025, 6, 30, 15, 30, tzinfo=UTC), tick=False):
        save(company, owner, year=2024, half=2)
        assert kpi.kpi_reminders_send() == 0
    with time_machine.travel(dt.datetime(2025, 7, 3, 1, tzinfo=UTC), tick=False):
        save(company, owner, year=2025, half=1)
        assert kpi.kpi_reminders_send() == 0
    assert not Notification.objects.filter(kind=NotificationKind.KPI_REMINDER).exists()


def test_it_skips_a_company_without_an_owner(summer, company, member):
    assert kpi.kpi_reminders_send() == 0
    assert not Notification.objects.exists() and not mail.outbox


def test_the_daily_task_sends_the_reminders_and_is_scheduled(summer, company, owner):
    assert tasks.kpi_reminders_send.delay().get() == 1
    entry = beat_schedule()["kpi-reminders-send"]
    assert entry["task"] == "innovation_center.programs.tasks.kpi_reminders_send"
    assert entry["options"]["expires"] < 24 * 3600


def test_it_parses_and_orders_periods():
    assert kpi.Period.parse("2025h2") == kpi.Period(2025, 2)
    assert kpi.Period.parse("2025-1") == kpi.Period(2025, 1)
    assert kpi.Period.parse("2025H3") is None and kpi.Period.parse("") is None
    assert kpi.last_periods(4, today=dt.date(2025, 8, 1)) == [
        kpi.Period(2023, 2),
        kpi.Period(2024, 1),
        kpi.Period(2024, 2),
        kpi.Period(2025, 1),
    ]
