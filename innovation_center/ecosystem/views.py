"""Pages of incubation and industry aggregation: companies, the lifecycle board, solutions.

Thin views: parse, call a selector or service, render; an htmx request gets the fragment
(`_name.html`), a plain request the whole page or a redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from innovation_center.accounts.access import (
    can_manage_people,
    is_member_of,
    staff_required,
    viewer_for,
)
from innovation_center.accounts.selectors import audit_history, has_owner
from innovation_center.core.errors import ApplicationError
from innovation_center.core.exports import export_format, export_table
from innovation_center.core.forms import form_filters, form_page, query_without
from innovation_center.core.htmx import page_or_fragment
from innovation_center.core.imports import import_page
from innovation_center.core.pagination import paginate
from innovation_center.core.text import strip_control_characters
from innovation_center.ecosystem import imports, milestones, selectors, services
from innovation_center.ecosystem.forms import (
    CompanyExitForm,
    CompanyFilterForm,
    CompanyForm,
    EngagementAdvanceForm,
    EngagementForm,
    MilestoneCompleteForm,
    MilestoneForm,
    SolutionFilterForm,
    SolutionForm,
)
from innovation_center.ecosystem.models import Company, Industry, LifecycleStage

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
    if fmt := export_format(request):
        return export_table(
            filename="companies",
            fmt=fmt,
            columns=selectors.COMPANY_EXPORT,
            rows=companies.iterator(chunk_size=2000),
        )
    context = {
        "form": form,
        "page_obj": paginate(request, companies),
        "query": query_without(request),
        "stages": dict(LifecycleStage.choices),
    }
    return page_or_fragment(
        request,
        page="ecosystem/company_list.html",
        fragment="ecosystem/_company_table.html",
        context=context,
    )


@login_required
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, pk=pk)
    context = {
        "company": company,
        "is_staff": viewer_for(request.user).is_center_staff,
        "exit_form": CompanyExitForm(),
        "history": audit_history(user=request.user, objects=[company]),
        "can_manage_people": can_manage_people(request.user, company.organisation),
        **selectors.company_detail(user=request.user, company=company),
    }
    context["has_owner"] = has_owner(company.organisation)
    return render(request, "ecosystem/company_detail.html", context)


def _detail_url(name: str) -> Callable[[Model], str]:
    """Where a create page goes next: the new object's page."""
    return lambda saved: reverse(f"ecosystem:{name}_detail", args=[saved.pk])


@staff_required
def company_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        form_class=CompanyForm,
        save=lambda form: services.company_create(actor=request.user, **form.cleaned_data),
        title=_("New company"),
        cancel_url=reverse("ecosystem:company_list"),
        success_url=_detail_url("company"),
        message=lambda company: _("%(name)s was added.") % {"name": company.legal_name},
    )


@staff_required
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, pk=pk)
    return form_page(
        request,
        form_class=CompanyForm,
        instance=company,
        save=lambda form: services.company_update(
            actor=request.user, company=company, data=form.cleaned_data
        ),
        title=_("Edit %(name)s") % {"name": company.legal_name},
        cancel_url=reverse("ecosystem:company_detail", args=[company.pk]),
        history=audit_history(user=request.user, objects=[company]),
    )


# Lazy: the module is imported once, the message is shown in each request's language.
TRANSITIONS = {
    "admit": (services.company_admit, gettext_lazy("%(name)s is admitted.")),
    "incubate": (services.company_incubate, gettext_lazy("%(name)s is now incubating.")),
    "graduate": (services.company_graduate, gettext_lazy("%(name)s has graduated.")),
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
        if action == "admit" and not has_owner(company.organisation):
            # Right after admission, the next step is to give the company a login.
            messages.info(request, _("Invite its first owner so the company can sign in."))
            return redirect("accounts:invite", pk=company.organisation_id)
    return redirect("ecosystem:company_detail", pk=company.pk)


@staff_required
def company_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview (every row's errors) → confirm (all rows in one transaction)."""
    return import_page(
        request,
        spec=imports.COMPANY_IMPORT,
        writer=lambda kept: partial(services.company_create, actor=request.user),
        done=lambda count: _("%(count)d companies were imported.") % {"count": count},
        success_url=reverse("ecosystem:company_list"),
        title=_("Import companies"),
        template="ecosystem/company_import.html",
        context={
            "choices": [
                (_("industry"), Industry.choices),
                (_("size"), Company.Size.choices),
                (_("status"), Company.Status.choices),
            ]
        },
    )


# Engagements --------------------------------------------------------------------------------


def _board_context(request: HttpRequest, params) -> dict:
    industry = params.get("industry", "")
    owner = params.get("owner", "")
    industry = industry if industry in Industry.values else ""
    owner = "me" if owner == "me" else ""
    # The advance form posts the board's filters back: no middleware cleans a POST's fields.
    search = strip_control_characters(params.get("q", ""))[:100]
    columns = selectors.engagement_board(
        user=request.user, industry=industry, owner=owner, search=search
    )
    return {
        "columns": columns,
        "overdue_total": sum(column["overdue"] for column in columns),
        "industry": industry,
        "owner": owner,
        "q": search,
        "industries": Industry.choices,
    }


@staff_required
def engagement_board(request: HttpRequest) -> HttpResponse:
    context = _board_context(request, request.GET)
    return page_or_fragment(
        request,
        page="ecosystem/engagement_board.html",
        fragment="ecosystem/_board.html",
        context=context,
    )


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
            "history": audit_history(user=request.user, objects=[engagement]),
            **_milestone_context(request, engagement),
        },
    )


# Milestones ---------------------------------------------------------------------------------


def _milestone_context(request: HttpRequest, engagement) -> dict:
    rows = selectors.engagement_milestones(user=request.user, engagement=engagement)
    return {
        "milestones": rows,
        "overdue_count": sum(m.overdue for m in rows),
        "can_complete": viewer_for(request.user).is_center_staff
        or is_member_of(request.user, engagement.company),
        "milestone_form": MilestoneForm(),
        "complete_form": MilestoneCompleteForm(),
    }


@require_POST
@staff_required
def milestone_create(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, pk=pk)
    form = MilestoneForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_form_problems(form))
        milestones.milestone_create(actor=request.user, engagement=engagement, **form.cleaned_data)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The milestone was added."))
    return redirect(f"{reverse('ecosystem:engagement_detail', args=[pk])}#milestones")


def _form_problems(form) -> str:
    return " ".join(
        f"{form[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()
    )


@require_POST
@login_required
def milestone_complete(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = selectors.milestone_get(user=request.user, pk=pk)
    form = MilestoneCompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problems(form))
    else:
        try:
            milestones.milestone_complete(
                actor=request.user, milestone=milestone, **form.cleaned_data
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("“%(title)s” is done.") % {"title": milestone.title})
    url = reverse("ecosystem:engagement_detail", args=[milestone.engagement_id])
    return redirect(f"{url}#milestone-{milestone.pk}")


@staff_required
def milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = selectors.milestone_get(user=request.user, pk=pk)
    url = reverse("ecosystem:engagement_detail", args=[milestone.engagement_id])
    return form_page(
        request,
        form_class=MilestoneForm,
        instance=milestone,
        save=lambda form: milestones.milestone_update(
            actor=request.user, milestone=milestone, data=form.cleaned_data
        ),
        title=_("Edit the milestone “%(title)s”") % {"title": milestone.title},
        cancel_url=f"{url}#milestones",
        history=audit_history(user=request.user, objects=[milestone]),
    )


@staff_required
def engagement_create(request: HttpRequest, company_pk: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, pk=company_pk)
    return form_page(
        request,
        form_class=EngagementForm,
        save=lambda form: services.engagement_create(
            actor=request.user, company=company, **form.cleaned_data
        ),
        title=_("New engagement with %(name)s") % {"name": company.legal_name},
        cancel_url=reverse("ecosystem:company_detail", args=[company.pk]),
        success_url=_detail_url("engagement"),
        message=_("The engagement was started."),
    )


@staff_required
def engagement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = selectors.engagement_get(user=request.user, pk=pk)
    return form_page(
        request,
        form_class=EngagementForm,
        instance=engagement,
        save=lambda form: services.engagement_update(
            actor=request.user, engagement=engagement, data=form.cleaned_data
        ),
        title=_("Edit %(name)s") % {"name": engagement},
        cancel_url=reverse("ecosystem:engagement_detail", args=[engagement.pk]),
        history=audit_history(user=request.user, objects=[engagement]),
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
    if fmt := export_format(request):
        return export_table(
            filename="solutions", fmt=fmt, columns=selectors.SOLUTION_EXPORT, rows=solutions
        )
    context = {
        "form": form,
        "page_obj": paginate(request, solutions),
        "query": query_without(request),
        "is_staff": viewer_for(request.user).is_center_staff,
    }
    return page_or_fragment(
        request,
        page="ecosystem/solution_list.html",
        fragment="ecosystem/_solution_table.html",
        context=context,
    )


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
            "history": audit_history(user=request.user, objects=[solution]) if in_scope else None,
        },
    )


@staff_required
def solution_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        form_class=SolutionForm,
        save=lambda form: services.solution_create(actor=request.user, **form.cleaned_data),
        title=_("New solution"),
        cancel_url=reverse("ecosystem:solution_list"),
        success_url=_detail_url("solution"),
        message=lambda solution: _("%(name)s was added.") % {"name": solution.name},
    )


@staff_required
def solution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    solution = selectors.solution_get(user=request.user, pk=pk)
    return form_page(
        request,
        form_class=SolutionForm,
        instance=solution,
        save=lambda form: services.solution_update(
            actor=request.user, solution=solution, data=form.cleaned_data
        ),
        title=_("Edit %(name)s") % {"name": solution.name},
        cancel_url=reverse("ecosystem:solution_detail", args=[solution.pk]),
        history=audit_history(user=request.user, objects=[solution]),
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
