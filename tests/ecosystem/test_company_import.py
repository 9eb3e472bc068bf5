import pytest
from django.urls import reverse

from innovation_center.core import imports as core_imports
from innovation_center.ecosystem.models import Company
from tests import factories
from tests.ecosystem import helpers

pytestmark = pytest.mark.django_db

HEADER = "legal_name,uscc,industry,city,size,status\n"


def row(name, code, industry="smart_city", city="武汉"):
    return f"{name},{code},{industry},{city},small,applied\n"


def bad_check_digit(code):
    return code[:17] + ("0" if code[17] != "0" else "1")


def upload(client, file):
    return client.post(reverse("ecosystem:company_import"), {"step": "preview", "file": file})


def test_it_refuses_the_whole_file_for_a_wrong_check_digit_in_row_3(client, staff):
    client.force_login(staff)
    text = (
        HEADER
        + row("Alpha", factories.uscc(901))
        + row("Beta", bad_check_digit(factories.uscc(902)))
    )
    response = upload(client, helpers.csv_upload(text))
    errors = response.context["errors"]
    assert [(e.row, e.column) for e in errors] == [(3, "uscc")]
    body = response.content.decode()
    assert "check digit" in body and "Nothing was written" in body
    assert 'name="step" value="confirm"' not in body
    assert not Company.objects.exists()


def test_it_names_every_problem_by_row_and_column(client, staff, company):
    client.force_login(staff)
    text = (
        HEADER
        + row("Own Co", factories.uscc(903))  # name taken
        + row("Gamma", company.uscc)  # code taken
        + row("Delta", factories.uscc(904), industry="mining")
        + row("Epsilon", factories.uscc(904))  # repeats row 4's code
    )
    errors = upload(client, helpers.csv_upload(text)).context["errors"]
    assert {(e.row, e.column) for e in errors} == {
        (2, "legal_name"),
        (3, "uscc"),
        (4, "industry"),
        (5, "uscc"),
    }
    assert Company.objects.count() == 1


def test_it_previews_then_imports_a_valid_csv_with_bom(client, staff):
    client.force_login(staff)
    text = HEADER + row("Alpha", factories.uscc(905)) + row("Beta", factories.uscc(906))
    preview = upload(client, helpers.csv_upload(text, bom=True))
    assert preview.context["errors"] == []
    assert not Company.objects.exists()
    token = preview.context["token"]
    response = client.post(reverse("ecosystem:company_import"), {"step": "confirm", "token": token})
    assert response["Location"] == reverse("ecosystem:company_list")
    assert sorted(Company.objects.values_list("legal_name", flat=True)) == ["Alpha", "Beta"]
    alpha = Company.objects.get(legal_name="Alpha")
    assert alpha.organisation.kind == "company" and alpha.status == "applied"
    # The stored preview is used once.
    again = client.post(reverse("ecosystem:company_import"), {"step": "confirm", "token": token})
    assert again.status_code == 302 and Company.objects.count() == 2


def test_it_writes_nothing_when_the_data_changed_since_the_preview(client, staff):
    client.force_login(staff)
    text = HEADER + row("Alpha", factories.uscc(907))
    token = upload(client, helpers.csv_upload(text)).context["token"]
    factories.company("Alpha")
    response = client.post(
        reverse("ecosystem:company_import"), {"step": "confirm", "token": token}, follow=True
    )
    assert "no longer valid" in response.content.decode()
    assert Company.objects.count() == 1


def test_it_imports_an_xlsx_workbook(client, staff):
    client.force_login(staff)
    file = helpers.xlsx_upload(
        [
            ["legal_name", "uscc", "industry", "city", "applied_on"],
            ["Alpha", factories.uscc(908), "Smart city", "武汉", "2024-01-05"],
        ]
    )
    preview = upload(client, file)
    assert preview.context["errors"] == []
    client.post(
        reverse("ecosystem:company_import"), {"step": "confirm", "token": preview.context["token"]}
    )
    alpha = Company.objects.get(legal_name="Alpha")
    assert alpha.industry == "smart_city" and str(alpha.applied_on) == "2024-01-05"


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (lambda: helpers.csv_upload("x", name="companies.txt"), "Only .csv"),
        (lambda: helpers.csv_upload("legal_name,colour\nA,red\n"), "Unknown column"),
        (lambda: helpers.csv_upload("legal_name,uscc\nA,B\n"), "lacks the column"),
        (lambda: helpers.csv_upload(HEADER), "no rows"),
        (lambda: helpers.csv_upload("x", name="broken.xlsx"), "not a readable XLSX"),
    ],
)
def test_it_refuses_unusable_files_with_a_clear_message(client, staff, file, message):
    client.force_login(staff)
    response = upload(client, file())
    assert message in str(response.context["form"].errors["file"])


def test_it_refuses_a_file_over_the_limit(client, staff, monkeypatch):
    monkeypatch.setattr(core_imports, "MAX_BYTES", 100)
    client.force_login(staff)
    text = HEADER + row("Alpha", factories.uscc(909)) * 5
    response = upload(client, helpers.csv_upload(text))
    assert "the limit is" in str(response.context["form"].errors["file"])


def test_it_refuses_non_utf8_csv(client, staff):
    client.force_login(staff)
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("c.csv", (HEADER + row("阿尔法", factories.uscc(910))).encode("gbk"))
    assert "not UTF-8" in str(upload(client, file).context["form"].errors["file"])


@pytest.mark.parametrize("who", ["owner", "coordinator"])
def test_it_keeps_the_import_for_staff(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("ecosystem:company_import")).status_code == 403
