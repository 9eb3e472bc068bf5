"""Configuration problems are system checks, not crashes at the first request."""

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, register

from innovation_center.core.scoping import Scope

OUR_APPS = (
    "accounts",
    "ecosystem",
    "talent",
    "compute",
    "evaluation",
    "benchmarks",
    "programs",
    "reports",
)


@register(Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs):
    if not settings.DEBUG and settings.SECRET_KEY == settings.INSECURE_DEV_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the development fallback while DEBUG is off.",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="ic.E001",
            )
        ]
    return []


@register()
def check_every_model_is_scoped(app_configs, **kwargs):
    errors = []
    for label in OUR_APPS:
        for model in apps.get_app_config(label).get_models():
            if not isinstance(getattr(model, "scope", None), Scope):
                errors.append(
                    Error(
                        f"{model._meta.label} has no `scope`.",
                        hint="Declare who may see its rows with core.scoping.Scope.",
                        id="ic.E002",
                    )
                )
    return errors
