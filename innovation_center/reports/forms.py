import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from innovation_center.core import clock


def parse_month(value: str) -> tuple[int, int]:
    """'YYYY-MM' → (year, month); ValueError with a message saying what is expected."""
    try:
        year, month = (int(part) for part in value.strip().split("-"))
        dt.date(year, month, 1)
    except (ValueError, AttributeError):
        raise ValueError(_("Write the month as YYYY-MM, for example 2026-10.")) from None
    today = clock.today()
    if (year, month) > (today.year, today.month):
        raise ValueError(_("Choose this month or an earlier one."))
    return year, month


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Month"), widget=forms.TextInput(attrs={"type": "month"}), required=True
    )

    def clean_month(self):
        try:
            return parse_month(self.cleaned_data["month"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
