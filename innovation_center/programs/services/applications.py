"""Applicants and their applications: register, start, save, submit, withdraw, attach files."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from innovation_center.accounts.access import is_member_of
from innovation_center.accounts.invitations import invitation_create
from innovation_center.accounts.models import Membership
from innovation_center.accounts.services import audit_record, model_snapshot
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.ecosystem import services as ecosystem_services
from innovation_center.ecosystem.models import Company
from innovation_center.programs.models import (
    Answer,
    Application,
    Attachment,
    Call,
)
from innovation_center.programs.services.base import (
    APPLICATION_FIELDS,
    MAX_ATTACHMENTS,
    deadline_text,
    locked_application,
)

# Applicants -------------------------------------------------------------------------------


def _check_accepting(call: Call) -> None:
    now = clock.now()
    if not call.is_published:
        raise ApplicationError(_("This call is not open for applications."), code="not_published")
    if clock.today(at=now) < call.opens_on:
        raise ApplicationError(
            _("This call opens for applications on %(day)s.") % {"day": call.opens_on.isoformat()},
            code="not_open_yet",
        )
    if now >= call.closes_at:
        raise ApplicationError(
            _(
                "The deadline of this call was %(deadline)s (Beijing time); applications can "
                "no longer be started or changed."
            )
            % {"deadline": deadline_text(call)},
            code="deadline_passed",
        )


@transaction.atomic
def applicant_register(
    *,
    call: Call,
    legal_name: str,
    uscc: str,
    industry: str,
    city: str,
    email: str,
    language: str = "",
) -> Company:
    """An applicant without an account: their company (status applied, applying today) and an
    owner's invitation to `email`. Accepting it makes the account; then they apply signed in.

    Nothing is stored when any part is refused (a taken name or code, a bad e-mail).
    """
    _check_accepting(call)
    email = (email or "").strip()
    if not email:
        message = _("Give the e-mail address the invitation goes to.")
        raise ApplicationError(message, field_errors={"email": [message]})
    company = ecosystem_services.company_create(
        actor=None,
        legal_name=(legal_name or "").strip(),
        uscc=(uscc or "").strip().upper(),
        industry=industry,
        city=(city or "").strip(),
        contact_email=email,
        status=Company.Status.APPLIED,
        applied_on=clock.today(),
    )
    # No one invites: the applicant asked for the account themselves (actor None, "the
    # Innovation Center" in the e-mail).
    invitation_create(
        actor=None,
        organisation=company.organisation,
        email=email,
        role=Membership.Role.COMPANY_OWNER,
        language=language,
    )
    audit_record(
        actor=None,
        instance=company,
        action="register_for_call",
        after={"call": call.slug, "email": email},
        organisation=company.organisation,
    )
    return company


def _check_applicant(actor, company: Company) -> None:
    if not is_member_of(actor, company):
        raise ApplicationError(
            _("Only the owners and members of %(company)s apply for it.")
            % {"company": company.legal_name},
            code="not_member",
        )


@transaction.atomic
def application_start(*, call: Call, company: Company, actor) -> Application:
    """A draft application of `company` to `call`; one per company and call."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    _check_accepting(call)
    _check_applicant(actor, company)
    if Application.objects.filter(call=call, company=company).exists():
        raise ApplicationError(
            _("%(company)s has already applied to this call; continue that application.")
            % {"company": company.legal_name},
            code="already_applied",
        )
    application = Application.objects.create(call=call, company=company)
    audit_record(
        actor=actor,
        instance=application,
        action="create",
        after={"call": call.slug, "status": application.status},
        organisation=company.organisation,
    )
    return application


def _check_editable(application: Application, actor) -> None:
    _check_applicant(actor, application.company)
    if application.status not in (Application.Status.DRAFT, Application.Status.SUBMITTED):
        raise ApplicationError(
            _("This application is %(status)s and can no longer be changed.")
            % {"status": application.get_status_display().lower()},
            code="closed",
        )
    call = application.call
    if clock.now() >= call.closes_at:
        raise ApplicationError(
            _(
                "The deadline of this call was %(deadline)s (Beijing time); the application can "
                "no longer be changed."
            )
            % {"deadline": deadline_text(call)},
            code="deadline_passed",
        )


def _check_request(application: Application, requested_hours, requested_device_cap, errors):
    call = application.call
    if requested_hours is not None:
        try:
            hours = Decimal(str(requested_hours))
        except InvalidOperation:
            hours = Decimal(0)
        if hours <= 0:
            errors["requested_hours"] = [_("Ask for more than zero accelerator-hours.")]
        elif call.hours_pool is not None and hours > call.hours_pool:
            errors["requested_hours"] = [
                _("The call's whole pool is %(pool)s accelerator-hours; ask for at most that.")
                % {"pool": call.hours_pool}
            ]
        else:
            application.requested_hours = hours
    if requested_device_cap is not None:
        if int(requested_device_cap) < 1:
            errors["requested_device_cap"] = [_("Ask for at least one device at once.")]
        else:
            application.requested_device_cap = int(requested_device_cap)


@transaction.atomic
def application_save(
    *,
    application: Application,
    actor,
    summary: str | None = None,
    answers: Mapping | None = None,
    requested_hours: Decimal | None = None,
    requested_device_cap: int | None = None,
    submit: bool = False,
) -> Application:
    """Save the company's answers (and submit when `submit`), until the call's deadline.

    Submitting needs every required question answered and, for a compute-grant call, the
    hours asked for; a submitted application stays editable (and complete) until the deadline.
    """
    application = locked_application(application)
    _check_editable(application, actor)
    before = model_snapshot(application, APPLICATION_FIELDS)
    call = application.call
    questions = {q.pk: q for q in call.questions.all()}
    errors: dict[str, list[str]] = {}
    if summary is not None:
        application.summary = summary.strip()
    texts: dict[int, str] = {}
    for key, text in (answers or {}).items():
        question = questions.get(int(key))
        if question is None:
            raise ApplicationError(_("That question is not one of this call's."), code="question")
        text = (text or "").strip()
        if len(text) > question.max_length:
            errors[f"answer_{question.pk}"] = [
                _("Answer in at most %(most)s characters (this is %(length)s).")
                % {"most": question.max_length, "length": len(text)}
            ]
        texts[question.pk] = text
    if call.kind == Call.Kind.COMPUTE_GRANT:
        _check_request(application, requested_hours, requested_device_cap, errors)
    complete = submit or application.status == Application.Status.SUBMITTED
    if complete:
        stored = dict(application.answers.values_list("question_id", "text"))
        stored.update(texts)
        for question in questions.values():
            if question.required and not stored.get(question.pk):
                errors.setdefault(f"answer_{question.pk}", []).append(
                    _("Answer this question to submit the application.")
                )
        if call.kind == Call.Kind.COMPUTE_GRANT and not application.requested_hours:
            errors.setdefault("requested_hours", []).append(
                _("Say how many accelerator-hours you ask for.")
            )
    if errors:
        every = [str(message) for messages in errors.values() for message in messages]
        raise ApplicationError(
            every[0]
            if len(every) == 1
            else _("The application was not submitted; see the fields marked.")
            if complete
            else _("The application was not saved; see the fields marked."),
            field_errors=errors,
        )
    for question_id, text in texts.items():
        Answer.objects.update_or_create(
            application=application, question_id=question_id, defaults={"text": text}
        )
    action = "update"
    if submit and application.status == Application.Status.DRAFT:
        application.status = Application.Status.SUBMITTED
        application.submitted_at = clock.now()
        application.submitted_by = actor
        action = "submit"
    application.save()
    audit_record(
        actor=actor,
        instance=application,
        action=action,
        before=before,
        after={**model_snapshot(application, APPLICATION_FIELDS), "answers": len(texts)},
        organisation=application.company.organisation,
    )
    return application


@transaction.atomic
def application_withdraw(*, application: Application, actor) -> Application:
    """The company withdraws its application before a decision; it stays on record."""
    application = locked_application(application)
    _check_applicant(actor, application.company)
    withdrawn = Application.objects.filter(
        pk=application.pk,
        status__in=[Application.Status.DRAFT, Application.Status.SUBMITTED],
    ).update(status=Application.Status.WITHDRAWN)
    if not withdrawn:
        raise ApplicationError(
            _("This application was already decided or withdrawn."), code="closed"
        )
    before = {"status": application.status}
    application.refresh_from_db()
    audit_record(
        actor=actor,
        instance=application,
        action="withdraw",
        before=before,
        after={"status": application.status},
        organisation=application.company.organisation,
    )
    return application


# Attachments --------------------------------------------------------------------------------

OFFICE_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


def _content_matches(upload, extension: str) -> bool:
    """Whether the bytes are what the extension says: signatures for PDF, PNG and JPEG; for
    Office files a ZIP whose directory has the part of that kind (read, never extracted)."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension == "png":
        return head == b"\x89PNG\r\n\x1a\n"
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension in OFFICE_PARTS:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return False
        finally:
            upload.seek(0)
        return "[Content_Types].xml" in names and any(
            name.startswith(OFFICE_PARTS[extension]) for name in names
        )
    return False


def _attachment_name(upload) -> str:
    name = os.path.basename((upload.name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 255:
        stem, _dot, suffix = name.rpartition(".")
        name = f"{stem[: 254 - len(suffix)]}.{suffix}"
    return name or "file"


def _refuse_file(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, field_errors={"file": [message]})


@transaction.atomic
def attachment_add(*, application: Application, actor, upload) -> Attachment:
    """Attach a file: PDF, PNG, JPEG or an Office document (by extension and content), at
    most APPLICATION_ATTACHMENT_MAX_BYTES, at most 10 per application. A refused file leaves
    nothing behind; a kept one is stored under a random private name, served only through
    the scoped download view, and never opened other than to check its type."""
    application = locked_application(application)
    _check_editable(application, actor)
    types: dict[str, str] = settings.APPLICATION_ATTACHMENT_TYPES
    limit = settings.APPLICATION_ATTACHMENT_MAX_BYTES
    name = _attachment_name(upload)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = ", ".join(sorted({e.upper() for e in types if e != "jpeg"}))
    if extension not in types:
        raise _refuse_file(
            _("“%(name)s” is not a type the center accepts; attach one of: %(allowed)s.")
            % {"name": name, "allowed": allowed},
            "file_type",
        )
    size = upload.size
    if not size:
        raise _refuse_file(_("“%(name)s” is empty.") % {"name": name}, "file_empty")
    if size > limit:
        raise _refuse_file(
            _("“%(name)s” is %(size)s MiB; attach files of at most %(limit)s MiB.")
            % {"name": name, "size": f"{size / 2**20:.1f}", "limit": f"{limit / 2**20:g}"},
            "file_size",
        )
    if not _content_matches(upload, extension):
        raise _refuse_file(
            _(
                "“%(name)s” does not contain what its name says (%(type)s); export it again "
                "as a real %(type)s file."
            )
            % {"name": name, "type": extension.upper()},
            "file_content",
        )
    if application.attachments.count() >= MAX_ATTACHMENTS:
        raise _refuse_file(
            _("An application has at most %(most)s files; remove one first.")
            % {"most": MAX_ATTACHMENTS},
            "too_many_files",
        )
    attachment = Attachment(
        application=application,
        original_name=name,
        content_type=types[extension],
        size=size,
        uploaded_by=actor,
    )
    upload.seek(0)
    attachment.file.save(name, upload, save=False)
    try:
        attachment.save()
        audit_record(
            actor=actor,
            instance=attachment,
            action="attach",
            after={"name": name, "size": size, "type": attachment.content_type},
            organisation=application.company.organisation,
        )
    except Exception:
        # The row was not stored: neither is the file.
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: Attachment, actor) -> None:
    """Remove a file of an application that is still editable; the file goes after commit."""
    application = locked_application(attachment.application)
    _check_editable(application, actor)
    attachment = Attachment.objects.get(pk=attachment.pk, application=application)
    storage, stored_name = attachment.file.storage, attachment.file.name
    audit_record(
        actor=actor,
        instance=attachment,
        action="detach",
        before={"name": attachment.original_name},
        organisation=application.company.organisation,
    )
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(stored_name))
