"""Forms of the portal: they validate shape; the services enforce the rules (and the kernel
validates the files)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from innovation_center.evaluation.models import EvaluationJob
from innovation_center.evaluation.services import MAX_BATCH_SIZE

MAX_PRIORITY = 10
BATCH_SIZE_TOO_LARGE = _(
    "The batch size must be at most %(limit_value)s rows; 256 suits most models."
)


class CompanyChoiceMixin:
    """A `company` field limited to the user's companies; hidden when there is only one."""

    def _set_companies(self, companies, company) -> None:
        self.fields["company"].queryset = companies
        self.fields["company"].initial = company.pk if company else None
        if len(companies) <= 1:
            self.fields["company"].widget = forms.HiddenInput()


class ModelUploadForm(CompanyChoiceMixin, forms.Form):
    company = forms.ModelChoiceField(label=_("Company"), queryset=None, empty_label=None)
    name = forms.CharField(label=_("Name"), max_length=200)
    file = forms.FileField(
        label=_("Model file"),
        help_text=_(
            "A .npz file of dense layers (W0, b0, W1, b1, … and a manifest) or an ONNX "
            "multilayer perceptron. It is checked on upload and never executed."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".npz,.onnx"}),
    )

    def __init__(self, *args, companies, company, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_companies(companies, company)


class DatasetUploadForm(CompanyChoiceMixin, forms.Form):
    company = forms.ModelChoiceField(label=_("Company"), queryset=None, empty_label=None)
    name = forms.CharField(label=_("Name"), max_length=200)
    file = forms.FileField(
        label=_("Data file"),
        help_text=_(
            "An .npz file with arrays X (samples × features) and y (labels), or a CSV file "
            "with numeric features and the label in the last column."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".npz,.csv,.txt"}),
    )

    def __init__(self, *args, companies, company, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_companies(companies, company)


class SelectWithData(forms.Select):
    """A select whose options carry `data-<name>` attributes of their rows, for app.js."""

    def __init__(self, *args, data_of=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.data_of = data_of or (lambda row: {})

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        row = getattr(value, "instance", None)
        if row is not None:
            option["attrs"].update(
                {f"data-{key}": str(item) for key, item in self.data_of(row).items()}
            )
        return option


class JobSubmitForm(forms.Form):
    """The job's inputs; the choices are the company's own rows (and the built-in data sets).

    Only data sets with as many features as the chosen model has inputs are offered: on the
    server once a model is chosen, and in the browser as the choice changes (app.js hides
    the others through `data-inputs` / `data-features`).
    """

    model = forms.ModelChoiceField(
        label=_("Model"),
        queryset=None,
        widget=SelectWithData(
            attrs={"data-filters": "dataset"}, data_of=lambda m: {"inputs": m.input_dim}
        ),
    )
    dataset = forms.ModelChoiceField(
        label=_("Data set"),
        queryset=None,
        widget=SelectWithData(data_of=lambda d: {"features": d.n_features}),
    )
    allocation = forms.ModelChoiceField(label=_("Allocation"), queryset=None)
    devices = forms.IntegerField(
        label=_("Devices"),
        min_value=1,
        initial=1,
        help_text=_("Simulated accelerators that evaluate the data set in parallel."),
    )
    batch_size = forms.IntegerField(
        label=_("Batch size"),
        min_value=1,
        max_value=MAX_BATCH_SIZE,
        initial=256,
        help_text=_("Rows per global batch, split evenly across the devices."),
        error_messages={"max_value": BATCH_SIZE_TOO_LARGE},
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=-MAX_PRIORITY,
        max_value=MAX_PRIORITY,
        initial=0,
        help_text=_("From -10 to 10; higher runs first among your company's jobs."),
    )

    def __init__(self, *args, models, datasets, allocations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = models
        self.fields["dataset"].queryset = datasets
        self.fields["allocation"].queryset = allocations
        self.fields["allocation"].label_from_instance = self._allocation_label
        # Nothing to choose between: preselect the only model and the only allocation.
        for name, queryset in (("model", models), ("allocation", allocations)):
            if len(queryset) == 1:
                self.fields[name].empty_label = None
                self.fields[name].initial = queryset[0].pk
        self.fields["dataset"].label_from_instance = self._dataset_label
        # A posted form keeps every data set: a mismatch then gets the service's own message
        # (what the model expects, what the data set has), not "not a valid choice".
        chosen = None if self.is_bound else self._chosen_model(models)
        if chosen is not None:
            self.fields["dataset"].queryset = datasets.filter(n_features=chosen.input_dim)

    def _chosen_model(self, models):
        """The model the page is for (asked for in the address, or the only one)."""
        key = self.initial.get("model") or self.fields["model"].initial
        if not key:
            return None
        try:
            return models.filter(pk=int(key)).first()
        except (TypeError, ValueError):
            return None

    @staticmethod
    def _allocation_label(allocation) -> str:
        kind = allocation.accelerator_type or allocation.site or ""
        return _("#%(id)s · %(kind)s · up to %(cap)d devices · until %(end)s") % {
            "id": allocation.pk,
            "kind": kind,
            "cap": allocation.device_cap,
            "end": allocation.ends_on.isoformat(),
        }

    @staticmethod
    def _dataset_label(dataset) -> str:
        kind = _("built-in") if dataset.company_id is None else _("yours")
        return _("%(name)s (%(kind)s, %(samples)d × %(features)d)") % {
            "name": dataset.name,
            "kind": kind,
            "samples": dataset.n_samples,
            "features": dataset.n_features,
        }


class JobFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *EvaluationJob.Status.choices],
    )
    model = forms.ModelChoiceField(
        label=_("Model"), queryset=None, required=False, empty_label=_("Any model")
    )

    def __init__(self, *args, models, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = models
