"""Control characters are refused at input — pages, API and imports — and nothing is stored.

Tab, line feed and carriage return are text; every other Cc character (NUL included) is not.
Run this file on both runtimes: PostgreSQL refuses a NUL with a 500 when it gets that far.
"""

import pytest
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework import serializers
from rest_framework.test import APIClient

from innovation_center.core.text import control_character_message
from innovation_center.ecosystem.models import Company
from innovation_center.talent.models import Course, CrowdTask, Program
from tests import factories
from tests.ecosystem.helpers import csv_upload, xlsx_upload

pytestmark = pytest.mark.django_db

COMPANY_HEADER = "legal_name,uscc,industry,city,size,status\n"
COURSE_HEADER = "program,title,year,term,teachers,students_enrolled,hours\n"


def company_row(name, code):
    return f"{name},{code},smart_city,武汉,small,applied\n"


def course_line(title):
    return f"Ascend course program,{title},2021,autumn,王芳,100,32\n"


def import_companies(client, file):
    return client.post(reverse("ecosystem:company_import"), {"step": "preview", "file": file})


# The message ------------------------------------------------------------------------------------


def test_it_names_the_character_and_its_position():
    assert control_character_message("Conv2D\u000b kernel") == (
        "Remove the control character (U+000B) at position 7; only letters, digits, "
        "punctuation, spaces and line breaks are accepted."
    )
    assert "(U+0000) at position 1;" in control_character_message("\x00x")
    assert "(U+009F)" in control_character_message("a\x9f")


def test_it_accepts_tabs_line_breaks_and_any_script():
    for text in ("a\tb", "line\nline", "line\r\nline", "武汉人工智能计算中心", "naïve — “ok”"):
        assert control_character_message(text) is None


# Forms and API -----------------------------------------------------------------------------------


def test_it_refuses_a_control_character_in_a_page_form(client, coordinator, university):
    client.force_login(coordinator)
    response = client.post(
        reverse("talent:crowdtask_create"),
        {"kind": "operator", "title": "MatMul\u000b tiling", "team": "HPC lab", "status": "open"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == [
        "Remove the control character (U+000B) at position 7; only letters, digits, "
        "punctuation, spaces and line breaks are accepted."
    ]
    assert not CrowdTask.objects.exists()


def test_it_refuses_a_control_character_in_the_api(coordinator, university):
    api = APIClient()
    api.force_authenticate(coordinator)
    response = api.post(
        reverse("api:crowdtask-list"),
        {"kind": "operator", "title": "MatMul\u000b tiling", "team": "HPC lab", "status": "open"},
        format="json",
    )
    assert response.status_code == 400
    assert "U+000B" in str(response.json()["title"])
    assert not CrowdTask.objects.exists()


def test_it_refuses_a_nul_in_the_api_with_one_message(coordinator, university):
    api = APIClient()
    api.force_authenticate(coordinator)
    response = api.post(
        reverse("api:crowdtask-list"),
        {"kind": "operator", "title": "Mat\x00Mul", "team": "HPC lab", "status": "open"},
        format="json",
    )
    assert response.status_code == 400
    messages = response.json()["title"]
    assert len(messages) == 1 and "(U+0000) at position 4" in messages[0]
    assert not CrowdTask.objects.exists()


def test_it_covers_forms_built_before_the_app_was_ready():
    # The auth forms are imported by the admin's autodiscovery, before CoreConfig.ready().
    form = AuthenticationForm(data={"username": "own\u001ber", "password": "x"})
    assert not form.is_valid()
    assert "(U+001B)" in form.errors["username"][0]


def test_it_covers_every_kind_of_text_field():
    class Probe(forms.Form):
        website = forms.URLField(assume_scheme="https")
        email = forms.EmailField()

    form = Probe(data={"website": "https://example.com/a\x01b", "email": "a@example.com"})
    assert not form.is_valid() and "(U+0001)" in form.errors["website"][0]

    class ProbeSerializer(serializers.Serializer):
        names = serializers.ListField(child=serializers.CharField())
        tags = serializers.DictField(child=serializers.CharField())

    probe = ProbeSerializer(data={"names": ["ok", "b\x7f"], "tags": {"k": "\x02"}})
    assert not probe.is_valid()
    assert "(U+007F)" in str(probe.errors["names"]) and "(U+0002)" in str(probe.errors["tags"])


# Imports -----------------------------------------------------------------------------------------


def test_it_refuses_an_import_row_with_a_control_character(client, staff):
    client.force_login(staff)
    text = (
        COMPANY_HEADER
        + company_row("Alpha", factories.uscc(911))
        + company_row("Be\u000bta", factories.uscc(912))
    )
    response = import_companies(client, csv_upload(text))
    assert response.status_code == 200
    errors = response.context["errors"]
    assert [(e.row, e.column) for e in errors] == [(3, "legal_name")]
    assert "(U+000B) at position 3" in errors[0].message
    assert 'name="step" value="confirm"' not in response.content.decode()
    assert not Company.objects.exists()


def test_it_refuses_a_course_import_row_with_a_control_character(client, coordinator, university):
    factories.program(Program.Kind.COURSE)
    client.force_login(coordinator)
    text = COURSE_HEADER + course_line("Fine") + course_line("Bad\x1ftitle")
    response = client.post(
        reverse("talent:course_import"), {"step": "preview", "file": csv_upload(text)}
    )
    errors = response.context["errors"]
    assert [(e.row, e.column) for e in errors] == [(3, "title")]
    assert "(U+001F)" in errors[0].message
    assert not Course.objects.exists()


def test_it_refuses_an_xlsx_import_cell_with_a_control_character(client, staff):
    rows = [
        ["legal_name", "uscc", "industry", "city"],
        ["Alpha", factories.uscc(913), "smart_city", "Wu\u0085han"],
    ]
    client.force_login(staff)
    response = import_companies(client, xlsx_upload(rows))
    assert [(e.row, e.column) for e in response.context["errors"]] == [(2, "city")]
    assert not Company.objects.exists()


def test_it_refuses_a_company_csv_with_nul_bytes(client, staff):
    # Such a file is UTF-16 or not text; before, PostgreSQL refused the NUL with a 500.
    client.force_login(staff)
    text = COMPANY_HEADER + company_row("Al\x00pha", factories.uscc(914))
    response = import_companies(client, csv_upload(text))
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The CSV file contains NUL bytes, so it is not UTF-8 text (it may be saved as UTF-16 "
        "“Unicode text”). Save it as “CSV UTF-8” and upload it again."
    ]
    assert not Company.objects.exists()
    assert "ecosystem.company_import" not in client.session


def test_it_refuses_a_company_csv_saved_as_utf16_without_a_bom(client, staff):
    client.force_login(staff)
    text = COMPANY_HEADER + company_row("Alpha", factories.uscc(915))
    upload = SimpleUploadedFile("companies.csv", text.encode("utf-16-le"), "text/csv")
    response = import_companies(client, upload)
    assert "NUL bytes" in response.context["form"].errors["file"][0]
    assert not Company.objects.exists()


def test_it_refuses_a_header_with_a_control_character(client, staff):
    client.force_login(staff)
    text = "legal_name,us\x0bcc,industry,city\n" + "Alpha,x,smart_city,武汉\n"
    response = import_companies(client, csv_upload(text))
    assert (
        response.context["form"]
        .errors["file"][0]
        .startswith("Column 2 of the header: Remove the control character (U+000B)")
    )


def test_it_refuses_a_broken_xlsx_sheet_with_a_form_error(client, staff):
    # openpyxl writes U+FFFF into the sheet's XML, which no XML parser then reads.
    rows = [
        ["legal_name", "uscc", "industry", "city"],
        ["Al\uffffpha", factories.uscc(916), "smart_city", "武汉"],
    ]
    client.force_login(staff)
    response = import_companies(client, xlsx_upload(rows))
    assert response.status_code == 200
    assert "not a readable XLSX workbook" in response.context["form"].errors["file"][0]
    assert not Company.objects.exists()
