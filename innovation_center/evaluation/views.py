"""Pages of the partner-company portal: home, models, data sets, jobs and their results.

Thin views: parse, call a selector or service, render. An htmx request gets the fragment
(`_name.html`), a plain request the whole page or a redirect, so every page works without
JavaScript. Rows outside the viewer's scope are 404 (`get_scoped_or_404`), downloads
included; pages for company members only are 403 to everyone else. Center staff may read
jobs, models and data sets of every company but change nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from innovation_center.accounts.access import (
    company_required,
    get_scoped_or_404,
    is_center_staff,
    is_company_owner,
    is_member_of,
    sees_several_companies,
    staff_or_company_required,
    viewer_for,
)
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import apply_service_errors, query_without
from innovation_center.core.htmx import page_or_fragment
from innovation_center.core.pagination import paginate
from innovation_center.evaluation import provenance, selectors, services
from innovation_center.evaluation.energy import energy
from innovation_center.evaluation.forms import (
    DatasetUploadForm,
    JobFilterForm,
    JobSubmitForm,
    ModelUploadForm,
)
from innovation_center.evaluation.models import Dataset, EvaluationJob, ModelArtifact


def _chosen_company(request: HttpRequest):
    """The company the page works for: `?company=` (or the form's) among the user's, else their
    first; 403 when the user belongs to no company."""
    company = selectors.member_company(
        user=request.user,
        company_id=request.POST.get("company") or request.GET.get("company"),
    )
    if company is None:
        raise PermissionDenied(_("Only members of a partner company use the portal."))
    return company


# Home ----------------------------------------------------------------------------------------


@company_required
def portal_home(request: HttpRequest) -> HttpResponse:
    company = _chosen_company(request)
    companies = list(selectors.member_companies(user=request.user))
    running, recent = selectors.company_jobs(user=request.user, company=company)
    solutions, engagements = selectors.company_solutions(user=request.user, company=company)
    models_count = selectors.model_list(user=request.user, company=company).count()
    context = {
        "company": company,
        "companies": companies,
        "allocations": selectors.company_allocations(user=request.user, company=company),
        "running": running,
        "recent": recent,
        "solutions": solutions,
        "engagements": engagements,
        "models_count": models_count,
        "can_request": is_company_owner(request.user, company),
    }
    return render(request, "evaluation/portal_home.html", context)


# Models --------------------------------------------------------------------------------------


@staff_or_company_required
def model_list(request: HttpRequest) -> HttpResponse:
    models = selectors.model_list(user=request.user)
    context = {
        "page_obj": paginate(request, models),
        "query": query_without(request),
        "is_member": viewer_for(request.user).is_company_member,
        "show_company": sees_several_companies(request.user),
    }
    return page_or_fragment(
        request,
        page="evaluation/model_list.html",
        fragment="evaluation/_model_table.html",
        context=context,
    )


def _upload_page(request, *, form_class, upload, template: str, stored) -> HttpResponse:
    """The upload page of a model or a data set: the kernel checks the file in the service,
    its message lands next to the file field; on success `stored(row)` says what was kept
    and where to go."""
    form = form_class(
        request.POST or None,
        request.FILES or None,
        companies=selectors.member_companies(user=request.user),
        company=_chosen_company(request),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = upload(
                company=data["company"], actor=request.user, name=data["name"], upload=data["file"]
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            message, target = stored(row)
            messages.success(request, message)
            return redirect(target, pk=row.pk)
    return render(request, template, {"form": form})


@company_required
def model_upload(request: HttpRequest) -> HttpResponse:
    return _upload_page(
        request,
        form_class=ModelUploadForm,
        upload=services.model_upload,
        template="evaluation/model_upload.html",
        stored=lambda artifact: (
            _("Model “%(name)s” was checked and stored: %(layers)s.")
            % {"name": artifact.name, "layers": artifact.layer_summary},
            "evaluation:model_detail",
        ),
    )


def _model_get(user, pk: int) -> ModelArtifact:
    return get_scoped_or_404(
        user,
        ModelArtifact,
        ModelArtifact.objects.select_related("company", "uploaded_by"),
        pk=pk,
    )


@staff_or_company_required
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    artifact = _model_get(request.user, pk)
    jobs = selectors.job_list(user=request.user, model=artifact)
    context = {
        "artifact": artifact,
        "jobs": jobs[:10],
        "job_count": jobs.count(),
        "groups": selectors.model_results(user=request.user, model=artifact),
        "is_member": is_member_of(request.user, artifact.company),
    }
    return render(request, "evaluation/model_detail.html", context)


@staff_or_company_required
def model_results(request: HttpRequest, pk: int) -> HttpResponse:
    artifact = _model_get(request.user, pk)
    context = {
        "artifact": artifact,
        "groups": selectors.model_results(user=request.user, model=artifact),
    }
    return page_or_fragment(
        request,
        page="evaluation/model_results.html",
        fragment="evaluation/_model_results.html",
        context=context,
    )


# Data sets -----------------------------------------------------------------------------------


@staff_or_company_required
def dataset_list(request: HttpRequest) -> HttpResponse:
    datasets = selectors.dataset_list(user=request.user)
    context = {
        "page_obj": paginate(request, datasets),
        "query": query_without(request),
        "is_member": viewer_for(request.user).is_company_member,
        "show_company": sees_several_companies(request.user),
    }
    return page_or_fragment(
        request,
        page="evaluation/dataset_list.html",
        fragment="evaluation/_dataset_table.html",
        context=context,
    )


@company_required
def dataset_upload(request: HttpRequest) -> HttpResponse:
    return _upload_page(
        request,
        form_class=DatasetUploadForm,
        upload=services.dataset_upload,
        template="evaluation/dataset_upload.html",
        stored=lambda dataset: (
            _("Data set “%(name)s” was checked and stored: %(samples)d samples.")
            % {"name": dataset.name, "samples": dataset.n_samples},
            "evaluation:dataset_detail",
        ),
    )


@staff_or_company_required
def dataset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = get_scoped_or_404(
        request.user, Dataset, Dataset.objects.select_related("company"), pk=pk
    )
    jobs = selectors.job_list(user=request.user).filter(dataset=dataset)
    return render(
        request,
        "evaluation/dataset_detail.html",
        {"dataset": dataset, "jobs": jobs[:20], "job_count": jobs.count()},
    )


# Jobs ----------------------------------------------------------------------------------------


@staff_or_company_required
def job_list(request: HttpRequest) -> HttpResponse:
    form = JobFilterForm(request.GET, models=selectors.model_list(user=request.user))
    form.is_valid()
    chosen = form.cleaned_data
    jobs = selectors.job_list(
        user=request.user, status=chosen.get("status") or None, model=chosen.get("model")
    )
    context = {
        "form": form,
        "page_obj": paginate(request, jobs),
        "query": query_without(request),
        "is_member": viewer_for(request.user).is_company_member,
        "show_company": sees_several_companies(request.user),
    }
    return page_or_fragment(
        request,
        page="evaluation/job_list.html",
        fragment="evaluation/_job_table.html",
        context=context,
    )


def _submit_form(request: HttpRequest, company) -> JobSubmitForm:
    initial = {}
    for name in ("model", "dataset", "allocation"):
        if request.GET.get(name):
            initial[name] = request.GET[name]
    return JobSubmitForm(
        request.POST or None,
        initial=initial,
        models=selectors.model_list(user=request.user, company=company),
        datasets=selectors.dataset_list(user=request.user, company=company),
        allocations=selectors.active_allocations(user=request.user, company=company),
    )


@company_required
def job_submit(request: HttpRequest) -> HttpResponse:
    """Two steps: "estimate" shows what the job will cost; "confirm" submits it."""
    company = _chosen_company(request)
    form = _submit_form(request, company)
    estimate = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "company": company,
            "model": data["model"],
            "dataset": data["dataset"],
            "allocation": data["allocation"],
            "devices": data["devices"],
            "batch_size": data["batch_size"],
        }
        try:
            if request.POST.get("step") == "confirm":
                job = services.job_submit(actor=request.user, priority=data["priority"], **fields)
            else:
                estimate = services.job_estimate(**fields)
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            if estimate is None:
                messages.success(
                    request,
                    _("Job #%(id)s was submitted; %(hours)s accelerator-hours are reserved.")
                    % {"id": job.pk, "hours": job.estimate_hours.normalize()},
                )
                target = reverse("evaluation:job_detail", args=[job.pk])
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target
                    return response
                return redirect(target)
    context = {
        "form": form,
        "company": company,
        "companies": list(selectors.member_companies(user=request.user)),
        "estimate": estimate,
        "balance_after": estimate.available_hours - estimate.reserve_hours if estimate else None,
        "has_models": form.fields["model"].queryset.exists(),
        "has_allocations": form.fields["allocation"].queryset.exists(),
        "can_request": is_company_owner(request.user, company),
    }
    return page_or_fragment(
        request,
        page="evaluation/job_submit.html",
        fragment="evaluation/_job_form.html",
        context=context,
    )


def _job_get(user, pk: int) -> EvaluationJob:
    return get_scoped_or_404(
        user,
        EvaluationJob,
        EvaluationJob.objects.select_related(
            *selectors.JOB_RELATED, "allocation__accelerator_type"
        ),
        pk=pk,
    )


def _job_context(request: HttpRequest, job: EvaluationJob) -> dict:
    result = getattr(job, "result", None) if job.status == EvaluationJob.Status.SUCCEEDED else None
    labels, heat_rows = selectors.confusion_heatmap(result) if result else ([], [])
    is_member = is_member_of(request.user, job.company)
    return {
        "job": job,
        "result": result,
        "labels": labels,
        "heat_rows": heat_rows,
        "retries": selectors.job_retries(job=job) if job.shards_total else [],
        "leases": [] if job.is_finished else selectors.job_devices_in_use(job=job),
        "queue": selectors.job_queue_info(job=job),
        "percent": round(100 * job.shards_done / job.shards_total) if job.shards_total else 0,
        "is_member": is_member,
        "is_staff": is_center_staff(request.user),
        "can_cancel": is_member and not job.is_finished,
        "energy": energy(result.energy_joules) if result else None,
        "reproduces": _reproduces(job, result),
    }


def _reproduces(job: EvaluationJob, result) -> bool | None:
    """For a re-run: did it give the original's figures? None when there is nothing to say."""
    original = getattr(job.rerun_of, "result", None) if job.rerun_of_id and result else None
    return provenance.compare(original, result).agrees if original else None


@staff_or_company_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_get(request.user, pk)
    context = _job_context(request, job)
    if request.htmx:
        return render(request, "evaluation/_job_status.html", context)
    return render(request, "evaluation/job_detail.html", context)


@require_POST
@company_required
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_get(request.user, pk)
    if not is_member_of(request.user, job.company):
        raise PermissionDenied
    try:
        job = services.job_cancel(job=job, actor=request.user)
    except ApplicationError as error:
        notice, level = error.message, messages.ERROR
    else:
        level = messages.SUCCESS
        if job.status == EvaluationJob.Status.CANCELLED:
            notice = _("Job #%(id)s was cancelled; its reserve was refunded.") % {"id": job.pk}
        else:
            notice = _(
                "Job #%(id)s will stop at the next shard boundary; the shards already "
                "run are charged, the rest of the reserve is refunded."
            ) % {"id": job.pk}
    if request.htmx:
        job = _job_get(request.user, pk)
        context = _job_context(request, job)
        context["notice"] = notice
        return render(request, "evaluation/_job_status.html", context)
    messages.add_message(request, level, notice)
    return redirect("evaluation:job_detail", pk=pk)


@staff_or_company_required
def job_result_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_get(request.user, pk)
    fmt = request.GET.get("format", "json")
    if fmt not in ("json", "csv") or job.status != EvaluationJob.Status.SUCCEEDED:
        raise Http404(_("There is no such result."))
    if not hasattr(job, "result"):
        raise Http404(_("There is no such result."))
    if fmt == "csv":
        response = HttpResponse(
            selectors.result_csv(job=job), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            selectors.result_json(job=job), content_type="application/json; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-result.{fmt}"'
    return response
