"""Milestones of an engagement: dated goals, done with evidence; overdue ones show on the board.

Staff set and change milestones; staff or the company's own people mark one done, with the
evidence (a text, a link, or both). Each change is in the company's history. A milestone is
overdue when its due date has passed (the center's calendar) and it is not done.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from django.db import transaction
from django.utils.translation import gettext as _

from innovation_center.accounts.access import is_center_staff, is_member_of
from innovation_center.accounts.services import audit_record, model_snapshot
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.services import model_update, validated
from innovation_center.ecosystem.models import Engagement, Milestone


class MilestoneChanges(TypedDict, total=False):
    title: str
    due_on: dt.date
    evidence: str
    evidence_url: str


MILESTONE_EDITABLE = tuple(MilestoneChanges.__annotations__)


def _require_staff(actor) -> None:
    if not is_center_staff(actor):
        raise ApplicationError(_("Only the center's staff set milestones."), code="forbidden")


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        message = _("Give the milestone a title.")
        raise ApplicationError(message, field_errors={"title": [message]})
    return title


@transaction.atomic
def milestone_create(
    *,
    actor,
    engagement: Engagement,
    title: str,
    due_on: dt.date,
    evidence: str = "",
    evidence_url: str = "",
) -> Milestone:
    """A new open milestone of the engagement (staff only). A due date before the engagement
    started is refused; one already past is allowed (a milestone recorded late)."""
    _require_staff(actor)
    if due_on < engagement.started_on:
        message = _("The milestone cannot be due before the engagement started (%(date)s).") % {
            "date": engagement.started_on.isoformat()
        }
        raise ApplicationError(message, field_errors={"due_on": [message]})
    milestone = Milestone(
        engagement=engagement,
        title=_title(title),
        due_on=due_on,
        evidence=evidence.strip(),
        evidence_url=evidence_url.strip(),
    )
    validated(milestone)
    milestone.save()
    audit_record(
        actor=actor,
        instance=milestone,
        action="create",
        after=model_snapshot(milestone),
        organisation=engagement.company.organisation,
    )
    return milestone


@transaction.atomic
def milestone_update(*, actor, milestone: Milestone, data: MilestoneChanges) -> Milestone:
    """Change a milestone's title, due date or evidence (staff only)."""
    _require_staff(actor)
    milestone = (
        Milestone.objects.select_for_update()
        .select_related("engagement__company")
        .get(pk=milestone.pk)
    )
    if "title" in data:
        data = {**data, "title": _title(data["title"])}
    if "due_on" in data and data["due_on"] < milestone.engagement.started_on:
        message = _("The milestone cannot be due before the engagement started (%(date)s).") % {
            "date": milestone.engagement.started_on.isoformat()
        }
        raise ApplicationError(message, field_errors={"due_on": [message]})
    before = model_snapshot(milestone)
    model_update(instance=milestone, fields=MILESTONE_EDITABLE, data=data)
    audit_record(
        actor=actor,
        instance=milestone,
        action="update",
        before=before,
        after=model_snapshot(milestone),
        organisation=milestone.engagement.company.organisation,
    )
    return milestone


@transaction.atomic
def milestone_complete(
    *,
    actor,
    milestone: Milestone,
    evidence: str = "",
    evidence_url: str = "",
    done_on: dt.date | None = None,
) -> Milestone:
    """Mark the milestone done (on `done_on`, by default today) with its evidence.

    Staff or the company's own people; the evidence (a text or a link) is required, a date
    in the future is refused, and a milestone already done is refused (a conditional update:
    two people completing it at once cannot both succeed).
    """
    company = milestone.engagement.company
    if not (is_center_staff(actor) or is_member_of(actor, company)):
        raise ApplicationError(
            _("Only the center's staff and the people of %(company)s can complete it.")
            % {"company": company.legal_name},
            code="forbidden",
        )
    evidence, evidence_url = (evidence or "").strip(), (evidence_url or "").strip()
    if not (evidence or evidence_url):
        message = _("Say what shows the milestone is done: a description or a link.")
        raise ApplicationError(message, field_errors={"evidence": [message]})
    today = clock.today()
    done_on = done_on or today
    if done_on > today:
        message = _("A milestone cannot be done on a future date.")
        raise ApplicationError(message, field_errors={"done_on": [message]})
    candidate = Milestone(
        engagement=milestone.engagement,
        title=milestone.title,
        due_on=milestone.due_on,
        done_on=done_on,
        evidence=evidence,
        evidence_url=evidence_url,
    )
    validated(candidate)
    before = model_snapshot(milestone)
    changed = Milestone.objects.filter(pk=milestone.pk, done_on__isnull=True).update(
        done_on=done_on, evidence=evidence, evidence_url=evidence_url, updated_at=clock.now()
    )
    if changed != 1:
        raise ApplicationError(
            _("“%(title)s” is already done.") % {"title": milestone.title}, code="conflict"
        )
    milestone.refresh_from_db()
    audit_record(
        actor=actor,
        instance=milestone,
        action="complete",
        before=before,
        after=model_snapshot(milestone),
        organisation=company.organisation,
    )
    return milestone


def is_overdue(milestone: Milestone, *, today: dt.date | None = None) -> bool:
    return milestone.done_on is None and milestone.due_on < (today or clock.today())
