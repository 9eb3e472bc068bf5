from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from innovation_center.accounts.models import Membership, NotificationKind
from innovation_center.accounts.notifications import language_of


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))
    language = forms.ChoiceField(
        label=_("Language of the e-mail"),
        choices=settings.LANGUAGES,
        help_text=_("Used until the person chooses their own language."),
    )

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, Membership.Role(r).label) for r in roles]
        if len(roles) == 1:
            self.fields["role"].initial = roles[0]
        self.fields["language"].initial = translation.get_language()


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, Membership.Role(r).label) for r in roles]


class AcceptForm(forms.Form):
    """A new account's name and password (shown only when the account has no password)."""

    given_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, needs_password=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = translation.get_language()
        if not needs_password:
            for name in ("given_name", "family_name", "password1", "password2"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ; type the same one twice."))
        return data


class ProfileForm(forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    family_name = forms.CharField(
        label=_("Family name"),
        max_length=150,
        required=False,
        help_text=_("Chinese names are shown family name first, with no space (王磊)."),
    )
    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=[("", _("The center's default"))] + list(settings.LANGUAGES),
        required=False,
        help_text=_("Pages after you sign in and every e-mail to you are in this language."),
    )
    email_kinds = forms.MultipleChoiceField(
        label=_("E-mail me about"),
        choices=NotificationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Unticked kinds still appear under Notifications in the product."),
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form; the e-mail is in the person's own language, or the page's when
    they chose none."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        page_language = translation.get_language()
        user = context.get("user")
        with translation.override(language_of(user, default=page_language)):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
