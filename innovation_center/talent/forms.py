from django import forms
from django.utils.translation import gettext_lazy as _

from innovation_center.core.imports import ImportUploadForm
from innovation_center.core.numbers import plain_number_formfield
from innovation_center.talent.models import Course, CrowdTask, Internship, Program

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UniversityChoiceMixin:
    """A `university` field only when the coordinator has several; never one outside theirs."""

    def add_university_field(self, universities) -> None:
        self.universities = list(universities)
        if len(self.universities) > 1:
            self.fields = {
                "university": forms.ModelChoiceField(
                    label=_("University"),
                    queryset=universities,
                    empty_label=None,
                ),
                **self.fields,
            }

    def chosen_university(self):
        if len(self.universities) > 1:
            return self.cleaned_data["university"]
        return self.universities[0]


class CourseForm(UniversityChoiceMixin, forms.ModelForm):
    teachers = forms.CharField(
        label=_("Teachers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One name per line (or separated by semicolons)."),
    )

    class Meta:
        model = Course
        fields = ["program", "title", "year", "term", "teachers", "students_enrolled", "hours"]
        formfield_callback = plain_number_formfield

    def __init__(self, *args, universities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["teachers"] = "\n".join(t.name for t in self.instance.teachers.all())
        self.fields["program"].queryset = Program.objects.filter(kind=Program.Kind.COURSE)
        if universities is not None:
            self.add_university_field(universities)


class CrowdTaskForm(UniversityChoiceMixin, forms.ModelForm):
    artifact_url = forms.URLField(
        label=_("delivered artifact link"), required=False, assume_scheme="https"
    )

    class Meta:
        model = CrowdTask
        fields = ["program", "kind", "title", "team", "status", "artifact_url", "delivered_on"]
        widgets = {"delivered_on": DATE}

    def __init__(self, *args, universities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.filter(kind=Program.Kind.CROWD)
        if universities is not None:
            self.add_university_field(universities)


class InternshipForm(UniversityChoiceMixin, forms.ModelForm):
    class Meta:
        model = Internship
        fields = ["program", "host_name", "student_count", "starts_on", "ends_on"]
        formfield_callback = plain_number_formfield
        widgets = {"starts_on": DATE, "ends_on": DATE}
        labels = {"host_name": _("Host")}
        help_texts = {
            "host_name": _(
                "The host company or institution; a center company's exact legal name links it."
            )
        }

    def __init__(self, *args, universities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.filter(kind=Program.Kind.INTERNSHIP)
        # The host is required by the service (the API's rule too, with its message); the
        # browser is told so as well.
        self.fields["host_name"].widget.attrs["required"] = True
        if universities is not None:
            self.add_university_field(universities)


class CourseImportForm(UniversityChoiceMixin, ImportUploadForm):
    def __init__(self, *args, universities, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_university_field(universities)


def _year_choices(years):
    return [("", _("All"))] + [(str(y), str(y)) for y in years]


def _named_choices(rows):
    return [("", _("All"))] + [(str(r.pk), str(r)) for r in rows]


class CourseFilterForm(forms.Form):
    q = forms.CharField(label=_("Title"), required=False)
    year = forms.ChoiceField(label=_("Year"), required=False)
    term = forms.ChoiceField(
        label=_("Term"), required=False, choices=[("", _("All"))] + Course.Term.choices
    )
    program = forms.ChoiceField(label=_("Program"), required=False)
    university = forms.ChoiceField(label=_("University"), required=False)

    def __init__(self, *args, years=(), programs=(), universities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(years)
        self.fields["program"].choices = _named_choices(programs)
        if len(universities) > 1:
            self.fields["university"].choices = _named_choices(universities)
        else:
            del self.fields["university"]


class CrowdTaskFilterForm(forms.Form):
    q = forms.CharField(label=_("Title"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All"))] + CrowdTask.Kind.choices
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + CrowdTask.Status.choices
    )
    program = forms.ChoiceField(label=_("Program"), required=False)
    university = forms.ChoiceField(label=_("University"), required=False)

    def __init__(self, *args, programs=(), universities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = _named_choices(programs)
        if len(universities) > 1:
            self.fields["university"].choices = _named_choices(universities)
        else:
            del self.fields["university"]


class InternshipFilterForm(forms.Form):
    year = forms.ChoiceField(label=_("Year"), required=False)
    program = forms.ChoiceField(label=_("Program"), required=False)
    university = forms.ChoiceField(label=_("University"), required=False)

    def __init__(self, *args, years=(), programs=(), universities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(years)
        self.fields["program"].choices = _named_choices(programs)
        if len(universities) > 1:
            self.fields["university"].choices = _named_choices(universities)
        else:
            del self.fields["university"]


class OverviewFilterForm(forms.Form):
    year = forms.ChoiceField(label=_("Year"), required=False)
    program = forms.ChoiceField(label=_("Program"), required=False)

    def __init__(self, *args, years=(), programs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(years)
        self.fields["program"].choices = _named_choices(programs)
