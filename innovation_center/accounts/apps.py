from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "innovation_center.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from innovation_center.accounts import signals  # noqa: F401  (connects the receivers)
