"""The center's standing on the national incubator criteria, against hand-built records."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from innovation_center.accounts.models import Membership
from innovation_center.benchmarks.services import center_account
from innovation_center.ecosystem.models import Company
from innovation_center.programs import criteria
from innovation_center.programs.models import FundingRound, KpiReport, Mentor
from tests import factories

pytestmark = pytest.mark.django_db
# 2025-08-15 in Shanghai: the last four finished halves are 2023H2 … 2025H1.
TODAY = dt.datetime(2025, 8, 15, 4, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def report(company, year=2025, half=1, funding=(), **fields):
    row = KpiReport.objects.create(company=company, year=year, half=half, **fields)
    for kind, amount in funding:
        FundingRound.objects.create(report=row, round=kind, amount=Decimal(amount))
    return row


def firms(count, **fields):
    return [factories.company(**fields) for _ in range(count)]


def standing(key):
    return next(s for s in criteria.criteria_standing() if s.key == key)


def test_it_counts_admitted_and_incubating_partners_only():
    incubating = factories.company("A Co")
    admitted = factories.company("B Co", status=Company.Status.ADMITTED)
    factories.company("Applicant", status=Company.Status.APPLIED)
    factories.company("Alumnus", status=Company.Status.GRADUATED)
    center_account()  # the center's own account is never an incubated firm
    figure = standing("incubated_firms")
    assert (figure.value, figure.met) == (2, False)
    assert sorted(figure.company_ids) == sorted([incubating.pk, admitted.pk])


def test_it_meets_the_incubated_firms_criterion_at_50():
    firms(49)
    assert (standing("incubated_firms").value, standing("incubated_firms").met) == (49, False)
    firms(1, status=Company.Status.ADMITTED)
    assert (standing("incubated_firms").value, standing("incubated_firms").met) == (50, True)


def test_it_counts_every_graduate_in_total_including_those_who_left():
    graduates = firms(19, status=Company.Status.GRADUATED, graduated_on=dt.date(2024, 6, 1))
    figure = standing("graduated_total")
    assert (figure.value, figure.met) == (19, False)
    left = factories.company(
        status=Company.Status.EXITED, exit_reason="Moved away", graduated_on=dt.date(2023, 1, 1)
    )
    factories.company(status=Company.Status.EXITED, exit_reason="Closed")  # never graduated
    figure = standing("graduated_total")
    assert (figure.value, figure.met) == (20, True)
    assert sorted(figure.company_ids) == sorted([c.pk for c in graduates] + [left.pk])


def test_it_meets_the_ip_filed_share_at_exactly_half():
    a, b, c, d = firms(4)
    report(a, patents_filed=1)
    report(b, year=2024, half=2, copyrights_filed=2)
    report(c, employees=3)  # a report without IP
    figure = standing("ip_filed_share")
    assert (figure.value, figure.met, figure.numerator, figure.denominator) == (
        Decimal("50.0"),
        True,
        2,
        4,
    )
    assert figure.company_ids == sorted([a.pk, b.pk])
    assert figure.either_group == "ip"
    assert "已申请专利的企业占在孵企业总数比例不低于50%" in figure.source.original


def test_it_misses_the_ip_filed_share_just_below_half():
    a, *_rest = firms(3)
    report(a, patents_filed=1)
    figure = standing("ip_filed_share")
    assert (figure.value, figure.met) == (Decimal("33.3"), False)


def test_it_measures_granted_ip_against_30_percent_on_both_sides():
    a, b, *_rest = firms(4)
    report(a, patents_granted=1, patents_filed=1)
    assert (standing("ip_granted_share").value, standing("ip_granted_share").met) == (
        Decimal("25.0"),
        False,
    )
    report(b, copyrights_granted=1)
    assert (standing("ip_granted_share").value, standing("ip_granted_share").met) == (
        Decimal("50.0"),
        True,
    )


def test_it_leaves_firms_no_longer_incubated_out_of_the_shares():
    a, b = firms(2)
    alumnus = factories.company(status=Company.Status.GRADUATED)
    report(alumnus, patents_filed=3, funding=[("a", "1000000")])
    report(a, funding=[("seed", "10")])
    assert standing("ip_filed_share").numerator == 0
    financed = standing("financed_share")
    assert (financed.value, financed.met, financed.company_ids) == (
        Decimal("50.0"),
        True,
        [a.pk],
    )


def test_it_measures_the_financed_share_against_10_percent():
    group = firms(11)
    report(group[0], funding=[("grant", "50000")])
    figure = standing("financed_share")
    assert (figure.value, figure.met) == (Decimal("9.1"), False)
    report(group[1], year=2024, half=1, funding=[("angel", "200000"), ("seed", "1")])
    figure = standing("financed_share")
    assert (figure.value, figure.met, figure.numerator) == (Decimal("18.2"), True, 2)


def test_it_counts_active_center_people_per_10_firms():
    firms(11)
    factories.center_staff("staff-1")
    figure = standing("staff_per_10_firms")
    assert (figure.value, figure.met, figure.numerator) == (Decimal("0.91"), False, 1)
    factories.center_staff("staff-2", role=Membership.Role.CENTER_OPERATOR)
    gone = factories.center_staff("staff-3")
    gone.is_active = False
    gone.save()
    figure = standing("staff_per_10_firms")
    assert (figure.value, figure.met, figure.numerator) == (Decimal("1.82"), True, 2)


def test_it_counts_active_mentors_per_10_firms():
    firms(10)
    Mentor.objects.create(name="Retired", is_active=False)
    assert standing("mentors_per_10_firms").met is False
    Mentor.objects.create(name="Prof. Li")
    figure = standing("mentors_per_10_firms")
    assert (figure.value, figure.met) == (Decimal("1.00"), True)


def test_it_meets_nothing_without_firms():
    factories.center_staff("staff-1")
    Mentor.objects.create(name="Prof. Li")
    assert [s.met for s in criteria.criteria_standing()] == [False] * 7


def test_it_gives_every_criterion_its_source_in_both_languages():
    standings = criteria.criteria_standing()
    assert [s.key for s in standings] == [
        "incubated_firms",
        "graduated_total",
        "ip_filed_share",
        "ip_granted_share",
        "financed_share",
        "staff_per_10_firms",
        "mentors_per_10_firms",
    ]
    for figure in standings:
        assert figure.source.article.startswith("第九条")
        assert figure.source.original and str(figure.source.english)
    assert "每10家在孵企业至少配备1名专业孵化服务人员和1名创业导师" in str(
        standing("mentors_per_10_firms").source
    )


def test_it_computes_the_standing_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    for company in firms(30):
        report(company, patents_filed=1, funding=[("seed", "10")])
    with django_assert_max_num_queries(8):
        criteria.criteria_standing()


# Graduation -----------------------------------------------------------------------------------


def test_it_lists_graduation_candidates_with_the_tests_they_pass():
    high_tech = factories.company("A High-tech")
    report(high_tech, year=2024, half=2, high_tech_enterprise=False)
    report(high_tech, year=2025, half=1, high_tech_enterprise=True)
    lapsed = factories.company("B Lapsed")
    report(lapsed, year=2024, half=2, high_tech_enterprise=True)
    report(lapsed, year=2025, half=1, high_tech_enterprise=False)
    raised = factories.company("C Raised")
    report(raised, year=2024, half=1, funding=[("angel", "3000000")])
    report(raised, year=2025, half=1, funding=[("a", "2000000")])
    granted = factories.company("D Granted")
    report(granted, funding=[("grant", "6000000"), ("seed", "100")])
    earner = factories.company("E Earner")
    for year, half in [(2023, 2), (2024, 1), (2024, 2), (2025, 1)]:
        report(earner, year=year, half=half, revenue=Decimal("2500000"))
    old_earner = factories.company("F Old earner")
    report(old_earner, year=2023, half=1, revenue=Decimal("9000000"))
    report(old_earner, year=2025, half=1, revenue=Decimal("9999999.99"))
    listed = factories.company("G Listed", status=Company.Status.ADMITTED)
    report(listed, year=2024, half=1, acquired_or_listed=True)
    report(listed, year=2025, half=1)
    alumnus = factories.company("H Alumnus", status=Company.Status.GRADUATED)
    report(alumnus, high_tech_enterprise=True)

    candidates = criteria.graduation_candidates()
    assert [(c.legal_name, tests) for c, tests in candidates] == [
        ("A High-tech", ["high_tech_enterprise"]),
        ("C Raised", ["raised_5m"]),
        ("E Earner", ["revenue_10m_two_years"]),
        ("G Listed", ["acquired_or_listed"]),
    ]


def test_it_lists_every_test_a_candidate_passes():
    star = factories.company("Star Co")
    report(
        star,
        year=2024,
        half=2,
        revenue=Decimal("6000000"),
        funding=[("b", "8000000")],
        acquired_or_listed=True,
    )
    report(star, year=2025, half=1, revenue=Decimal("4000000"), high_tech_enterprise=True)
    assert criteria.graduation_candidates() == [
        (star, ["high_tech_enterprise", "raised_5m", "revenue_10m_two_years", "acquired_or_listed"])
    ]


def test_it_finds_candidates_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    for company in firms(20):
        report(company, high_tech_enterprise=True, funding=[("seed", "6000000")])
    with django_assert_max_num_queries(1):
        assert len(criteria.graduation_candidates()) == 20
