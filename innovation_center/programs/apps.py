from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "innovation_center.programs"
    verbose_name = _("Incubation programs")
