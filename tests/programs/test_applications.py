"""Applying: registering a new company, drafts, the deadline by the center's clock, files."""

import datetime as dt
import os
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from innovation_center.accounts.models import Invitation, Membership, Organisation
from innovation_center.core.errors import ApplicationError
from innovation_center.ecosystem.models import Company
from innovation_center.programs import services
from innovation_center.programs.models import Answer, Application, Attachment, Call
from tests import factories
from tests.programs.call_factories import (
    DEADLINE,
    FROZEN,
    JPEG,
    PDF,
    PNG,
    make_call,
    office_file,
    submitted,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture
def call(staff):
    return make_call(staff=staff)


def stored_files() -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


# Registering -----------------------------------------------------------------------------


def test_a_new_applicant_gets_an_applied_company_and_an_owner_invitation(
    call, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        company = services.applicant_register(
            call=call,
            legal_name="Chutian Vision",
            uscc=factories.uscc(),
            industry="smart_manufacturing",
            city="武汉",
            email="Founder@Chutian.example",
        )
    assert company.status == Company.Status.APPLIED
    assert company.applied_on == FROZEN.date()
    assert company.contact_email == "Founder@Chutian.example"
    invitation = Invitation.objects.get(organisation=company.organisation)
    assert invitation.role == Membership.Role.COMPANY_OWNER
    assert invitation.email == "Founder@chutian.example" and invitation.invited_by is None
    assert [m.to for m in mailoutbox] == [["Founder@chutian.example"]]


def test_a_refused_registration_stores_nothing(call):
    with pytest.raises(ApplicationError) as refused:
        services.applicant_register(
            call=call,
            legal_name="Chutian Vision",
            uscc="91420100ABCDEFGHIJ",
            industry="smart_manufacturing",
            city="武汉",
            email="founder@chutian.example",
        )
    assert "uscc" in refused.value.field_errors
    assert not Organisation.objects.filter(name="Chutian Vision").exists()
    assert not Invitation.objects.exists()


def test_registration_is_refused_once_the_call_is_closed(call):
    with (
        time_machine.travel(DEADLINE, tick=False),
        pytest.raises(ApplicationError, match="deadline"),
    ):
        services.applicant_register(
            call=call,
            legal_name="Late Co",
            uscc=factories.uscc(),
            industry="smart_manufacturing",
            city="武汉",
            email="late@example.com",
        )


# Starting ----------------------------------------------------------------------------------


def test_an_owner_or_member_starts_one_draft_per_call(call, company, owner, member, outsider):
    application = services.application_start(call=call, company=company, actor=member)
    assert application.status == Application.Status.DRAFT
    with pytest.raises(ApplicationError, match="already applied"):
        services.application_start(call=call, company=company, actor=owner)
    with pytest.raises(ApplicationError, match="Only the owners and members"):
        services.application_start(call=call, company=company, actor=outsider)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"is_published": False}, "not open"),
        ({"opens_on": dt.date(2026, 3, 3)}, "opens for applications on 2026-03-03"),
        ({"closes_at": FROZEN}, "deadline"),
    ],
)
def test_it_starts_no_application_on_a_call_that_is_not_open(call, company, owner, change, message):
    Call.objects.filter(pk=call.pk).update(**change)
    call.refresh_from_db()
    with pytest.raises(ApplicationError, match=message):
        services.application_start(call=call, company=company, actor=owner)
    assert not Application.objects.exists()


# Saving until the deadline -----------------------------------------------------------------


def test_it_saves_until_the_last_second_before_the_deadline_in_beijing_time(call, company, owner):
    application = submitted(call, company, owner)
    # 17:59:59 in Shanghai is 09:59:59 UTC: still open.
    with time_machine.travel(dt.datetime(2026, 3, 31, 9, 59, 59, tzinfo=dt.UTC), tick=False):
        services.application_save(application=application, actor=owner, summary="Changed")
    with time_machine.travel(DEADLINE, tick=False):
        with pytest.raises(ApplicationError) as refused:
            services.application_save(application=application, actor=owner, summary="Too late")
        assert refused.value.code == "deadline_passed"
        assert "2026-03-31 18:00 (Beijing time)" in refused.value.message
        with pytest.raises(ApplicationError, match="deadline"):
            services.attachment_add(
                application=application, actor=owner, upload=upload("a.pdf", PDF)
            )
    assert Application.objects.get(pk=application.pk).summary == "Changed"


def test_submitting_needs_the_required_answers(call, company, owner):
    application = services.application_start(call=call, company=company, actor=owner)
    required, optional = call.questions.all()
    services.application_save(application=application, actor=owner, answers={optional.pk: "x"})
    with pytest.raises(ApplicationError) as refused:
        services.application_save(application=application, actor=owner, submit=True)
    assert list(refused.value.field_errors) == [f"answer_{required.pk}"]
    assert Application.objects.get(pk=application.pk).status == Application.Status.DRAFT
    services.application_save(
        application=application, actor=owner, answers={required.pk: "Inspection"}, submit=True
    )
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.submitted_at == FROZEN and application.submitted_by == owner
    # A submitted application stays complete: the required answer cannot be emptied.
    with pytest.raises(ApplicationError):
        services.application_save(application=application, actor=owner, answers={required.pk: ""})
    assert Answer.objects.get(question=required).text == "Inspection"


def test_an_answer_longer_than_allowed_is_refused_and_nothing_is_saved(call, company, owner):
    application = services.application_start(call=call, company=company, actor=owner)
    _required, optional = call.questions.all()
    with pytest.raises(ApplicationError) as refused:
        services.application_save(
            application=application, actor=owner, summary="new", answers={optional.pk: "x" * 201}
        )
    assert "at most 200 characters" in refused.value.field_errors[f"answer_{optional.pk}"][0]
    assert Application.objects.get(pk=application.pk).summary == ""
    assert not Answer.objects.exists()


def test_a_grant_application_asks_for_hours_within_the_pool(staff, company, owner):
    call = make_call(staff=staff, kind=Call.Kind.COMPUTE_GRANT, slug="grants")
    application = services.application_start(call=call, company=company, actor=owner)
    first = call.questions.first()
    with pytest.raises(ApplicationError) as refused:
        services.application_save(
            application=application, actor=owner, answers={first.pk: "x"}, submit=True
        )
    assert "requested_hours" in refused.value.field_errors
    with pytest.raises(ApplicationError, match="whole pool is 1000"):
        services.application_save(
            application=application, actor=owner, requested_hours=Decimal("1001")
        )
    services.application_save(
        application=application,
        actor=owner,
        answers={first.pk: "x"},
        requested_hours=Decimal("250"),
        submit=True,
    )
    assert Application.objects.get(pk=application.pk).requested_hours == Decimal("250")


def test_a_withdrawn_application_stays_on_record_and_is_closed(call, company, owner):
    application = submitted(call, company, owner)
    services.application_withdraw(application=application, actor=owner)
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    with pytest.raises(ApplicationError, match="withdrawn"):
        services.application_save(application=application, actor=owner, summary="back")


def test_someone_else_cannot_change_the_application(call, company, owner, outsider, staff):
    application = submitted(call, company, owner)
    for person in (outsider, staff):
        with pytest.raises(ApplicationError, match="Only the owners and members"):
            services.application_save(application=application, actor=person, summary="mine")


# Files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("plan.pdf", PDF, "application/pdf"),
        ("team.PNG", PNG, "image/png"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        (
            "plan.docx",
            office_file(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "figures.xlsx",
            office_file("xl/workbook.xml"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "deck.pptx",
            office_file("ppt/presentation.xml"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
    ],
    ids=["pdf", "png", "jpeg", "docx", "xlsx", "pptx"],
)
def test_it_keeps_an_allowed_file_privately(call, company, owner, name, content, content_type):
    application = submitted(call, company, owner)
    attachment = services.attachment_add(
        application=application, actor=owner, upload=upload(name, content)
    )
    assert attachment.original_name == name
    assert attachment.content_type == content_type and attachment.size == len(content)
    assert attachment.file.name.startswith("private/applications/")
    assert name.split(".")[0] not in attachment.file.name  # a random name, not the upload's
    assert stored_files() == [attachment.file.name]
    assert attachment.file.read() == content


@pytest.mark.parametrize(
    "name, content, code",
    [
        ("plan.pdf", PNG, "file_content"),  # a PNG named .pdf
        ("plan.png", PDF, "file_content"),
        ("plan.docx", b"PK\x03\x04 not really a zip", "file_content"),
        ("plan.docx", office_file("xl/workbook.xml"), "file_content"),  # a workbook named .docx
        ("plan.exe", b"MZ\x90\x00", "file_type"),
        ("plan.pdf.html", b"<script>", "file_type"),
        ("plan", PDF, "file_type"),
        ("plan.pdf", b"", "file_empty"),
    ],
    ids=[
        "png-as-pdf",
        "pdf-as-png",
        "broken-zip",
        "xlsx-as-docx",
        "exe",
        "double-extension",
        "no-extension",
        "empty",
    ],
)
def test_it_refuses_a_file_whose_type_is_wrong_and_writes_nothing(
    call, company, owner, name, content, code
):
    application = submitted(call, company, owner)
    with pytest.raises(ApplicationError) as refused:
        services.attachment_add(application=application, actor=owner, upload=upload(name, content))
    assert refused.value.code == code
    assert "file" in refused.value.field_errors
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_it_refuses_a_file_over_the_size_limit(call, company, owner, settings):
    settings.APPLICATION_ATTACHMENT_MAX_BYTES = 1024
    application = submitted(call, company, owner)
    services.attachment_add(
        application=application, actor=owner, upload=upload("a.pdf", PDF.ljust(1024, b" "))
    )
    with pytest.raises(ApplicationError, match="at most 0.0009765625 MiB|at most") as refused:
        services.attachment_add(
            application=application, actor=owner, upload=upload("b.pdf", PDF.ljust(1025, b" "))
        )
    assert refused.value.code == "file_size"
    assert Attachment.objects.count() == 1 and len(stored_files()) == 1


def test_it_keeps_at_most_ten_files(call, company, owner):
    application = submitted(call, company, owner)
    for n in range(10):
        services.attachment_add(
            application=application, actor=owner, upload=upload(f"{n}.pdf", PDF)
        )
    with pytest.raises(ApplicationError, match="at most 10 files"):
        services.attachment_add(application=application, actor=owner, upload=upload("11.pdf", PDF))
    assert Attachment.objects.count() == 10 and len(stored_files()) == 10


def test_removing_a_file_deletes_it_after_commit(
    call, company, owner, django_capture_on_commit_callbacks
):
    application = submitted(call, company, owner)
    attachment = services.attachment_add(
        application=application, actor=owner, upload=upload("a.pdf", PDF)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_remove(attachment=attachment, actor=owner)
    assert not Attachment.objects.exists()
    assert stored_files() == []
