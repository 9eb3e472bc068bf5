"""Pages of incubation and industry aggregation: companies, the lifecycle board, solutions.

Thin views: parse, call a selector or service, render; an htmx request gets the fragment
(`_name.html`), a plain request the whole page or a redirect.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from innovation_center.core.errors import ApplicationError
from innovation_center.core.exports import export_response
from innovation_center.core.forms import apply_service_errors, form_filters, query_without
from innovation_center.core.imports import preview_rows, read_table
from innovation_center.core.pagination import paginate
from innovation_center.core.permissions import staff_required
from innovation_center.core.scoping import viewer_for
from innovation_center.ecosystem import imports, selectors, services
from innovation_center.ecosystem.forms import (
    CompanyExitForm,
    CompanyFilterForm,
    CompanyForm,
    EngagementAdvanceForm,
    EngagementForm,
    ImportUploadForm,
    SolutionFilterForm,
    SolutionForm,
)
from innovation_center.ecosystem.models import Company, Industry, LifecycleStage

IMPORT_SESSION_KEY = "ecosystem.company_import"


# Companies ----------------------------------------------------------------------------------


@staff_required
def company_list(request: HttpRequest) -> HttpResponse:
    form = CompanyFilterForm(request.GET, cities=selectors.company_cities(user=request.user))
    chosen = form_filters(form)
    companies = selectors.company_list(
        user=request.user,
        search=chosen["q"],
        status=chosen["status"],
        industry=chosen["industry"],
        city=chosen["city"],
        stage=chosen["stage"],
        ordering=chosen["sort"] or "name",
    )
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        stages = dict(LifecycleStage.choices)
        return export_response(
            filename="companies",
            fmt=fmt,
            headers=[
                _("Legal name"),
                _("Unified social credit code"),
                _("Industry"),
                _("City"),
                _("Size"),
                _("Status"),
                _("Lifecycle stage"),
            ],
            rows=(
                [
                    c.legal_name,
                    c.uscc,
                    c.get_industry_display(),
                    c.city,
                    c.get_size_display(),
                    c.get_status_display(),
                    str(stages.get(c.current_stage, "")),
                ]
                for c in companies.iterator(chunk_size=2000)
            ),
        )
    context = {
        "form": form,
        "page_obj": paginate(request, companies),
        "query": query_without(request),
        "stages": dict(LifecycleStage.choices),
    }
    template = "ecosystem/_company_table.html" if request.htmx else "ecosystem/company_list.html"
    return render(request, template, context)


@login_required
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, pk=pk)
    context = {
        "company": company,
        "is_staff": viewer_for(request.user).is_center_staff,
        "exit_form": CompanyExitForm(),
        "history": selectors.history_for(user=request.user, instance=company),
        **selectors.company_detail(user=request.user, company=company),
    }
    return render(request, "ecosystem/company_detail.html", context)


@staff_required
def company_create(request: HttpRequest) -> HttpResponse:
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_create(actor=request.user, fields=form.cleaned_data)
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": company.legal_name})
            return redirect("ecosystem:company_detail", pk=company.pk)
    return render(
        request,
        "ecosystem/object_form.html",
        {
            "form": form,
            "title": _("New company"),
            "cancel_url": reverse("ecosystem:company_list"),
        },
    )


@staff_required
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, pk=pk)
    form = CompanyForm(request.POST or None, instance=company)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(actor=request.user, company=company, fields=form.cleaned_data)
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("ecosystem:company_detail", pk=company.pk)
    return render(
        request,
        "ecosystem/object_form.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": company.legal_name},
            "cancel_url": reverse("ecosystem:company_detail", args=[company.pk]),
            "history": selectors.history_for(user=request.user, instance=company),
        },
    )


TRANSITIONS = {
    "admit": (services.company_admit, _("%(name)s is admitted.")),
    "incubate": (services.company_incubate, _("%(name)s is now incubating.")),
    "graduate": (services.company_graduate, _("%(name)s has graduated.")),
}


@require_POST
@staff_required
def company_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    company = selectors.company_get(user=request.user, pk=pk)
    try:
        if action == "exit":
            services.company_exit(
                company=company, actor=request.user, reason=request.POST.get("reason", "")
            )
            done = _("%(name)s has exited.")
        else:
            service, done = TRANSITIONS[action]
            service(company=company, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"name": company.legal_name})
    return redirect("ecosystem:company_detail", pk=company.pk)


@staff_required
def company_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview (every row's errors) → confirm (all rows in one transaction)."""
    context = {
        "columns": imports.COMPANY_COLUMNS,
        "choices": [
            (_("industry"), Industry.choices),
            (_("size"), Company.Size.choices),
            (_("status"), Company.Status.choices),
        ],
        "title": _("Import companies"),
        "action_url": reverse("ecosystem:company_import"),
    }
    form = ImportUploadForm()
    if request.method == "POST" and request.POST.get("step") == "confirm":
        stored = request.session.pop(IMPORT_SESSION_KEY, None)
        if not stored or stored.get("token") != request.POST.get("token"):
            messages.error(request, _("This preview has expired; upload the file again."))
            return redirect("ecosystem:company_import")
        try:
            created = services.companies_import(actor=request.user, rows=stored["rows"])
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("ecosystem:company_import")
        messages.success(request, _("%(count)d companies were imported.") % {"count": len(created)})
        return redirect("ecosystem:company_list")
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                rows = read_table(
                    form.cleaned_data["file"],
                    columns=imports.COLUMN_NAMES,
                    required=imports.REQUIRED,
                )
            except ApplicationError as error:
                form.add_error("file", error.message)
            else:
                errors = imports.company_rows_check(rows=rows)
                context.update({"rows": rows, "errors": errors, "previewed": True})
                if not errors:
                    token = uuid.uuid4().hex
                    # Plain strings in the JSON session: nothing from the file is unpickled.
                    request.session[IMPORT_SESSION_KEY] = {"token": token, "rows": rows}
                    context["token"] = token
                    columns = ["legal_name", "uscc", "industry", "city", "status"]
                    context["preview_columns"] = columns
                    context["preview_rows"] = preview_rows(rows, columns)
    context["form"] = form
    return render(request, "ecosystem/company_import.html", context)


# Engagements --------------------------------------------------------------------------------


def _board_context(request: HttpRequest, params) -> dict:
    industry = params.get("industry", "")
    owner = params.get("owner", "")
    industry = industry if industry in Industry.values else ""
    owner = "me" if owner == "me" else ""
    search = params.get("q", "")[:100]
    return {
        "columns": selectors.engagement_board(
            user=request.user, industry=industry, owner=owner, search=search
        ),
        "industry": industry,
        "owner": owner,
        "q": search,
        "industries": Industry.choices,
    }


@staff_required
def engagement_board(request: HttpRequest) -> HttpResponse:
    context = _board_context(request, request.GET)
    template = "ecosystem/_board.html" if request.htmx else "ecosystem/engagement_board.html"
    return render(request, template, context)


@require_POST
@staff_required
def engagement_advance(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, pk=pk)
    form = EngagementAdvanceForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    seen_stage = request.POST.get("stage")
    notice, problem = "", ""
    try:
        if seen_stage and seen_stage != engagement.stage:
            # The card the user clicked was already moved (double click, or a colleague).
            raise ApplicationError(services.MOVED_MEANWHILE % {"title": engagement.title})
        services.engagement_advance(engagement=engagement, actor=request.user, note=note)
    except ApplicationError as error:
        problem = error.message
    else:
        notice = _("“%(title)s” moved to %(stage)s.") % {
            "title": engagement.title,
            "stage": engagement.get_stage_display(),
        }
    if request.htmx:
        context = _board_context(request, request.POST)
        context.update({"notice": notice, "problem": problem})
        return render(request, "ecosystem/_board.html", context)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, notice)
    query = {k: request.POST[k] for k in ("industry", "owner", "q") if request.POST.get(k)}
    next_url = reverse("ecosystem:engagement_board")
    if request.POST.get("next") == "engagement":
        next_url = reverse("ecosystem:engagement_detail", args=[engagement.pk])
    return redirect(f"{next_url}?{urlencode(query)}" if query else next_url)


@login_required
def engagement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, pk=pk)
    following = LifecycleStage.next_after(engagement.stage)
    return render(
        request,
        "ecosystem/engagement_detail.html",
        {
            "engagement": engagement,
            "moves": selectors.engagement_moves(engagement=engagement),
            "next_stage": following,
            "is_staff": viewer_for(request.user).is_center_staff,
            "history": selectors.history_for(user=request.user, instance=engagement),
        },
    )


@staff_required
def engagement_create(request: HttpRequest, company_pk: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, pk=company_pk)
    form = EngagementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            engagement = services.engagement_create(
                actor=request.user, company=company, fields=form.cleaned_data
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The engagement was started."))
            return redirect("ecosystem:engagement_detail", pk=engagement.pk)
    return render(
        request,
        "ecosystem/object_form.html",
        {
            "form": form,
            "title": _("New engagement with %(name)s") % {"name": company.legal_name},
            "cancel_url": reverse("ecosystem:company_detail", args=[company.pk]),
        },
    )


@staff_required
def engagement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, pk=pk)
    form = EngagementForm(request.POST or None, instance=engagement)
    if request.method == "POST" and form.is_valid():
        try:
            services.engagement_update(
                actor=request.user, engagement=engagement, fields=form.cleaned_data
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("ecosystem:engagement_detail", pk=engagement.pk)
    return render(
        request,
        "ecosystem/object_form.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": engagement},
            "cancel_url": reverse("ecosystem:engagement_detail", args=[engagement.pk]),
            "history": selectors.history_for(user=request.user, instance=engagement),
        },
    )


# Solutions ----------------------------------------------------------------------------------


@login_required
def solution_list(request: HttpRequest) -> HttpResponse:
    form = SolutionFilterForm(request.GET)
    chosen = form_filters(form)
    solutions = selectors.solution_list(
        user=request.user,
        search=chosen["q"],
        vertical=chosen["vertical"],
        status=chosen["status"],
        published=chosen["published"],
        company=request.GET.get("company", ""),
        ordering=chosen["sort"] or "name",
    )
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        return export_response(
            filename="solutions",
            fmt=fmt,
            headers=[
                _("Name"),
                _("Industry vertical"),
                _("Status"),
                _("Launched on"),
                _("Published"),
                _("Companies"),
            ],
            rows=(
                [
                    s.name,
                    s.get_vertical_display(),
                    s.get_status_display(),
                    s.launched_on.isoformat() if s.launched_on else "",
                    _("yes") if s.is_published else _("no"),
                    "; ".join(c.legal_name for c in s.companies.all()),
                ]
                for s in solutions
            ),
        )
    context = {
        "form": form,
        "page_obj": paginate(request, solutions),
        "query": query_without(request),
        "is_staff": viewer_for(request.user).is_center_staff,
    }
    template = "ecosystem/_solution_table.html" if request.htmx else "ecosystem/solution_list.html"
    return render(request, template, context)


@login_required
def solution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The solution's page; for a launched one, its showcase."""
    solution = selectors.solution_get(user=request.user, pk=pk)
    is_staff = viewer_for(request.user).is_center_staff
    in_scope = is_staff or selectors.solution_in_scope(user=request.user, solution=solution)
    return render(
        request,
        "ecosystem/solution_detail.html",
        {
            "solution": solution,
            "is_staff": is_staff,
            # Visitors of a published case see the case, not the internal history.
            "history": selectors.history_for(user=request.user, instance=solution)
            if in_scope
            else None,
        },
    )


def _solution_form_page(request, form, *, title, cancel_url, history=None):
    return render(
        request,
        "ecosystem/object_form.html",
        {"form": form, "title": title, "cancel_url": cancel_url, "history": history},
    )


@staff_required
def solution_create(request: HttpRequest) -> HttpResponse:
    form = SolutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        companies = data.pop("companies")
        try:
            solution = services.solution_create(
                actor=request.user, fields=data, companies=companies
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": solution.name})
            return redirect("ecosystem:solution_detail", pk=solution.pk)
    return _solution_form_page(
        request, form, title=_("New solution"), cancel_url=reverse("ecosystem:solution_list")
    )


@staff_required
def solution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    solution = selectors.solution_get(user=request.user, pk=pk)
    form = SolutionForm(request.POST or None, instance=solution)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        companies = data.pop("companies")
        try:
            services.solution_update(
                actor=request.user, solution=solution, fields=data, companies=companies
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("ecosystem:solution_detail", pk=solution.pk)
    return _solution_form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": solution.name},
        cancel_url=reverse("ecosystem:solution_detail", args=[solution.pk]),
        history=selectors.history_for(user=request.user, instance=solution),
    )


@require_POST
@staff_required
def solution_publish(request: HttpRequest, pk: int) -> HttpResponse:
    solution = selectors.solution_get(user=request.user, pk=pk)
    publish = request.POST.get("publish") != "0"
    try:
        services.solution_publish(solution=solution, actor=request.user, published=publish)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        done = (
            _("The showcase of %(name)s is published.")
            if publish
            else _("The showcase of %(name)s is withdrawn.")
        )
        messages.success(request, done % {"name": solution.name})
    return redirect("ecosystem:solution_detail", pk=solution.pk)
