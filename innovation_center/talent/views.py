"""Pages of research and talent cultivation: coordinators log, staff see every university."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.access import (
    coordinator_required,
    is_coordinator,
    is_coordinator_of,
    staff_or_coordinator_required,
    staff_required,
    viewer_for,
)
from innovation_center.accounts.selectors import audit_history
from innovation_center.core.exports import export_format, export_table
from innovation_center.core.forms import form_filters, form_page, query_without
from innovation_center.core.htmx import page_or_fragment
from innovation_center.core.imports import import_page
from innovation_center.core.pagination import paginate
from innovation_center.talent import imports, selectors, services
from innovation_center.talent.forms import (
    CourseFilterForm,
    CourseForm,
    CourseImportForm,
    CrowdTaskFilterForm,
    CrowdTaskForm,
    InternshipFilterForm,
    InternshipForm,
    OverviewFilterForm,
)
from innovation_center.talent.models import Course, Program


def _list_page(request, *, template: str, fragment: str, context: dict) -> HttpResponse:
    context.update(
        {
            "query": query_without(request),
            "can_log": is_coordinator(request.user),
            "is_staff": viewer_for(request.user).is_center_staff,
        }
    )
    return page_or_fragment(request, page=template, fragment=fragment, context=context)


def _logged_by(request, service) -> Callable:
    """The save of a coordinator's log page: the university is one of theirs, never a field."""

    def save(form):
        data = {k: v for k, v in form.cleaned_data.items() if k != "university"}
        return service(actor=request.user, university=form.chosen_university(), **data)

    return save


def _require_own_row(user, row) -> None:
    # Staff read every university's rows; only the university's coordinator edits them.
    if not is_coordinator_of(user, row.university):
        raise PermissionDenied


# Overview -----------------------------------------------------------------------------------


@staff_required
def overview(request: HttpRequest) -> HttpResponse:
    form = OverviewFilterForm(
        request.GET,
        years=selectors.talent_years(user=request.user),
        programs=selectors.program_choices(),
    )
    chosen = form_filters(form)
    totals = selectors.talent_totals(
        user=request.user, year=chosen["year"], program=chosen["program"]
    )
    return page_or_fragment(
        request,
        page="talent/overview.html",
        fragment="talent/_overview_tables.html",
        context={"form": form, **totals},
    )


# Courses ------------------------------------------------------------------------------------


@staff_or_coordinator_required
def course_list(request: HttpRequest) -> HttpResponse:
    form = CourseFilterForm(
        request.GET,
        years=selectors.course_years(user=request.user),
        programs=selectors.program_choices(kind=Program.Kind.COURSE),
        universities=list(selectors.university_choices(user=request.user)),
    )
    chosen = form_filters(form)
    courses = selectors.course_list(
        user=request.user,
        search=chosen["q"],
        year=chosen["year"],
        term=chosen["term"],
        program=chosen["program"],
        university=chosen.get("university"),
    )
    if fmt := export_format(request):
        return export_table(
            filename="courses", fmt=fmt, columns=selectors.COURSE_EXPORT, rows=courses
        )
    return _list_page(
        request,
        template="talent/course_list.html",
        fragment="talent/_course_table.html",
        context={"form": form, "page_obj": paginate(request, courses)},
    )


@staff_or_coordinator_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    return render(
        request,
        "talent/course_detail.html",
        {
            "course": course,
            "can_edit": is_coordinator_of(request.user, course.university),
            "history": audit_history(user=request.user, objects=[course]),
        },
    )


@coordinator_required
def course_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        form_class=CourseForm,
        form_kwargs={"universities": selectors.coordinator_universities(user=request.user)},
        save=_logged_by(request, services.course_create),
        title=_("Log a course"),
        cancel_url=reverse("talent:course_list"),
        message=lambda course: _("“%(title)s” was logged.") % {"title": course.title},
    )


@staff_or_coordinator_required
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    _require_own_row(request.user, course)
    return form_page(
        request,
        form_class=CourseForm,
        instance=course,
        save=lambda form: services.course_update(
            actor=request.user, course=course, data=form.cleaned_data
        ),
        title=_("Edit %(name)s") % {"name": course},
        cancel_url=reverse("talent:course_detail", args=[course.pk]),
        history=audit_history(user=request.user, objects=[course]),
    )


@coordinator_required
def course_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview (every row's errors) → confirm (all rows in one transaction)."""
    universities = selectors.coordinator_universities(user=request.user)

    def writer(kept: dict) -> Callable:
        # Checked again at the confirm step: membership may have changed since the preview.
        university = universities.filter(pk=kept["university"]).first()
        if university is None:
            raise PermissionDenied
        return partial(services.course_create, actor=request.user, university=university)

    return import_page(
        request,
        spec=imports.COURSE_IMPORT,
        form_class=CourseImportForm,
        form_kwargs={"universities": universities},
        keep=lambda form: {"university": form.chosen_university().pk},
        writer=writer,
        done=lambda count: _("%(count)d courses were imported.") % {"count": count},
        success_url=reverse("talent:course_list"),
        title=_("Import courses"),
        template="talent/course_import.html",
        context={
            "programs": selectors.program_choices(kind=Program.Kind.COURSE),
            "terms": Course.Term.choices,
        },
    )


# Crowd-development tasks --------------------------------------------------------------------


@staff_or_coordinator_required
def crowdtask_list(request: HttpRequest) -> HttpResponse:
    form = CrowdTaskFilterForm(
        request.GET,
        programs=selectors.program_choices(kind=Program.Kind.CROWD),
        universities=list(selectors.university_choices(user=request.user)),
    )
    chosen = form_filters(form)
    tasks = selectors.crowdtask_list(
        user=request.user,
        search=chosen["q"],
        kind=chosen["kind"],
        status=chosen["status"],
        program=chosen["program"],
        university=chosen.get("university"),
    )
    if fmt := export_format(request):
        return export_table(
            filename="crowd-tasks", fmt=fmt, columns=selectors.CROWDTASK_EXPORT, rows=tasks
        )
    return _list_page(
        request,
        template="talent/crowdtask_list.html",
        fragment="talent/_crowdtask_table.html",
        context={"form": form, "page_obj": paginate(request, tasks)},
    )


@coordinator_required
def crowdtask_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        form_class=CrowdTaskForm,
        form_kwargs={"universities": selectors.coordinator_universities(user=request.user)},
        save=_logged_by(request, services.crowdtask_create),
        title=_("Log a crowd-development task"),
        cancel_url=reverse("talent:crowdtask_list"),
        message=_("The task was logged."),
    )


@staff_or_coordinator_required
def crowdtask_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.crowdtask_get(user=request.user, pk=pk)
    _require_own_row(request.user, task)
    return form_page(
        request,
        form_class=CrowdTaskForm,
        instance=task,
        save=lambda form: services.crowdtask_update(
            actor=request.user, task=task, data=form.cleaned_data
        ),
        title=_("Edit %(name)s") % {"name": task},
        cancel_url=reverse("talent:crowdtask_list"),
        history=audit_history(user=request.user, objects=[task]),
    )


# Internships --------------------------------------------------------------------------------


@staff_or_coordinator_required
def internship_list(request: HttpRequest) -> HttpResponse:
    form = InternshipFilterForm(
        request.GET,
        years=selectors.talent_years(user=request.user),
        programs=selectors.program_choices(kind=Program.Kind.INTERNSHIP),
        universities=list(selectors.university_choices(user=request.user)),
    )
    chosen = form_filters(form)
    internships = selectors.internship_list(
        user=request.user,
        year=chosen["year"],
        program=chosen["program"],
        university=chosen.get("university"),
    )
    if fmt := export_format(request):
        return export_table(
            filename="internships",
            fmt=fmt,
            columns=selectors.INTERNSHIP_EXPORT,
            rows=internships,
        )
    return _list_page(
        request,
        template="talent/internship_list.html",
        fragment="talent/_internship_table.html",
        context={"form": form, "page_obj": paginate(request, internships)},
    )


@coordinator_required
def internship_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        form_class=InternshipForm,
        form_kwargs={"universities": selectors.coordinator_universities(user=request.user)},
        save=_logged_by(request, services.internship_create),
        title=_("Log an internship"),
        cancel_url=reverse("talent:internship_list"),
        message=_("The internship was logged."),
    )


@staff_or_coordinator_required
def internship_edit(request: HttpRequest, pk: int) -> HttpResponse:
    internship = selectors.internship_get(user=request.user, pk=pk)
    _require_own_row(request.user, internship)
    return form_page(
        request,
        form_class=InternshipForm,
        instance=internship,
        save=lambda form: services.internship_update(
            actor=request.user, internship=internship, data=form.cleaned_data
        ),
        title=_("Edit %(name)s") % {"name": internship},
        cancel_url=reverse("talent:internship_list"),
        history=audit_history(user=request.user, objects=[internship]),
    )
