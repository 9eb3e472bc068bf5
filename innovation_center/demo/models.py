from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoSeed(models.Model):
    """What `seed_demo` has done so far, so a later run continues instead of starting again.

    `anchor` is the center's date of the first run: the demo's plan (companies, dates,
    requests) is always drawn for it, so every later run finds the same natural keys.
    `usage_until` is the moment up to which synthetic usage (leases and charges) exists; a
    later run fills from there to its own now, so the demo ages without gaps.
    """

    anchor = models.DateField(_("first seeded on"))
    usage_until = models.DateTimeField(_("usage seeded up to"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("demo seed")
        verbose_name_plural = _("demo seeds")

    def __str__(self) -> str:
        return f"{self.anchor} → {self.usage_until:%Y-%m-%d %H:%M}"
