from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "innovation_center.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from innovation_center.core import checks  # noqa: F401  (registers system checks)
        from innovation_center.core.text import install_field_validators

        # Every form and API text field refuses control characters (see core/text.py).
        install_field_validators()
