"""A company's page lists its applications to calls, with the viewer's rights."""

import pytest
import time_machine
from django.urls import reverse

from tests.programs.call_factories import FROZEN, applicant, make_call, submitted

pytestmark = pytest.mark.django_db


@time_machine.travel(FROZEN, tick=False)
def test_the_company_page_lists_its_applications(client, staff):
    call = make_call(staff=staff, title="Autumn cohort 2026")
    company, owner = applicant("Lingxi Vision")
    application = submitted(call, company, owner)
    other, other_owner = applicant("Other Robotics")
    submitted(call, other, other_owner)

    client.force_login(owner)
    html = client.get(reverse("ecosystem:company_detail", args=[company.pk])).content.decode()
    assert "Applications to calls" in html
    assert reverse("programs:application_detail", args=[application.pk]) in html
    assert "Autumn cohort 2026" in html

    client.force_login(staff)
    html = client.get(reverse("ecosystem:company_detail", args=[other.pk])).content.decode()
    assert "Autumn cohort 2026" in html
    assert reverse("programs:application_detail", args=[application.pk]) not in html
