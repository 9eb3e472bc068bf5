"""Benchmark pages: suites and their leaderboards (public), submitting, re-runs, verifying.

The suite list and each leaderboard are readable without an account (the public showcase
links them): anonymous visitors see listed companies' lines only. Company members submit
their own models and follow their runs; center staff verify results.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from innovation_center.accounts.access import (
    company_required,
    get_scoped_or_404,
    is_center_staff,
    is_member_of,
    staff_required,
)
from innovation_center.benchmarks import selectors, services
from innovation_center.benchmarks.models import Suite
from innovation_center.compute.models import AcceleratorType
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import form_page
from innovation_center.evaluation import selectors as evaluation_selectors
from innovation_center.evaluation import services as evaluation
from innovation_center.evaluation.models import Dataset, EvaluationJob


class SubmitForm(forms.Form):
    model = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Model"))

    def __init__(self, *args, models, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = models


class SuiteForm(forms.ModelForm):
    """Staff define a suite: its held-out set, metric, device class, center allocation, rules."""

    class Meta:
        model = Suite
        fields = list(services.SUITE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.filter(kind=Dataset.Kind.HELD_OUT)
        self.fields["training_dataset"].queryset = Dataset.objects.filter(kind=Dataset.Kind.BUILTIN)
        self.fields["allocation"].queryset = services.center_allocations()

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(
                _("“%(slug)s” is a page of its own; choose another short name.") % {"slug": slug}
            )
        return slug


# Paths under /benchmarks/ that a suite's short name would shadow.
RESERVED_SLUGS = {"new", "jobs", "allocations"}


class CenterGrantForm(forms.Form):
    """Hours for the center's own account: suites and verification runs are charged to them."""

    accelerator_type = forms.ModelChoiceField(
        queryset=AcceleratorType.objects.order_by("name"), label=gettext_lazy("Device class")
    )
    hours = forms.DecimalField(
        label=gettext_lazy("Accelerator-hours"), min_value=Decimal("0.01"), decimal_places=2
    )
    device_cap = forms.IntegerField(
        label=gettext_lazy("Concurrent-device cap"), min_value=1, max_value=1000
    )
    starts_on = forms.DateField(label=gettext_lazy("Starts on"))
    ends_on = forms.DateField(label=gettext_lazy("Ends on"))
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    overcommit_reason = forms.CharField(
        label=gettext_lazy("Reason to grant beyond the pool's limit"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Only needed when the pool is already fully committed."),
    )


def suite_list(request: HttpRequest) -> HttpResponse:
    device_class = request.GET.get("device_class", "")
    suites = selectors.suite_list(device_class=device_class)
    classes = sorted(set(selectors.suite_list().values_list("accelerator_type__name", flat=True)))
    return render(
        request,
        "benchmarks/suite_list.html",
        {
            "suites": suites,
            "classes": classes,
            "device_class": device_class,
            "is_staff": is_center_staff(request.user),
        },
    )


def _member_context(request: HttpRequest, suite: Suite) -> dict:
    company = evaluation_selectors.member_company(
        user=request.user, company_id=request.GET.get("company")
    )
    if company is None:
        return {}
    models = evaluation_selectors.model_list(user=request.user, company=company).filter(
        input_dim=suite.dataset.n_features
    )
    left, frees_at = services.submissions_left(suite=suite, company=company)
    return {
        "company": company,
        "form": SubmitForm(models=models),
        "runs": selectors.company_runs(suite=suite, user=request.user, company=company),
        "left": left,
        "frees_at": frees_at,
    }


def suite_detail(request: HttpRequest, slug: str) -> HttpResponse:
    suite = get_object_or_404(
        Suite.objects.select_related("dataset", "training_dataset", "accelerator_type"), slug=slug
    )
    user = request.user if request.user.is_authenticated else None
    context = {
        "suite": suite,
        "entries": selectors.leaderboard(suite=suite, user=user),
        "is_staff": is_center_staff(request.user),
    }
    if user is not None:
        context.update(_member_context(request, suite))
    return render(request, "benchmarks/suite_detail.html", context)


@require_POST
@company_required
def suite_submit(request: HttpRequest, slug: str) -> HttpResponse:
    suite = get_object_or_404(Suite, slug=slug)
    company = evaluation_selectors.member_company(
        user=request.user, company_id=request.POST.get("company")
    )
    if company is None:
        raise PermissionDenied(_("Only members of a partner company submit to suites."))
    form = SubmitForm(
        request.POST, models=evaluation_selectors.model_list(user=request.user, company=company)
    )
    if not form.is_valid():
        messages.error(request, _("Choose one of your models to submit."))
        return redirect("benchmarks:suite_detail", slug=slug)
    try:
        submission = services.suite_submit(
            suite=suite, company=company, model=form.cleaned_data["model"], actor=request.user
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(model)s was submitted as job #%(job)s; it runs on the center's hours.")
            % {"model": submission.model.name, "job": submission.job_id},
        )
    return redirect("benchmarks:suite_detail", slug=slug)


def _job(request: HttpRequest, pk: int) -> EvaluationJob:
    return get_scoped_or_404(
        request.user, EvaluationJob, EvaluationJob.objects.select_related("company"), pk=pk
    )


@require_POST
@staff_required
def job_verify(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        verification = services.result_verify(job=job, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Job #%(job)s is being re-run as job #%(rerun)s on the center's allocation.")
            % {"job": job.pk, "rerun": verification.job_id},
        )
    return redirect("evaluation:job_detail", pk=pk)


@require_POST
@company_required
def job_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if not is_member_of(request.user, job.company):
        raise PermissionDenied(_("Only the company's members run its jobs again."))
    try:
        again = evaluation.job_rerun(job=job, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("evaluation:job_detail", pk=pk)
    messages.success(request, _("Job #%(id)s runs the same inputs again.") % {"id": again.pk})
    return redirect("evaluation:job_detail", pk=again.pk)


def _suite_fields(form) -> dict:
    return {name: form.cleaned_data[name] for name in services.SUITE_FIELDS}


@staff_required
def suite_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        form_class=SuiteForm,
        save=lambda form: services.suite_save(actor=request.user, **_suite_fields(form)),
        title=_("New benchmark suite"),
        cancel_url=reverse("benchmarks:suite_list"),
        success_url=lambda suite: reverse("benchmarks:suite_detail", args=[suite.slug]),
        message=lambda suite: _("The suite %(name)s was created.") % {"name": suite.name},
    )


@staff_required
def suite_edit(request: HttpRequest, slug: str) -> HttpResponse:
    suite = get_object_or_404(Suite, slug=slug)
    return form_page(
        request,
        form_class=SuiteForm,
        instance=suite,
        # The form already wrote its values onto `suite`: the service gets the stored row,
        # so the audit's "before" is what was there.
        save=lambda form: services.suite_save(
            actor=request.user, suite=Suite.objects.get(pk=suite.pk), **_suite_fields(form)
        ),
        title=_("Change the suite %(name)s") % {"name": suite.name},
        cancel_url=reverse("benchmarks:suite_detail", args=[slug]),
        success_url=lambda saved: reverse("benchmarks:suite_detail", args=[saved.slug]),
    )


@staff_required
def center_allocation_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "benchmarks/center_allocations.html",
        {"allocations": services.center_allocations(), "today": clock.today()},
    )


@staff_required
def center_allocation_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        form_class=CenterGrantForm,
        save=lambda form: services.center_allocation_grant(actor=request.user, **form.cleaned_data),
        title=_("Grant the center's account hours"),
        cancel_url=reverse("benchmarks:center_allocations"),
        message=lambda grant: (
            _("The center's account has %(hours)s hours on %(type)s.")
            % {"hours": grant.hours_granted, "type": grant.accelerator_type}
        ),
    )
