"""Forms of the program pages: they check shape only; the services enforce the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from innovation_center.accounts.names import display_name
from innovation_center.ecosystem.models import Industry
from innovation_center.programs.models import Call

# Paths under /programs/calls/ that a call's short name would shadow.
RESERVED_SLUGS = {"new"}


class PanelField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        name = display_name(obj)
        return f"{name} ({obj.get_username()})" if name != obj.get_username() else name


class CallForm(forms.ModelForm):
    """A call's texts (English and Chinese), dates, grant figures and panel."""

    panel = PanelField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Panel"),
        help_text=_("The reviewers assignments are made from."),
    )

    class Meta:
        model = Call
        fields = [
            "kind",
            "slug",
            "title",
            "title_zh",
            "text",
            "text_zh",
            "eligibility",
            "eligibility_zh",
            "opens_on",
            "closes_at",
            "reviews_per_application",
            "hours_pool",
            "accelerator_type",
            "site",
            "grant_starts_on",
            "grant_ends_on",
            "panel",
        ]
        widgets = {
            "opens_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "grant_starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "grant_ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "text": forms.Textarea(attrs={"rows": 5}),
            "text_zh": forms.Textarea(attrs={"rows": 5}),
            "eligibility": forms.Textarea(attrs={"rows": 3}),
            "eligibility_zh": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "closes_at": _("Beijing time. Applications can be changed until this moment."),
            "hours_pool": _("Compute-grant calls: the accepted grants together stay within it."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closes_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["panel"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(
                _("“%(slug)s” is a page of its own; choose another short name.") % {"slug": slug}
            )
        return slug


class QuestionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(label=_("Question"), max_length=500)
    text_zh = forms.CharField(label=_("Question (Chinese)"), max_length=500, required=False)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    max_length = forms.IntegerField(
        label=_("Longest answer (characters)"), min_value=1, max_value=20000, initial=4000
    )


class CriterionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Criterion"), max_length=200)
    name_zh = forms.CharField(label=_("Criterion (Chinese)"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What a 5 looks like"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description_zh = forms.CharField(
        label=_("What a 5 looks like (Chinese)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    weight = forms.DecimalField(
        label=_("Weight"), min_value=Decimal("0.01"), max_digits=5, decimal_places=2, initial=1
    )


QuestionFormSet = forms.formset_factory(QuestionForm, extra=2, can_delete=True, max_num=50)
CriterionFormSet = forms.formset_factory(CriterionForm, extra=2, can_delete=True, max_num=30)


def formset_rows(formset) -> list[dict]:
    """The rows a formset holds, in order: filled-in and not marked for removal."""
    rows = []
    for form in formset.forms:
        if not form.has_changed() and not form.cleaned_data.get("id"):
            continue
        if form.cleaned_data.get("DELETE"):
            continue
        rows.append({k: v for k, v in form.cleaned_data.items() if k != "DELETE"})
    return rows


class RegistrationForm(forms.Form):
    """An applicant without an account: their company, and where the invitation goes."""

    legal_name = forms.CharField(label=_("Company legal name"), max_length=200)
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        min_length=18,
        help_text=_("18 characters, as printed on the business licence."),
    )
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
    city = forms.CharField(label=_("City"), max_length=60)
    email = forms.EmailField(
        label=_("Your e-mail"),
        help_text=_("The invitation to create your account is sent here."),
    )


class ApplyForm(forms.Form):
    company = forms.ModelChoiceField(queryset=None, label=_("Apply for"), empty_label=None)

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies


class ApplicationForm(forms.Form):
    """The company's summary, its answer to each question and, for grants, what it asks."""

    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(application.call.questions.all())
        for question in self.questions:
            self.fields[f"answer_{question.pk}"] = forms.CharField(
                label=question.in_language("text"),
                required=False,
                # The service refuses what is too long with the count; the form only caps
                # what it parses.
                max_length=question.max_length,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("Required to submit; at most %(most)s characters.")
                % {"most": question.max_length}
                if question.required
                else _("Optional; at most %(most)s characters.") % {"most": question.max_length},
            )
        if application.call.kind == Call.Kind.COMPUTE_GRANT:
            self.fields["requested_hours"] = forms.DecimalField(
                label=_("Accelerator-hours asked for"),
                required=False,
                min_value=Decimal("0.01"),
                max_digits=12,
                decimal_places=2,
            )
            self.fields["requested_device_cap"] = forms.IntegerField(
                label=_("Devices at once"), required=False, min_value=1, max_value=100000
            )

    def answers(self) -> dict[int, str]:
        return {q.pk: self.cleaned_data.get(f"answer_{q.pk}", "") for q in self.questions}


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PDF, PNG, JPEG, DOCX, XLSX or PPTX."))


SCORE_CHOICES = [(value, str(value)) for value in range(1, 6)]


class ReviewForm(forms.Form):
    """A 1–5 score per criterion of the rubric, and comments."""

    comments = forms.CharField(
        label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"score_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.in_language("name"),
                choices=SCORE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                help_text=criterion.in_language("description"),
            )
        self.order_fields([*(f"score_{c.pk}" for c in self.criteria), "comments"])

    def scores(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"score_{c.pk}"] for c in self.criteria}


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    feedback = forms.CharField(
        label=_("Feedback to the applicant"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required for a rejection; the company reads it."),
    )

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        if call.kind == Call.Kind.COMPUTE_GRANT:
            self.fields["hours"] = forms.DecimalField(
                label=_("Accelerator-hours granted"),
                required=False,
                min_value=Decimal("0.01"),
                max_digits=12,
                decimal_places=2,
                help_text=_("Empty: the hours asked for."),
            )
            self.fields["device_cap"] = forms.IntegerField(
                label=_("Devices at once"),
                required=False,
                min_value=1,
                max_value=100000,
                help_text=_("Empty: as asked, or what the hours need."),
            )
            self.fields["overcommit_reason"] = forms.CharField(
                label=_("Reason to grant beyond the pool's limit"),
                required=False,
                max_length=500,
                help_text=_("Only needed when the devices are already fully committed."),
            )


class ConflictForm(forms.Form):
    company = forms.ModelChoiceField(queryset=None, label=_("Company"))
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies
