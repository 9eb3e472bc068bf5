from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from innovation_center.accounts.models import Organisation
from innovation_center.accounts.names import display_name
from innovation_center.core import clock
from innovation_center.ecosystem.models import (
    Company,
    Engagement,
    Industry,
    LifecycleStage,
    Milestone,
    Solution,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CompanyForm(forms.ModelForm):
    """Shape and the model's own validation (the USCC check digit lands on its field)."""

    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Company
        fields = [
            "legal_name",
            "uscc",
            "industry",
            "city",
            "size",
            "description",
            "website",
            "contact_email",
            "applied_on",
        ]
        widgets = {"applied_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}


class CompanyExitForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the exit"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class CompanyFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or credit code"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + Company.Status.choices
    )
    industry = forms.ChoiceField(
        label=_("Industry"), required=False, choices=[("", _("All"))] + Industry.choices
    )
    city = forms.ChoiceField(label=_("City"), required=False)
    stage = forms.ChoiceField(
        label=_("Lifecycle stage"),
        required=False,
        choices=[("", _("All"))] + LifecycleStage.choices,
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name (A–Z)")),
            ("-name", _("Name (Z–A)")),
            ("status", _("Status")),
            ("industry", _("Industry")),
            ("city", _("City")),
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
        ],
    )

    def __init__(self, *args, cities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].choices = [("", _("All"))] + [(c, c) for c in cities]


def staff_users():
    return (
        get_user_model()
        .objects.filter(memberships__organisation__kind=Organisation.Kind.CENTER, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class EngagementForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = ["title", "owner", "started_on", "target_on", "notes"]
        widgets = {
            "started_on": DATE,
            "target_on": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
        self.fields["owner"].label_from_instance = display_name


class EngagementAdvanceForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class SolutionForm(forms.ModelForm):
    class Meta:
        model = Solution
        fields = [
            "name",
            "summary",
            "vertical",
            "status",
            "launched_on",
            "companies",
            "showcase_text",
        ]
        widgets = {
            "launched_on": DATE,
            "summary": forms.Textarea(attrs={"rows": 3}),
            "showcase_text": forms.Textarea(attrs={"rows": 6}),
            "companies": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["companies"].queryset = (
            Company.objects.partners().only("id", "legal_name").order_by("legal_name")
        )

    def clean(self):
        data = super().clean()
        # Marking a solution launched without a date means it launched today.
        if data.get("status") == Solution.Status.LAUNCHED and not data.get("launched_on"):
            data["launched_on"] = clock.today()
        return data


class SolutionFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False)
    vertical = forms.ChoiceField(
        label=_("Industry vertical"), required=False, choices=[("", _("All"))] + Industry.choices
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + Solution.Status.choices
    )
    published = forms.ChoiceField(
        label=_("Showcase"),
        required=False,
        choices=[("", _("All")), ("yes", _("Published")), ("no", _("Not published"))],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name (A–Z)")),
            ("-name", _("Name (Z–A)")),
            ("status", _("Status")),
            ("vertical", _("Industry vertical")),
            ("newest", _("Newest first")),
        ],
    )


class MilestoneForm(forms.ModelForm):
    evidence_url = forms.URLField(label=_("evidence link"), required=False, assume_scheme="https")

    class Meta:
        model = Milestone
        fields = ["title", "due_on", "evidence", "evidence_url"]
        widgets = {"due_on": DATE, "evidence": forms.Textarea(attrs={"rows": 2})}


class MilestoneCompleteForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), required=False, widget=DATE)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence_url = forms.URLField(label=_("Evidence link"), required=False, assume_scheme="https")
