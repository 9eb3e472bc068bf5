"""Every file the center writes for a spreadsheet keeps hostile text as text.

A name that starts with "=", "+", "-", "@", a tab or a carriage return is a formula to Excel
and LibreOffice; OWASP's rule is to put "'" in front of it and to quote the field. In XLSX the
cell must also be typed as text: openpyxl makes a formula of any text that starts with "=".
"""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from innovation_center.compute.models import Lease
from innovation_center.core.exports import export_response, safe_cell
from innovation_center.evaluation.models import JobResult
from innovation_center.reports import exports as report_exports
from innovation_center.reports.selectors import Section
from innovation_center.talent.models import Program
from tests import factories
from tests.ecosystem import helpers as ecosystem
from tests.talent import helpers as talent

pytestmark = pytest.mark.django_db

PAYLOAD = '=HYPERLINK("http://x","y")'
NEUTRALISED = "'" + PAYLOAD


def csv_cells(response) -> list[str]:
    text = response.content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def xlsx_cells(response) -> list:
    workbook = load_workbook(io.BytesIO(response.content))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def assert_neutralised(response, fmt: str, payload: str = PAYLOAD) -> None:
    assert response.status_code == 200
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
        # Quoted, and the spreadsheet sees "'=" first: text, not a formula.
        assert '"' + ("'" + payload).replace('"', '""') + '"' in text
        cells = csv_cells(response)
        assert "'" + payload in cells and payload not in cells
    else:
        cells = xlsx_cells(response)
        assert [c.data_type for c in cells if c.data_type == "f"] == []
        found = [c for c in cells if c.value == "'" + payload]
        assert found and all(c.data_type == "s" for c in found)


def _download(client, url_name: str, fmt: str):
    return client.get(reverse(url_name), {"format": fmt})


# The list downloads ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_neutralises_a_formula_company_name(client, staff, fmt):
    factories.company(PAYLOAD)
    client.force_login(staff)
    assert_neutralised(_download(client, "ecosystem:company_list", fmt), fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_neutralises_a_formula_solution_name(client, staff, company, fmt):
    ecosystem.solution(PAYLOAD, company)
    client.force_login(staff)
    assert_neutralised(_download(client, "ecosystem:solution_list", fmt), fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_neutralises_a_formula_course_title(client, coordinator, university, fmt):
    talent.course(university, factories.program(Program.Kind.COURSE), title=PAYLOAD)
    client.force_login(coordinator)
    assert_neutralised(_download(client, "talent:course_list", fmt), fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_neutralises_a_formula_crowd_task_title(client, coordinator, university, fmt):
    talent.crowd_task(university, title=PAYLOAD)
    client.force_login(coordinator)
    assert_neutralised(_download(client, "talent:crowdtask_list", fmt), fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_neutralises_a_formula_internship_host(client, coordinator, university, fmt):
    talent.internship(university, host_name=PAYLOAD)
    client.force_login(coordinator)
    assert_neutralised(_download(client, "talent:internship_list", fmt), fmt)


@pytest.mark.parametrize("start", ["+", "-", "@", "\t", "\r"])
def test_it_neutralises_every_formula_start(client, coordinator, university, start):
    talent.crowd_task(university, title=f"{start}SUM(A1:A9)")
    client.force_login(coordinator)
    assert_neutralised(
        _download(client, "talent:crowdtask_list", "csv"), "csv", f"{start}SUM(A1:A9)"
    )


# The job result and the monthly report -------------------------------------------------------


def test_it_neutralises_the_model_name_and_class_labels_of_a_result_csv(client, owner, company):
    grant = factories.allocation(company)
    model = factories.model_artifact(company, PAYLOAD)
    model.classes = ["-1+2", "@cat"]
    model.save(update_fields=["classes"])
    job = factories.job(grant, model=model, status="succeeded")
    JobResult.objects.create(
        job=job,
        accuracy=0.5,
        mean_loss=1.0,
        samples=10,
        correct=5,
        confusion_matrix=[[5, 0], [5, 0]],
        samples_per_second=100.0,
        device_seconds="0.1",
        wall_seconds=0.01,
        hours_charged="0.000028",
        per_device=[],
    )
    client.force_login(owner)
    response = client.get(
        reverse("evaluation:job_result_download", args=[job.pk]), {"format": "csv"}
    )
    assert_neutralised(response, "csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["'-1+2", "5", "0"] in rows and ["'@cat", "5", "0"] in rows


@pytest.fixture
def hostile_month():
    tz = timezone.get_current_timezone()
    company = factories.company(PAYLOAD)
    grant = factories.allocation(
        company, hours="720", starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 5, 1)
    )
    Lease.objects.create(
        accelerator=factories.accelerator(),
        allocation=grant,
        started_at=dt.datetime(2026, 4, 1, tzinfo=tz),
        ended_at=dt.datetime(2026, 4, 16, tzinfo=tz),
    )
    ecosystem.solution(PAYLOAD, company, status="launched", launched_on=dt.date(2026, 4, 20))
    return company


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_neutralises_names_in_the_monthly_report(client, staff, hostile_month, fmt):
    client.force_login(staff)
    response = client.get(reverse("reports:monthly"), {"month": "2026-04", "format": fmt})
    assert_neutralised(response, fmt)


# The one helper -------------------------------------------------------------------------------


def test_it_keeps_numbers_as_numbers_and_neutralises_only_text():
    assert safe_cell(-5) == -5 and safe_cell(Decimal("-1.5")) == Decimal("-1.5")
    assert safe_cell("-5") == "'-5" and safe_cell("plain") == "plain" and safe_cell("") == ""
    response = export_response(
        filename="t", fmt="xlsx", headers=["a", "b", "c"], rows=[[-5, Decimal("-1.5"), "-5"]]
    )
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [(c.value, c.data_type) for c in sheet[2]] == [(-5, "n"), (-1.5, "n"), ("'-5", "s")]
    response = export_response(
        filename="t", fmt="csv", headers=["a", "b", "c"], rows=[[-5, Decimal("-1.5"), "-5"]]
    )
    assert response.content.decode("utf-8-sig").splitlines()[1] == '-5,-1.5,"\'-5"'


def test_it_types_text_as_text_in_the_monthly_workbook():
    # "#N/A" would be an error cell and "=1" a formula if openpyxl guessed the type.
    body = report_exports.report_xlsx(
        title="T", sections=[Section("s", "S", ["h"], [["#N/A"], ["x=1"]])]
    )
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    assert [(c.value, c.data_type) for c in sheet["A"]] == [
        ("T", "s"),
        ("h", "s"),
        ("#N/A", "s"),
        ("x=1", "s"),
    ]


# A stored control character ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_exports_a_list_with_a_stored_control_character(client, coordinator, university, fmt):
    # Stored before input refused them (or by a path that does not check): the export of the
    # whole list must not fail because of one row.
    talent.crowd_task(university, title="Conv\u000b2D\x1f operator")
    client.force_login(coordinator)
    response = _download(client, "talent:crowdtask_list", fmt)
    assert response.status_code == 200
    cells = csv_cells(response) if fmt == "csv" else [c.value for c in xlsx_cells(response)]
    assert "Conv2D operator" in cells


def test_it_strips_control_characters_but_keeps_line_breaks():
    assert safe_cell("a\x0bb\x1fc\x7fd\ufffe") == "abcd"
    assert safe_cell("line one\nline two\r\n\tend") == "line one\nline two\r\n\tend"
