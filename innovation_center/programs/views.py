"""Program pages: calls (public when published), applying, reviewing and deciding.

Every row is read through the scoping mechanism: an application, its files and its answers
are its company's, its reviewers' and the center's; reviews and scores are only their
reviewer's and the center's, so an applicant never reaches them by any URL.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from innovation_center.accounts.access import (
    is_center_staff,
    staff_required,
)
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import apply_service_errors
from innovation_center.core.htmx import page_or_fragment
from innovation_center.core.pagination import paginate
from innovation_center.programs import selectors, services
from innovation_center.programs.forms import (
    ApplyForm,
    CallForm,
    CriterionFormSet,
    QuestionFormSet,
    RegistrationForm,
    formset_rows,
)
from innovation_center.programs.models import Application, Call

# Calls -------------------------------------------------------------------------------------


def _criteria_rows(call: Call) -> list[tuple]:
    """Each criterion with its description in the reader's language (texts are data)."""
    return [(c, c.in_language("description")) for c in call.criteria.all()]


def call_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    signed_in = user.is_authenticated
    context = {
        "page_obj": paginate(request, selectors.call_list(user=user)),
        "is_staff": is_center_staff(user),
        "now": clock.now(),
    }
    if signed_in:
        context["applications"] = selectors.my_applications(user=user)[:50]
        context["reviews_waiting"] = (
            selectors.my_reviews(user=user).filter(submitted_at__isnull=True).count()
        )
        context["on_a_panel"] = user.review_panels.exists()
    return render(request, "programs/call_list.html", context)


def _call_form_page(request: HttpRequest, *, call: Call | None) -> HttpResponse:
    questions = call.questions.all() if call else []
    criteria = call.criteria.all() if call else []
    data = request.POST if request.method == "POST" else None
    form = CallForm(data, instance=call)
    question_set = QuestionFormSet(
        data,
        prefix="questions",
        initial=[
            {
                "id": q.pk,
                "text": q.text,
                "text_zh": q.text_zh,
                "required": q.required,
                "max_length": q.max_length,
            }
            for q in questions
        ],
    )
    criterion_set = CriterionFormSet(
        data,
        prefix="criteria",
        initial=[
            {
                "id": c.pk,
                "name": c.name,
                "name_zh": c.name_zh,
                "description": c.description,
                "description_zh": c.description_zh,
                "weight": c.weight,
            }
            for c in criteria
        ],
    )
    if request.method == "POST" and all(
        [form.is_valid(), question_set.is_valid(), criterion_set.is_valid()]
    ):
        fields = {name: form.cleaned_data[name] for name in services.CALL_FIELDS}
        rows = {
            "questions": formset_rows(question_set),
            "criteria": formset_rows(criterion_set),
            "panel": list(form.cleaned_data["panel"]),
        }
        try:
            if call is None:
                saved = services.call_create(actor=request.user, **fields, **rows)
            else:
                # The form wrote its values onto `call`: the service gets the stored row.
                saved = services.call_update(
                    actor=request.user, call=Call.objects.get(pk=call.pk), **fields, **rows
                )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("The call %(title)s was saved.") % {"title": saved.title}
                if call
                else _("The call %(title)s was created; publish it when it is ready.")
                % {"title": saved.title},
            )
            return redirect("programs:call_applications", slug=saved.slug)
    return render(
        request,
        "programs/call_form.html",
        {
            "form": form,
            "question_set": question_set,
            "criterion_set": criterion_set,
            "call": call,
            "title": _("Change the call %(title)s") % {"title": call.title}
            if call
            else _("New call"),
            "cancel_url": reverse("programs:call_applications", args=[call.slug])
            if call
            else reverse("programs:call_list"),
        },
    )


@staff_required
def call_create(request: HttpRequest) -> HttpResponse:
    return _call_form_page(request, call=None)


def _staff_call(slug: str) -> Call:
    call = Call.objects.filter(slug=slug).select_related("accelerator_type", "site").first()
    if call is None:
        raise Http404(_("No call has this short name."))
    return call


@staff_required
def call_edit(request: HttpRequest, slug: str) -> HttpResponse:
    return _call_form_page(request, call=_staff_call(slug))


@require_POST
@staff_required
def call_publish(request: HttpRequest, slug: str) -> HttpResponse:
    call = _staff_call(slug)
    published = request.POST.get("published", "1") == "1"
    try:
        services.call_publish(actor=request.user, call=call, published=published)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The call is published: its page is public.")
            if published
            else _("The call is withdrawn from the public pages."),
        )
    return redirect("programs:call_applications", slug=slug)


@staff_required
def call_applications(request: HttpRequest, slug: str) -> HttpResponse:
    """The staff's page of a call: the ranked applications, the panel, the actions."""
    call = _staff_call(slug)
    ranking = selectors.ranked_applications(call)
    context = {
        "call": call,
        "page_obj": paginate(request, ranking),
        "panel": selectors.panel_load(call),
        "drafts": call.applications.filter(status=Application.Status.DRAFT).count(),
        "withdrawn": call.applications.filter(status=Application.Status.WITHDRAWN).count(),
        "criteria": _criteria_rows(call),
        "accepting": services.call_accepts_applications(call),
        "deadline": services.deadline_text(call),
    }
    return page_or_fragment(
        request,
        page="programs/call_applications.html",
        fragment="programs/_ranking.html",
        context=context,
    )


@require_POST
@staff_required
def call_assign(request: HttpRequest, slug: str) -> HttpResponse:
    call = _staff_call(slug)
    try:
        created = services.reviewers_assign(call=call, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(count)s new assignments; every submitted application has its reviewers.")
            % {"count": len(created)}
            if created
            else _("Nothing to assign: every submitted application already has its reviewers."),
        )
    return redirect("programs:call_applications", slug=slug)


# The public call page and applying ----------------------------------------------------------


def _public_context(request: HttpRequest, call: Call) -> dict:
    user = request.user
    context = {
        "call": call,
        "text": call.in_language("text"),
        "eligibility": call.in_language("eligibility"),
        "questions": call.questions.all(),
        "criteria": _criteria_rows(call),
        "accepting": services.call_accepts_applications(call),
        "deadline": services.deadline_text(call),
        "is_staff": is_center_staff(user),
    }
    if user.is_authenticated:
        companies = selectors.member_companies(user=user)
        existing = selectors.my_applications(user=user).filter(call=call)
        context["existing"] = existing
        context["apply_form"] = ApplyForm(companies=companies.exclude(applications__call=call))
        context["has_company"] = companies.exists()
    return context


def call_public(request: HttpRequest, slug: str) -> HttpResponse:
    call = selectors.public_call(user=request.user, slug=slug)
    if call is None:
        raise Http404(_("No published call has this short name."))
    context = _public_context(request, call)
    if not request.user.is_authenticated:
        context["registration"] = RegistrationForm()
    return render(request, "programs/call_public.html", context)


@require_POST
@login_required
def call_apply(request: HttpRequest, slug: str) -> HttpResponse:
    call = selectors.public_call(user=request.user, slug=slug)
    if call is None:
        raise Http404(_("No published call has this short name."))
    companies = selectors.member_companies(user=request.user)
    form = ApplyForm(request.POST, companies=companies)
    if not form.is_valid():
        messages.error(request, _("Choose one of your companies to apply for."))
        return redirect("programs:call_public", slug=slug)
    try:
        application = services.application_start(
            call=call, company=form.cleaned_data["company"], actor=request.user
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("programs:call_public", slug=slug)
    messages.success(
        request, _("Your application is started; it is saved as a draft until you submit it.")
    )
    return redirect("programs:application_detail", pk=application.pk)


@require_POST
def call_register(request: HttpRequest, slug: str) -> HttpResponse:
    """An applicant without an account registers their company; the invitation follows."""
    call = selectors.public_call(user=None, slug=slug)
    if call is None:
        raise Http404(_("No published call has this short name."))
    if request.user.is_authenticated:
        return redirect("programs:call_public", slug=slug)
    form = RegistrationForm(request.POST)
    if form.is_valid():
        try:
            services.applicant_register(
                call=call, language=get_language() or "", **form.cleaned_data
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "We sent an invitation e-mail to %(email)s. Open its link to create your "
                    "account, then come back to this page to apply."
                )
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("programs:call_public", slug=slug)
    context = _public_context(request, call)
    context["registration"] = form
    return render(request, "programs/call_public.html", context)
