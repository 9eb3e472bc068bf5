import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from innovation_center.compute.models import Lease
from innovation_center.ecosystem.models import Solution
from innovation_center.evaluation.models import EvaluationJob, JobResult
from tests import factories

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


@pytest.fixture
def month_of_activity():
    device = factories.accelerator()
    company = factories.company("Chutian Vision")
    grant = factories.allocation(
        company, hours="720", starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 5, 1)
    )
    Lease.objects.create(
        accelerator=device,
        allocation=grant,
        started_at=dt.datetime(2026, 4, 1, tzinfo=TZ),
        ended_at=dt.datetime(2026, 4, 16, tzinfo=TZ),
    )
    solution = Solution.objects.create(
        name="Steel defect detection",
        vertical="smart_manufacturing",
        status="launched",
        launched_on=dt.date(2026, 4, 20),
    )
    solution.companies.add(company)
    return company


def section(report_rows, title):
    start = report_rows.index([title]) + 1
    rows = []
    for row in report_rows[start:]:
        if not row:
            break
        rows.append(row)
    return rows


def test_it_downloads_a_csv_with_every_section(client, month_of_activity):
    client.force_login(factories.center_staff())
    response = client.get(reverse("reports:monthly"), {"month": "2026-04", "format": "csv"})
    assert response["Content-Disposition"].endswith('monthly-report-2026-04.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    utilization = section(rows, "Utilization")
    assert utilization[1][:3] == ["Total", "", "1"]
    assert float(utilization[1][6]) == pytest.approx(50.0)  # 15 of 30 days
    hours = section(rows, "Accelerator-hours per company")
    assert hours[1] == ["Chutian Vision", "720.0", "360.0"]
    launched = section(rows, "Solutions launched")
    assert launched[1][:3] == ["Steel defect detection", "Smart manufacturing", "2026-04-20"]


@pytest.mark.parametrize("factor", [0.5041, 0.25])
def test_it_reports_the_month_s_evaluation_energy_and_co2_at_the_grid_factor(
    client, month_of_activity, settings, factor
):
    settings.GRID_CO2_KG_PER_KWH = factor
    grant = month_of_activity.allocations.get()
    # Two jobs submitted in April (Shanghai), one on 1 May 00:30 Shanghai: not April's.
    for created, joules in [
        (dt.datetime(2026, 4, 3, 10, tzinfo=TZ), 1.8e6),
        (dt.datetime(2026, 4, 30, 23, 59, tzinfo=TZ), 5.4e6),
        (dt.datetime(2026, 5, 1, 0, 30, tzinfo=TZ), 9.0e6),
    ]:
        job = factories.job(grant, status="succeeded")
        EvaluationJob.objects.filter(pk=job.pk).update(created_at=created)  # auto_now_add
        JobResult.objects.create(
            job=job,
            accuracy=1.0,
            mean_loss=0.1,
            samples=1,
            correct=1,
            confusion_matrix=[[1]],
            samples_per_second=1.0,
            device_seconds=Decimal("1"),
            wall_seconds=1.0,
            hours_charged=Decimal("0.000278"),
            energy_joules=joules,
        )
    client.force_login(factories.center_staff())
    response = client.get(reverse("reports:monthly"), {"month": "2026-04", "format": "csv"})
    rows = section(
        list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))),
        "Evaluation jobs submitted",
    )
    figures = dict(row for row in rows if len(row) == 2)
    assert float(figures["Energy of the evaluations (kWh)"]) == pytest.approx(2.0)  # 7.2 MJ
    assert float(figures[f"Estimated CO2 (kg, at {factor} kg/kWh)"]) == pytest.approx(2.0 * factor)


def test_it_downloads_an_xlsx_a_spreadsheet_program_opens(client, month_of_activity):
    client.force_login(factories.center_staff())
    response = client.get(reverse("reports:monthly"), {"month": "2026-04", "format": "xlsx"})
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[:2] == ["Utilization", "Accelerator-hours per company"]
    sheet = workbook["Accelerator-hours per company"]
    assert [c.value for c in sheet[3]] == ["Chutian Vision", 720.0, 360.0]


def test_it_writes_the_same_files_from_the_command(month_of_activity, tmp_path, client):
    call_command("monthly_report", "--month", "2026-04", "--out", str(tmp_path))
    written = (tmp_path / "monthly-report-2026-04.csv").read_bytes()
    client.force_login(factories.center_staff())
    downloaded = client.get(reverse("reports:monthly"), {"month": "2026-04", "format": "csv"})
    assert written == downloaded.content
    assert load_workbook(tmp_path / "monthly-report-2026-04.xlsx").sheetnames


def test_it_refuses_a_malformed_month_with_a_clear_message(client):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("monthly_report", "--month", "April")
    client.force_login(factories.center_staff())
    page = client.get(reverse("reports:monthly"), {"month": "2026-13"})
    assert "YYYY-MM" in page.content.decode()


def test_it_prints_cleanly(client, month_of_activity):
    client.force_login(factories.center_staff())
    html = client.get(reverse("reports:monthly"), {"month": "2026-04"}).content.decode()
    assert 'class="filters no-print"' in html and '<button type="button" data-print>' in html
    assert "Steel defect detection" in html
