from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EcosystemConfig(AppConfig):
    name = "innovation_center.ecosystem"
    verbose_name = _("Ecosystem")
