"""Forms of the compute pages: they validate shape; the services enforce the rules."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from innovation_center.compute.models import (
    Accelerator,
    AcceleratorType,
    Allocation,
    AllocationRequest,
    CapacityPool,
    Site,
)
from innovation_center.compute.services import DEVICE_CAP_MAX
from innovation_center.core import clock
from innovation_center.core.forms import SearchChoiceField
from innovation_center.core.numbers import PlainDecimalField, PlainIntegerField
from innovation_center.ecosystem.models import Company

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Shape only: the hours above zero, the cap's range and the period's bounds are the services'
# rules, so the pages and the API refuse the same input with the same message. The widgets
# still tell the browser the range.
HOURS = {
    "max_digits": 12,
    "decimal_places": 2,
    "widget": forms.NumberInput(attrs={"min": "0.01"}),
}
DEVICE_CAP_WIDGET = forms.NumberInput(attrs={"min": 1, "max": DEVICE_CAP_MAX})
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class AllocationRequestForm(forms.Form):
    """A new request for accelerator-hours (the company is the owner's, chosen by the view)."""

    company = forms.ModelChoiceField(label=_("Company"), queryset=None)
    accelerator_type = forms.ModelChoiceField(
        label=_("Accelerator type"),
        queryset=AcceleratorType.objects.all(),
        required=False,
        empty_label=_("Any type"),
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.all(), required=False, empty_label=_("Any site")
    )
    hours = PlainDecimalField(label=_("Accelerator-hours"), **HOURS)
    device_cap = PlainIntegerField(
        label=_("Concurrent-device cap"),
        widget=DEVICE_CAP_WIDGET,
        help_text=_("The most devices your jobs may use at the same time."),
    )
    starts_on = forms.DateField(label=_("Period start"), widget=DATE)
    ends_on = forms.DateField(label=_("Period end"), widget=DATE)
    purpose = forms.CharField(
        label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    expected_outcome = forms.CharField(
        label=_("Expected outcome"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        required=False,
    )

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies
        only = list(companies[:2])
        if len(only) == 1:
            self.fields["company"].initial = only[0].pk
            self.fields["company"].widget = forms.HiddenInput()


class AllocationChangeForm(forms.Form):
    """A renewal (more time) or an enlargement (more hours) of an existing allocation."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (AllocationRequest.Kind.RENEWAL, AllocationRequest.Kind.RENEWAL.label),
            (AllocationRequest.Kind.ENLARGEMENT, AllocationRequest.Kind.ENLARGEMENT.label),
        ],
    )
    hours = PlainDecimalField(label=_("Additional accelerator-hours"), **HOURS)
    device_cap = PlainIntegerField(label=_("Concurrent-device cap"), widget=DEVICE_CAP_WIDGET)
    starts_on = forms.DateField(label=_("Period start"), widget=DATE)
    ends_on = forms.DateField(label=_("Period end"), widget=DATE)
    purpose = forms.CharField(
        label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    expected_outcome = forms.CharField(
        label=_("Expected outcome"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        required=False,
    )

    @classmethod
    def initial_for(cls, allocation: Allocation) -> dict:
        today = clock.today()
        return {
            "kind": AllocationRequest.Kind.RENEWAL,
            "device_cap": allocation.device_cap,
            "starts_on": max(today, allocation.starts_on),
            "ends_on": allocation.ends_on + dt.timedelta(days=90),
        }


class ApproveForm(forms.Form):
    """Approve as asked (the fields start with the asked figures) or with changed figures."""

    hours = PlainDecimalField(label=_("Hours to grant"), **HOURS)
    device_cap = PlainIntegerField(label=_("Device cap"), widget=DEVICE_CAP_WIDGET)
    starts_on = forms.DateField(label=_("Start"), widget=DATE)
    ends_on = forms.DateField(label=_("End"), widget=DATE)
    reason = forms.CharField(label=_("Note to the company"), max_length=2000, required=False)
    overcommit_reason = forms.CharField(
        label=_("Reason to over-commit"),
        max_length=2000,
        required=False,
        help_text=_("Only to grant more than the pool's limit; kept in the history."),
    )

    @classmethod
    def for_request(cls, request: AllocationRequest, data=None) -> ApproveForm:
        return cls(
            data,
            prefix=f"approve-{request.pk}",
            initial={
                "hours": request.hours,
                "device_cap": request.device_cap,
                "starts_on": request.starts_on,
                "ends_on": request.ends_on,
            },
        )


class RejectForm(forms.Form):
    # Emptiness is the service's rule (its message explains that the company reads it).
    reason = forms.CharField(label=_("Reason for the rejection"), max_length=2000, required=False)

    @classmethod
    def for_request(cls, request: AllocationRequest, data=None) -> RejectForm:
        return cls(data, prefix=f"reject-{request.pk}")


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))] + AllocationRequest.Status.choices,
    )
    # A search box, not a select of every company (there may be thousands).
    company = SearchChoiceField(
        queryset=Company.objects.none(),
        label=_("Company"),
        required=False,
        search_url=reverse_lazy("ecosystem:company_search"),
        name_field="legal_name",
        help_text=_("Type part of the name and pick a suggestion; empty for all."),
    )

    def __init__(self, *args, companies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if companies is None:
            del self.fields["company"]
        else:
            self.fields["company"].queryset = companies


class AllocationFilterForm(RequestFilterForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + Allocation.Status.choices
    )


class DeviceFilterForm(forms.Form):
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.all(), required=False, empty_label=_("All")
    )
    accelerator_type = forms.ModelChoiceField(
        label=_("Type"),
        queryset=AcceleratorType.objects.all(),
        required=False,
        empty_label=_("All"),
    )
    health = forms.ChoiceField(
        label=_("Health"), required=False, choices=[("", _("All"))] + Accelerator.Health.choices
    )


class DeviceHealthForm(forms.Form):
    health = forms.ChoiceField(label=_("Health"), choices=Accelerator.Health.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    @classmethod
    def for_device(cls, device: Accelerator, data=None) -> DeviceHealthForm:
        return cls(data, prefix=f"device-{device.pk}", initial={"health": device.health})


class MonthForm(forms.Form):
    """`?month=YYYY-MM`: a month that has started, from the year 2000 on."""

    month = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )

    def clean_month(self) -> tuple[int, int] | None:
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        match = MONTH.match(value)
        if not match or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError(
                _("Enter a month as YYYY-MM, for example 2025-03."), code="format"
            )
        year, month = int(match[1]), int(match[2])
        today = clock.today()
        if (year, month) > (today.year, today.month):
            raise forms.ValidationError(
                _("Choose a month that has started; %(month)s is in the future.")
                % {"month": value},
                code="future",
            )
        if year < 2000:
            raise forms.ValidationError(_("Choose a month from 2000 on."), code="too_old")
        return year, month


class AllocationAdjustForm(forms.Form):
    """Staff correct a live allocation: hours up or down, a new end, a new cap."""

    hours_delta = PlainDecimalField(
        label=_("Change of hours"),
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text=_("Positive to add hours, negative to take unspent hours away."),
    )
    ends_on = forms.DateField(label=_("New end"), required=False, widget=DATE)
    device_cap = PlainIntegerField(
        label=_("New device cap"), min_value=1, max_value=DEVICE_CAP_MAX, required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)


class AllocationReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)


class CapacityPoolForm(forms.ModelForm):
    class Meta:
        model = CapacityPool
        fields = ["oversubscription"]
