"""The KPI pages, the company page's KPI panel, the criteria pages and the statistics export."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from innovation_center.ecosystem.models import Company
from innovation_center.programs.models import FundingRound, KpiReport, Mentor
from tests import factories

pytestmark = pytest.mark.django_db
LIST = "/kpi/"


@pytest.fixture(autouse=True)
def _frozen():
    # 2025-08-15 in Shanghai: H1 2025 is the half due.
    with time_machine.travel(dt.datetime(2025, 8, 15, 4, tzinfo=dt.UTC), tick=False):
        yield


def report(company, year=2025, half=1, funding=(), **fields):
    row = KpiReport.objects.create(company=company, year=year, half=half, **fields)
    for kind, amount in funding:
        FundingRound.objects.create(report=row, round=kind, amount=Decimal(amount))
    return row


def form_data(company, **changes):
    data = {
        "company": company.pk,
        "year": 2025,
        "half": 1,
        "revenue": "250000",
        "employees": 9,
        "patents_filed": 1,
        "patents_granted": 0,
        "copyrights_filed": 0,
        "copyrights_granted": 0,
        "products_launched": 1,
        "funding-TOTAL_FORMS": 2,
        "funding-INITIAL_FORMS": 0,
        "funding-MIN_NUM_FORMS": 0,
        "funding-MAX_NUM_FORMS": 20,
        "funding-0-round": "seed",
        "funding-0-amount": "300000",
        "funding-0-investors": "Hubei Seed Fund",
        "funding-1-round": "",
        "funding-1-amount": "",
        "funding-1-investors": "",
    }
    data.update(changes)
    return data


def test_the_url_names_are_mounted():
    assert reverse("kpi:report_list") == LIST
    assert reverse("kpi:criteria") == "/kpi/criteria/"
    assert reverse("kpi:criteria_export") == "/kpi/criteria/export.xlsx"


def test_it_shows_a_company_person_only_their_companys_reports(client, member, company):
    report(company, revenue=Decimal("1000"))
    report(factories.company("Somebody Else"), revenue=Decimal("777777"))
    client.force_login(member)
    response = client.get(LIST)
    assert response.status_code == 200
    assert [r.company for r in response.context["page_obj"]] == [company]
    body = response.content.decode()
    assert "777,777" not in body and "Somebody Else" not in body
    assert 'id="report-form"' in body and "2025H1" in body


def test_it_files_the_half_with_its_funding_from_the_page(client, owner, company):
    client.force_login(owner)
    response = client.post(LIST, form_data(company))
    saved = KpiReport.objects.get(company=company)
    assert response.status_code == 302
    assert response["Location"] == reverse("kpi:report_detail", args=[saved.pk])
    assert (saved.year, saved.half, saved.revenue, saved.submitted_by) == (
        2025,
        1,
        Decimal("250000"),
        owner,
    )
    assert list(saved.funding.values_list("round", "amount", "investors")) == [
        ("seed", Decimal("300000.00"), "Hubei Seed Fund")
    ]


def test_it_shows_the_services_refusal_next_to_the_field(client, owner, company):
    client.force_login(owner)
    response = client.post(LIST, form_data(company, revenue="-5", half=2, year=2026))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["revenue"] == ["This cannot be negative."]
    assert "2026 is in the future" in form.errors["year"][0]
    assert not KpiReport.objects.exists()


def test_it_refuses_filing_for_another_company(client, owner, company, other_company):
    client.force_login(owner)
    response = client.post(LIST, form_data(other_company))
    assert response.status_code == 200
    assert "company" in response.context["form"].errors
    assert not KpiReport.objects.exists()


def test_it_replaces_a_report_from_its_page(client, member, company):
    filed = report(company, employees=3, funding=[("angel", "10")])
    client.force_login(member)
    url = reverse("kpi:report_detail", args=[filed.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Replace this report" in page.content.decode()
    response = client.post(
        url,
        form_data(
            company,
            employees=30,
            **{
                "funding-0-round": "a",
                "funding-0-amount": "5000000",
                "funding-INITIAL_FORMS": 1,
            },
        ),
    )
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.employees == 30
    assert list(filed.funding.values_list("round", flat=True)) == ["a"]


def test_another_companys_member_gets_404_on_a_report(client, outsider, company):
    filed = report(company)
    client.force_login(outsider)
    url = reverse("kpi:report_detail", args=[filed.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(company, employees=99)).status_code == 404
    filed.refresh_from_db()
    assert filed.employees == 0


@pytest.mark.parametrize("url", [LIST, "/kpi/criteria/"])
def test_it_sends_a_visitor_to_sign_in(client, url):
    assert client.get(url).status_code == 302


def test_it_keeps_the_reports_from_a_coordinator(client, coordinator, company):
    filed = report(company)
    client.force_login(coordinator)
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("kpi:report_detail", args=[filed.pk])).status_code == 403


def test_staff_filter_by_company_and_half_and_page_by_50(
    client, staff, company, django_assert_max_num_queries
):
    others = [factories.company() for _ in range(54)]
    for other in others:
        report(other, funding=[("seed", "1")])
    report(company, year=2024, half=2)
    client.force_login(staff)
    with django_assert_max_num_queries(10):
        response = client.get(LIST)
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == 50
    assert response.context["page_obj"].paginator.count == 55
    assert response.context["show_company"] is True
    only = client.get(LIST, {"company": company.pk})
    assert [r.company for r in only.context["page_obj"]] == [company]
    by_half = client.get(LIST, {"period": "2024H2"})
    assert [r.company for r in by_half.context["page_obj"]] == [company]


# The company page's panel ---------------------------------------------------------------------


def test_the_company_page_charts_the_kpis_over_time(client, owner, company):
    report(company, year=2024, half=2, revenue=Decimal("800000"), employees=8)
    report(
        company,
        year=2025,
        half=1,
        revenue=Decimal("1600000"),
        employees=11,
        funding=[("a", "2000000")],
    )
    client.force_login(owner)
    response = client.get(reverse("ecosystem:company_detail", args=[company.pk]))
    assert response.status_code == 200
    panel = response.context["kpi"]
    assert [(r.year, r.half) for r in panel["reports"]] == [(2024, 2), (2025, 1)]
    assert [b.label for b in panel["revenue_chart"].bars] == ["2024H2", "2025H1"]
    assert [b.value for b in panel["employees_chart"].bars] == [8, 11]
    assert [b.value for b in panel["funding_chart"].bars] == [0, 2000000]
    # The longest bar fills the plot; the other is half as long.
    first, second = panel["revenue_chart"].bars
    assert first.width * 2 == pytest.approx(second.width, abs=0.2)
    body = response.content.decode()
    assert 'id="kpi-panel"' in body and "<svg" in body and "¥1,600,000" in body


def test_the_panel_says_when_there_is_nothing_yet(client, staff, company):
    client.force_login(staff)
    body = client.get(reverse("ecosystem:company_detail", args=[company.pk])).content.decode()
    assert "No KPI reports yet." in body


# The criteria pages ---------------------------------------------------------------------------


def test_the_criteria_page_is_for_staff_only(client, owner, member):
    for person in (owner, member):
        client.force_login(person)
        assert client.get("/kpi/criteria/").status_code == 403
        assert client.get("/kpi/criteria/incubated_firms/").status_code == 403
        assert client.get("/kpi/criteria/export.xlsx").status_code == 403


def test_the_criteria_page_shows_each_figure_with_its_source(client, staff, company):
    factories.company("Second Co")
    report(company, patents_filed=1, high_tech_enterprise=True)
    client.force_login(staff)
    response = client.get("/kpi/criteria/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "孵化器在孵企业不少于50家" in body
    assert "at least 50 incubated firms" in body
    ip = next(s for s in response.context["standings"] if s.key == "ip_filed_share")
    assert (ip.value, ip.met) == (Decimal("50.0"), True)
    assert reverse("kpi:criteria_detail", args=["ip_filed_share"]) in body
    assert [c for c, _tests in response.context["candidates"]] == [company]
    assert 'data-test="high_tech_enterprise"' in body


def test_the_firms_behind_a_figure_are_one_click_away(client, staff, company):
    second = factories.company("Second Co")
    factories.company("Applicant Co", status=Company.Status.APPLIED)
    report(second, funding=[("seed", "1000")])
    client.force_login(staff)
    response = client.get(reverse("kpi:criteria_detail", args=["incubated_firms"]))
    assert response.status_code == 200
    assert [c.legal_name for c in response.context["page_obj"]] == ["Own Co", "Second Co"]
    body = response.content.decode()
    assert reverse("ecosystem:company_detail", args=[company.pk]) in body
    financed = client.get(reverse("kpi:criteria_detail", args=["financed_share"]))
    assert [c.legal_name for c in financed.context["page_obj"]] == ["Second Co"]
    assert client.get("/kpi/criteria/no_such_thing/").status_code == 404


def test_the_statistics_export_opens_with_the_expected_sheets(client, staff, company):
    second = factories.company('=HYPERLINK("http://x")')
    factories.center_staff("staff-2")
    Mentor.objects.create(name="Prof. Li")
    report(company, year=2024, half=1, revenue=Decimal("3000000"), patents_filed=2)
    report(
        company,
        year=2024,
        half=2,
        revenue=Decimal("4000000"),
        funding=[("angel", "6000000")],
        employees=20,
    )
    report(company, year=2025, half=1, revenue=Decimal("500000"), employees=25)
    report(second, year=2024, half=2, copyrights_granted=1)
    client.force_login(staff)
    response = client.get("/kpi/criteria/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "incubator-statistics-2025-08-15.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Standing", "Incubated firms", "Graduation candidates"]
    assert all(len(name) <= 31 for name in workbook.sheetnames)

    standing = list(workbook["Standing"].iter_rows(min_row=3, values_only=True))
    by_key = {row[1]: row for row in standing}
    assert set(by_key) == {
        "incubated_firms",
        "graduated_total",
        "ip_filed_share",
        "ip_granted_share",
        "financed_share",
        "staff_per_10_firms",
        "mentors_per_10_firms",
    }
    assert by_key["incubated_firms"][2:6] == (2, 50, "firms", "no")
    assert by_key["ip_filed_share"][2] == 50 and by_key["ip_filed_share"][5] == "yes"
    assert by_key["staff_per_10_firms"][2] == 10  # staff and staff-2 for 2 firms
    assert "孵化器在孵企业不少于50家" in by_key["incubated_firms"][9]

    firms = workbook["Incubated firms"]
    headers = [c.value for c in firms[2]]
    rows = {
        row[0]: dict(zip(headers, row, strict=True))
        for row in firms.iter_rows(min_row=3, values_only=True)
    }
    own = rows["Own Co"]
    assert own["Latest report"] == "2025H1"
    assert own["Employees (latest)"] == 25
    assert own["Revenue in 2024 (CNY)"] == 7000000
    assert own["Funding in total (CNY)"] == 6000000
    assert own["Patents filed"] == 2
    # A name that looks like a formula stays text.
    assert '\'=HYPERLINK("http://x")' in rows

    candidates = list(workbook["Graduation candidates"].iter_rows(min_row=3, values_only=True))
    assert [row[0] for row in candidates] == ["Own Co"]
    # raised_5m and revenue over the last four halves (7.5M < 10M: not passed).
    assert candidates[0][2:6] == ("no", "yes", "no", "no")
