"""Forms of the KPI pages: the half-year report with its funding rounds, and the list filters.

They check shape only; `programs.kpi.kpi_report_save` enforces the rules (a half that has
begun, no negative figures) and its messages land on the fields they name.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from innovation_center.programs.kpi import FIRST_REPORTED_YEAR, MAX_FUNDING_ROUNDS, Period
from innovation_center.programs.models import FundingRound, KpiReport

NOT_NEGATIVE = {"min": "0"}
COUNTS = (
    "employees",
    "patents_filed",
    "patents_granted",
    "copyrights_filed",
    "copyrights_granted",
    "products_launched",
)


def _count(label):
    return forms.IntegerField(label=label, initial=0, widget=forms.NumberInput(NOT_NEGATIVE))


class KpiReportForm(forms.Form):
    company = forms.ModelChoiceField(queryset=None, label=_("Company"))
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_REPORTED_YEAR)
    half = forms.TypedChoiceField(label=_("Half-year"), choices=KpiReport.Half.choices, coerce=int)
    revenue = forms.DecimalField(
        label=_("Revenue in the half-year (CNY)"),
        max_digits=16,
        decimal_places=2,
        initial=0,
        widget=forms.NumberInput({**NOT_NEGATIVE, "step": "0.01"}),
    )
    employees = _count(_("Employees"))
    patents_filed = _count(_("Patents filed"))
    patents_granted = _count(_("Patents granted"))
    copyrights_filed = _count(_("Software copyrights filed"))
    copyrights_granted = _count(_("Software copyrights granted"))
    products_launched = _count(_("Products launched"))
    high_tech_enterprise = forms.BooleanField(label=_("High-tech enterprise"), required=False)
    acquired_or_listed = forms.BooleanField(
        label=_("Acquired, merged or listed on a stock market"), required=False
    )

    def __init__(self, *args, companies, fixed_period: Period | None = None, **kwargs):
        # Its own ids: the list's filter form on the same page has a "company" field too.
        kwargs.setdefault("auto_id", "report_%s")
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies
        if len(companies) == 1:
            # One company: nothing to choose.
            self.fields["company"].initial = companies[0].pk
            self.fields["company"].widget = forms.HiddenInput()
        if fixed_period:
            # Editing a filed report: its half-year is what is being replaced.
            for name in ("year", "half"):
                self.fields[name].widget = forms.HiddenInput()
            self.fields["year"].initial = fixed_period.year
            self.fields["half"].initial = fixed_period.half


class FundingRoundForm(forms.Form):
    round = forms.ChoiceField(
        label=_("Round"), choices=[("", "—"), *FundingRound.Round.choices], required=False
    )
    amount = forms.DecimalField(
        label=_("Amount (CNY)"),
        max_digits=16,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput({"min": "0.01", "step": "0.01"}),
    )
    investors = forms.CharField(label=_("Investors"), max_length=500, required=False)

    def clean(self):
        data = super().clean()
        if data.get("amount") is not None and not data.get("round"):
            self.add_error("round", _("Choose the kind of round."))
        if data.get("round") and data.get("amount") is None:
            self.add_error("amount", _("Enter the amount."))
        return data


FundingFormSet = forms.formset_factory(
    FundingRoundForm, extra=2, max_num=MAX_FUNDING_ROUNDS, validate_max=True
)


def funding_rows(formset) -> list[dict]:
    """The filled-in rounds of a valid formset (blank rows are left out)."""
    return [
        {
            "round": form.cleaned_data["round"],
            "amount": form.cleaned_data["amount"],
            "investors": form.cleaned_data.get("investors", ""),
        }
        for form in formset.forms
        if form.cleaned_data.get("round")
    ]


def report_initial(report: KpiReport) -> tuple[dict, list[dict]]:
    """What the forms show to edit a filed report."""
    initial = {name: getattr(report, name) for name in (*COUNTS, "revenue")}
    initial.update(
        company=report.company_id,
        year=report.year,
        half=report.half,
        high_tech_enterprise=report.high_tech_enterprise,
        acquired_or_listed=report.acquired_or_listed,
    )
    rounds = [
        {"round": f.round, "amount": f.amount, "investors": f.investors}
        for f in report.funding.all()
    ]
    return initial, rounds


def period_choices(periods: list[Period]) -> list[tuple[str, str]]:
    return [("", _("All"))] + [(p.code, p.code) for p in periods]


class KpiFilterForm(forms.Form):
    company = forms.ModelChoiceField(queryset=None, label=_("Company"), required=False)
    period = forms.ChoiceField(label=_("Half-year"), required=False)

    def __init__(self, *args, companies, periods: list[Period], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies
        self.fields["company"].empty_label = _("All")
        self.fields["period"].choices = period_choices(periods)
