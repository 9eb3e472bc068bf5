"""Applicants' and reviewers' pages: an application, its files, the reviews and conflicts."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from innovation_center.accounts.access import (
    get_scoped_or_404,
    is_center_staff,
    is_member_of,
    staff_required,
)
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import apply_service_errors
from innovation_center.core.pagination import paginate
from innovation_center.programs import selectors, services
from innovation_center.programs.forms import (
    ApplicationForm,
    AttachmentForm,
    ConflictForm,
    DecideForm,
    ReviewForm,
)
from innovation_center.programs.models import Application, Attachment, Review

# Applications ------------------------------------------------------------------------------


def _application(request: HttpRequest, pk: int) -> Application:
    return get_scoped_or_404(
        request.user,
        Application,
        Application.objects.select_related("call", "company", "engagement", "allocation"),
        pk=pk,
    )


def _answers(application: Application) -> dict[int, str]:
    return dict(application.answers.values_list("question_id", "text"))


def _answered(application: Application) -> list[tuple]:
    """Each question of the call with the company's answer ("" when none)."""
    answers = _answers(application)
    return [(q, answers.get(q.pk, "")) for q in application.call.questions.all()]


def _application_context(request: HttpRequest, application: Application, **extra) -> dict:
    user = request.user
    staff = is_center_staff(user)
    applicant = is_member_of(user, application.company)
    editable = (
        applicant
        and application.status in (Application.Status.DRAFT, Application.Status.SUBMITTED)
        and clock.now() < application.call.closes_at
    )
    context = {
        "application": application,
        "call": application.call,
        "answers": _answers(application),
        "answered": _answered(application),
        "attachments": application.attachments.all(),
        "is_staff": staff,
        "is_applicant": applicant,
        "editable": editable,
        "deadline": services.deadline_text(application.call),
    }
    if editable and "form" not in extra:
        context["form"] = ApplicationForm(
            application=application,
            initial={
                "summary": application.summary,
                "requested_hours": application.requested_hours,
                "requested_device_cap": application.requested_device_cap,
                **{f"answer_{qid}": text for qid, text in context["answers"].items()},
            },
        )
    if editable:
        context["attachment_form"] = AttachmentForm()
        context["max_files"] = services.MAX_ATTACHMENTS
        context["max_size"] = settings.APPLICATION_ATTACHMENT_MAX_BYTES
    if staff:
        # Reviews and scores: the center's only (an applicant's page never has them).
        context["reviews"] = application.reviews.select_related("reviewer").prefetch_related(
            "scores__criterion"
        )
        context["ranked"] = next(
            (
                row
                for row in selectors.ranked_applications(application.call)
                if row.application.pk == application.pk
            ),
            None,
        )
        if application.status == Application.Status.SUBMITTED and "decide_form" not in extra:
            context["decide_form"] = DecideForm(call=application.call)
    else:
        context["my_review"] = application.reviews.filter(reviewer=user).first()
    context.update(extra)
    return context


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    if request.method == "POST":
        if not is_member_of(request.user, application.company):
            raise PermissionDenied(_("Only the company's people change its application."))
        form = ApplicationForm(request.POST, application=application)
        submit = request.POST.get("action") == "submit"
        if form.is_valid():
            try:
                services.application_save(
                    application=application,
                    actor=request.user,
                    summary=form.cleaned_data["summary"],
                    answers=form.answers(),
                    requested_hours=form.cleaned_data.get("requested_hours"),
                    requested_device_cap=form.cleaned_data.get("requested_device_cap"),
                    submit=submit,
                )
            except ApplicationError as error:
                if not error.field_errors:  # closed: the deadline passed, or decided
                    messages.error(request, error.message)
                    return redirect("programs:application_detail", pk=pk)
                apply_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Your application is submitted. You can change it until %(deadline)s.")
                    % {"deadline": services.deadline_text(application.call)}
                    if submit
                    else _("Your changes are saved."),
                )
                return redirect("programs:application_detail", pk=pk)
        application.refresh_from_db()
        return render(
            request,
            "programs/application_detail.html",
            _application_context(request, application, form=form),
        )
    return render(
        request, "programs/application_detail.html", _application_context(request, application)
    )


@require_POST
@login_required
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    try:
        services.application_withdraw(application=application, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your application is withdrawn; it stays on record."))
    return redirect("programs:application_detail", pk=pk)


@require_POST
@staff_required
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = DecideForm(request.POST, call=application.call)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.application_decide(
                application=application,
                actor=request.user,
                accept=data["decision"] == "accept",
                feedback=data["feedback"],
                hours=data.get("hours"),
                device_cap=data.get("device_cap"),
                overcommit_reason=data.get("overcommit_reason", ""),
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(company)s is accepted; the company was told.")
                % {"company": application.company.legal_name}
                if data["decision"] == "accept"
                else _("%(company)s is rejected; the company was told, with your feedback.")
                % {"company": application.company.legal_name},
            )
            return redirect("programs:application_detail", pk=pk)
    return render(
        request,
        "programs/application_detail.html",
        _application_context(request, application, decide_form=form),
    )


# Attachments --------------------------------------------------------------------------------


@require_POST
@login_required
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to attach."))
        return redirect("programs:application_detail", pk=pk)
    try:
        attachment = services.attachment_add(
            application=application, actor=request.user, upload=form.cleaned_data["file"]
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s is attached.") % {"name": attachment.original_name})
    return redirect("programs:application_detail", pk=pk)


def _attachment(request: HttpRequest, pk: int) -> Attachment:
    return get_scoped_or_404(
        request.user,
        Attachment,
        Attachment.objects.select_related("application__company", "application__call"),
        pk=pk,
    )


@login_required
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = _attachment(request, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("This file is no longer stored.")) from None
    # Always a download with the type we checked, never rendered by the browser.
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@require_POST
@login_required
def attachment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = _attachment(request, pk)
    application_pk = attachment.application_id
    try:
        services.attachment_remove(attachment=attachment, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s is removed.") % {"name": attachment.original_name})
    return redirect("programs:application_detail", pk=application_pk)


# Reviewing ----------------------------------------------------------------------------------


@login_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "programs/review_list.html",
        {"page_obj": paginate(request, selectors.my_reviews(user=request.user))},
    )


@login_required
def review_score(request: HttpRequest, pk: int) -> HttpResponse:
    # Only the reviewer's own: the center's staff read scores on the application page.
    review = get_scoped_or_404(
        request.user,
        Review,
        Review.objects.filter(reviewer=request.user).select_related(
            "application__call", "application__company"
        ),
        pk=pk,
    )
    application = review.application
    criteria = application.call.criteria.all()
    initial = {f"score_{s.criterion_id}": s.value for s in review.scores.all()}
    form = ReviewForm(
        request.POST or None,
        criteria=criteria,
        initial={**initial, "comments": review.comments},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.review_submit(
                review=review,
                actor=request.user,
                scores=form.scores(),
                comments=form.cleaned_data["comments"],
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Your review of %(company)s is submitted.")
                % {"company": application.company.legal_name},
            )
            return redirect("programs:my_reviews")
    return render(
        request,
        "programs/review_form.html",
        {
            "review": review,
            "application": application,
            "call": application.call,
            "form": form,
            "answered": _answered(application),
            "attachments": application.attachments.all(),
            "open": application.status == Application.Status.SUBMITTED,
        },
    )


@login_required
def conflict_list(request: HttpRequest) -> HttpResponse:
    """A panel member's declared conflicts, and the form to declare one."""
    companies = selectors.conflict_candidates(user=request.user)
    form = ConflictForm(request.POST or None, companies=companies)
    if request.method == "POST" and form.is_valid():
        try:
            conflict = services.conflict_declare(
                reviewer=request.user,
                company=form.cleaned_data["company"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Your conflict with %(company)s is recorded: you will not review it.")
                % {"company": conflict.company.legal_name},
            )
            return redirect("programs:conflict_list")
    return render(
        request,
        "programs/conflict_list.html",
        {
            "form": form,
            "conflicts": selectors.my_conflicts(user=request.user),
            "has_candidates": companies.exists(),
        },
    )
