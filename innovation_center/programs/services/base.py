"""What the programs services share: the fields they record and the call's deadline."""

from __future__ import annotations

import datetime as dt

from innovation_center.core import clock
from innovation_center.programs.models import Application, Call

CALL_FIELDS = (
    "kind",
    "slug",
    "title",
    "title_zh",
    "text",
    "text_zh",
    "eligibility",
    "eligibility_zh",
    "opens_on",
    "closes_at",
    "hours_pool",
    "accelerator_type",
    "site",
    "grant_starts_on",
    "grant_ends_on",
    "reviews_per_application",
)
QUESTION_FIELDS = ("text", "text_zh", "required", "max_length")
CRITERION_FIELDS = ("name", "name_zh", "description", "description_zh", "weight")
APPLICATION_FIELDS = ["status", "summary", "requested_hours", "requested_device_cap"]
MAX_ATTACHMENTS = 10
# A grant whose call names no end runs this long.
DEFAULT_GRANT_DAYS = 90
SCORE_RANGE = range(1, 6)


def deadline_text(call: Call) -> str:
    """The deadline on the center's wall clock, as the messages and pages give it."""
    return clock.local(call.closes_at).strftime("%Y-%m-%d %H:%M")


def call_accepts_applications(call: Call, *, now: dt.datetime | None = None) -> bool:
    """Published, opened (by the center's calendar) and before its deadline."""
    now = now or clock.now()
    return call.is_published and clock.today(at=now) >= call.opens_on and now < call.closes_at


def locked_application(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "company__organisation")
        .get(pk=application.pk)
    )
