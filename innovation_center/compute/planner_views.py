"""The staff what-if planner: replay recorded demand against a changed fleet (compute.whatif)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from innovation_center.accounts.access import scoped_queryset, staff_required
from innovation_center.compute import whatif as planning
from innovation_center.compute.models import AcceleratorType, Site
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import apply_service_errors

CHANGES = ("add", "remove")


class WhatIfForm(forms.Form):
    months = forms.IntegerField(
        label=_("Months of history"),
        min_value=1,
        max_value=planning.PAGE_MAX_MONTHS,
        initial=12,
    )
    add_type = forms.ModelChoiceField(
        label=_("Add devices of type"), queryset=AcceleratorType.objects.none(), required=False
    )
    add_site = forms.ModelChoiceField(
        label=_("at site"), queryset=Site.objects.none(), required=False
    )
    add_count = forms.IntegerField(label=_("how many"), min_value=0, max_value=1000, required=False)
    remove_type = forms.ModelChoiceField(
        label=_("Remove devices of type"), queryset=AcceleratorType.objects.none(), required=False
    )
    remove_site = forms.ModelChoiceField(
        label=_("at site"), queryset=Site.objects.none(), required=False
    )
    remove_count = forms.IntegerField(
        label=_("how many"), min_value=0, max_value=1000, required=False
    )
    oversubscription = forms.DecimalField(
        label=_("Over-subscription factor of every pool"),
        min_value=1,
        max_value=5,
        decimal_places=2,
        required=False,
        help_text=_("Empty: each pool keeps its own factor."),
    )
    half_life_days = forms.DecimalField(
        label=_("Fair-share half-life (days)"),
        min_value=0.1,
        max_value=365,
        decimal_places=2,
        required=False,
        help_text=_("Empty: the current setting."),
    )

    def __init__(self, *args, types, sites, **kwargs):
        super().__init__(*args, **kwargs)
        # Interpolated here, in the request's language, not once at import.
        self.fields["months"].help_text = gettext(
            "At most %(months)s months, so the page answers in seconds; "
            "manage.py capacity_whatif replays longer windows."
        ) % {"months": planning.PAGE_MAX_MONTHS}
        for change in CHANGES:
            self.fields[f"{change}_type"].queryset = types
            self.fields[f"{change}_site"].queryset = sites

    def clean(self):
        data = super().clean()
        for change in CHANGES:
            if data.get(f"{change}_count") and not (
                data.get(f"{change}_type") and data.get(f"{change}_site")
            ):
                self.add_error(
                    f"{change}_count", _("Choose the type and the site of these devices.")
                )
        return data

    def scenario(self) -> planning.Scenario:
        data = self.cleaned_data
        changes = [
            ((data[f"{change}_type"].pk, data[f"{change}_site"].pk), sign * data[f"{change}_count"])
            for change, sign in (("add", 1), ("remove", -1))
            if data.get(f"{change}_count")
        ]
        factor, half_life = data.get("oversubscription"), data.get("half_life_days")
        return planning.scenario_build(
            device_changes=changes,
            oversubscription=float(factor) if factor is not None else None,
            half_life_days=float(half_life) if half_life is not None else None,
        )


@staff_required
def whatif(request: HttpRequest) -> HttpResponse:
    """GET with the form's fields replays; without them, only the form is shown."""
    form = WhatIfForm(
        request.GET if "months" in request.GET else None,
        types=scoped_queryset(request.user, AcceleratorType),
        sites=scoped_queryset(request.user, Site),
    )
    comparison = None
    if form.is_bound and form.is_valid():
        try:
            comparison = planning.whatif_run(
                scenario=form.scenario(), months=form.cleaned_data["months"]
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
    return render(
        request,
        "compute/whatif.html",
        {"form": form, "comparison": comparison, "max_months": planning.PAGE_MAX_MONTHS},
    )
