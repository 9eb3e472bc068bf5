"""Pages of research and talent cultivation: coordinators log, staff see every university."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.core.errors import ApplicationError
from innovation_center.core.exports import export_response
from innovation_center.core.forms import apply_service_errors, form_filters, query_without
from innovation_center.core.imports import preview_rows, read_table
from innovation_center.core.pagination import paginate
from innovation_center.core.permissions import is_coordinator_of, role_required, staff_required
from innovation_center.core.scoping import viewer_for
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

IMPORT_SESSION_KEY = "talent.course_import"


def _staff_or_coordinator(user) -> bool:
    viewer = viewer_for(user)
    return viewer.is_center_staff or viewer.is_coordinator


def _coordinator(user) -> bool:
    return selectors.coordinator_universities(user=user).exists()


staff_or_coordinator_required = role_required(_staff_or_coordinator)
coordinator_required = role_required(_coordinator)


def _list_page(request, *, template: str, fragment: str, context: dict) -> HttpResponse:
    context.update(
        {
            "query": query_without(request),
            "can_log": _coordinator(request.user),
            "is_staff": viewer_for(request.user).is_center_staff,
        }
    )
    return render(request, fragment if request.htmx else template, context)


def _form_page(request, form, *, title, cancel_url, history=None) -> HttpResponse:
    return render(
        request,
        "talent/object_form.html",
        {"form": form, "title": title, "cancel_url": cancel_url, "history": history},
    )


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
    template = "talent/_overview_tables.html" if request.htmx else "talent/overview.html"
    return render(request, template, {"form": form, **totals})


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
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        return export_response(
            filename="courses",
            fmt=fmt,
            headers=[
                _("University"),
                _("Program"),
                _("Title"),
                _("Year"),
                _("Term"),
                _("Teachers"),
                _("Students enrolled"),
                _("Teaching hours"),
            ],
            rows=(
                [
                    c.university.name,
                    str(c.program),
                    c.title,
                    c.year,
                    c.get_term_display(),
                    "; ".join(t.name for t in c.teachers.all()),
                    c.students_enrolled,
                    c.hours,
                ]
                for c in courses
            ),
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
            "history": selectors.history_for(user=request.user, instance=course),
        },
    )


@coordinator_required
def course_create(request: HttpRequest) -> HttpResponse:
    universities = selectors.coordinator_universities(user=request.user)
    form = CourseForm(request.POST or None, universities=universities)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "university"}
        try:
            course = services.course_create(
                actor=request.user, university=form.chosen_university(), fields=fields
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("“%(title)s” was logged.") % {"title": course.title})
            return redirect("talent:course_list")
    return _form_page(
        request, form, title=_("Log a course"), cancel_url=reverse("talent:course_list")
    )


@staff_or_coordinator_required
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(user=request.user, pk=pk)
    _require_own_row(request.user, course)
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(actor=request.user, course=course, fields=form.cleaned_data)
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("talent:course_detail", pk=course.pk)
    return _form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": course},
        cancel_url=reverse("talent:course_detail", args=[course.pk]),
        history=selectors.history_for(user=request.user, instance=course),
    )


@coordinator_required
def course_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview (every row's errors) → confirm (all rows in one transaction)."""
    universities = selectors.coordinator_universities(user=request.user)
    context = {
        "columns": imports.COURSE_COLUMNS,
        "programs": selectors.program_choices(kind=Program.Kind.COURSE),
        "terms": Course.Term.choices,
        "title": _("Import courses"),
        "action_url": reverse("talent:course_import"),
    }
    form = CourseImportForm(universities=universities)
    if request.method == "POST" and request.POST.get("step") == "confirm":
        stored = request.session.pop(IMPORT_SESSION_KEY, None)
        if not stored or stored.get("token") != request.POST.get("token"):
            messages.error(request, _("This preview has expired; upload the file again."))
            return redirect("talent:course_import")
        # The university is checked again: membership may have changed since the preview.
        university = universities.filter(pk=stored["university"]).first()
        if university is None:
            raise PermissionDenied
        try:
            created = services.courses_import(
                actor=request.user, university=university, rows=stored["rows"]
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("talent:course_import")
        messages.success(request, _("%(count)d courses were imported.") % {"count": len(created)})
        return redirect("talent:course_list")
    if request.method == "POST":
        form = CourseImportForm(request.POST, request.FILES, universities=universities)
        if form.is_valid():
            university = form.chosen_university()
            try:
                rows = read_table(
                    form.cleaned_data["file"],
                    columns=imports.COLUMN_NAMES,
                    required=imports.REQUIRED,
                )
            except ApplicationError as error:
                form.add_error("file", error.message)
            else:
                errors = imports.course_rows_check(rows=rows, university=university)
                context.update(
                    {"rows": rows, "errors": errors, "previewed": True, "university": university}
                )
                if not errors:
                    token = uuid.uuid4().hex
                    # Plain strings in the JSON session: nothing from the file is unpickled.
                    request.session[IMPORT_SESSION_KEY] = {
                        "token": token,
                        "rows": rows,
                        "university": university.pk,
                    }
                    columns = ["program", "title", "year", "term", "teachers", "students_enrolled"]
                    context.update(
                        {
                            "token": token,
                            "preview_columns": columns,
                            "preview_rows": preview_rows(rows, columns),
                        }
                    )
    context["form"] = form
    return render(request, "talent/course_import.html", context)


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
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        return export_response(
            filename="crowd-tasks",
            fmt=fmt,
            headers=[
                _("University"),
                _("Program"),
                _("Kind"),
                _("Title"),
                _("Team"),
                _("Status"),
                _("Delivered artifact link"),
                _("Delivered on"),
            ],
            rows=(
                [
                    t.university.name,
                    str(t.program or ""),
                    t.get_kind_display(),
                    t.title,
                    t.team,
                    t.get_status_display(),
                    t.artifact_url,
                    t.delivered_on.isoformat() if t.delivered_on else "",
                ]
                for t in tasks
            ),
        )
    return _list_page(
        request,
        template="talent/crowdtask_list.html",
        fragment="talent/_crowdtask_table.html",
        context={"form": form, "page_obj": paginate(request, tasks)},
    )


@coordinator_required
def crowdtask_create(request: HttpRequest) -> HttpResponse:
    universities = selectors.coordinator_universities(user=request.user)
    form = CrowdTaskForm(request.POST or None, universities=universities)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "university"}
        try:
            services.crowdtask_create(
                actor=request.user, university=form.chosen_university(), fields=fields
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The task was logged."))
            return redirect("talent:crowdtask_list")
    return _form_page(
        request,
        form,
        title=_("Log a crowd-development task"),
        cancel_url=reverse("talent:crowdtask_list"),
    )


@staff_or_coordinator_required
def crowdtask_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.crowdtask_get(user=request.user, pk=pk)
    _require_own_row(request.user, task)
    form = CrowdTaskForm(request.POST or None, instance=task)
    if request.method == "POST" and form.is_valid():
        try:
            services.crowdtask_update(actor=request.user, task=task, fields=form.cleaned_data)
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("talent:crowdtask_list")
    return _form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": task},
        cancel_url=reverse("talent:crowdtask_list"),
        history=selectors.history_for(user=request.user, instance=task),
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
    fmt = request.GET.get("format")
    if fmt in {"csv", "xlsx"}:
        return export_response(
            filename="internships",
            fmt=fmt,
            headers=[
                _("University"),
                _("Program"),
                _("Host"),
                _("Students"),
                _("Starts on"),
                _("Ends on"),
            ],
            rows=(
                [
                    i.university.name,
                    str(i.program or ""),
                    i.host_company.legal_name if i.host_company else i.host_name,
                    i.student_count,
                    i.starts_on.isoformat(),
                    i.ends_on.isoformat(),
                ]
                for i in internships
            ),
        )
    return _list_page(
        request,
        template="talent/internship_list.html",
        fragment="talent/_internship_table.html",
        context={"form": form, "page_obj": paginate(request, internships)},
    )


@coordinator_required
def internship_create(request: HttpRequest) -> HttpResponse:
    universities = selectors.coordinator_universities(user=request.user)
    form = InternshipForm(request.POST or None, universities=universities)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "university"}
        try:
            services.internship_create(
                actor=request.user, university=form.chosen_university(), fields=fields
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The internship was logged."))
            return redirect("talent:internship_list")
    return _form_page(
        request, form, title=_("Log an internship"), cancel_url=reverse("talent:internship_list")
    )


@staff_or_coordinator_required
def internship_edit(request: HttpRequest, pk: int) -> HttpResponse:
    internship = selectors.internship_get(user=request.user, pk=pk)
    _require_own_row(request.user, internship)
    form = InternshipForm(request.POST or None, instance=internship)
    if request.method == "POST" and form.is_valid():
        try:
            services.internship_update(
                actor=request.user, internship=internship, fields=form.cleaned_data
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("talent:internship_list")
    return _form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": internship},
        cancel_url=reverse("talent:internship_list"),
        history=selectors.history_for(user=request.user, instance=internship),
    )
