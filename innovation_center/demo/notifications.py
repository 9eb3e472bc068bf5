"""The demo's notifications: what each demo login finds after signing in (demo.people)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.models import (
    Membership,
    Notification,
    NotificationKind,
    Organisation,
    Profile,
)
from innovation_center.accounts.names import display_name
from innovation_center.accounts.notifications import composed, language_of
from innovation_center.compute import services as compute_services
from innovation_center.compute.ledger import hours_text
from innovation_center.compute.models import Allocation
from innovation_center.core import clock
from innovation_center.demo.common import BATCH_SIZE
from innovation_center.ecosystem.models import Company

if TYPE_CHECKING:  # only an annotation here; demo.people imports this module
    from innovation_center.demo.people import OrganisationPeople

READ_AFTER = dt.timedelta(hours=3)  # how soon a notification marked read was opened
WARNING_AT = dt.time(9, 0)  # when the beat's expiry warning went out, center time


# Notifications ---------------------------------------------------------------------------
#
# The messages are the product's own (same wording as the services that send them, so the
# catalogue translates both), composed in each person's language.


@dataclass(frozen=True)
class Message:
    user: object
    kind: str
    compose: Callable[[], tuple[str, str]]
    url: str
    at: dt.datetime
    read: bool


def _joined(person, organisation: Organisation, role: str):
    def compose() -> tuple[str, str]:
        names = {"name": display_name(person), "organisation": organisation.name}
        return (
            _("%(name)s joined %(organisation)s") % names,
            _("%(name)s accepted your invitation and is now %(role)s of %(organisation)s.")
            % {**names, "role": Membership.Role(role).label},
        )

    return compose


def _role_changed(organisation: Organisation, role: str):
    def compose() -> tuple[str, str]:
        return (
            _("Your role in %(organisation)s changed") % {"organisation": organisation.name},
            _("You are now %(role)s of %(organisation)s.")
            % {"role": Membership.Role(role).label, "organisation": organisation.name},
        )

    return compose


def _approved(allocation: Allocation):
    def compose() -> tuple[str, str]:
        request = allocation.request
        figures = _(
            "%(hours)s accelerator-hours, up to %(cap)s devices at once, %(start)s – %(end)s"
        ) % {
            "hours": hours_text(allocation.hours_granted),
            "cap": allocation.device_cap,
            "start": allocation.starts_on.isoformat(),
            "end": allocation.ends_on.isoformat(),
        }
        return (
            _("Compute request #%(id)s approved") % {"id": request.pk},
            _("Your compute request #%(id)s was approved: %(figures)s.")
            % {"id": request.pk, "figures": figures},
        )

    return compose


def _ending(allocation: Allocation):
    # The product's own warning, so the demo's message reads exactly like a real one.
    return functools.partial(compute_services.expiry_warning, allocation)


def _allocation_messages(company: Company, readers: list[tuple[object, bool]]) -> list[Message]:
    """What the company's people were told about their grants: the last ended one approved
    and then ending, the current one approved (read or not, per reader)."""
    allocations = list(
        Allocation.objects.filter(company=company, request__isnull=False)
        .select_related("request")
        .order_by("starts_on", "pk")
    )
    ended = [a for a in allocations if a.status == Allocation.Status.EXPIRED]
    active = [a for a in allocations if a.status == Allocation.Status.ACTIVE]
    messages = []
    for user, current_read in readers:
        if ended:
            previous = ended[-1]
            url = reverse("compute:allocation_detail", args=[previous.pk])
            warned_on = previous.ends_on - dt.timedelta(days=7)
            warned_at = dt.datetime.combine(warned_on, WARNING_AT, tzinfo=clock.center_timezone())
            kind = NotificationKind.REQUEST_DECISION
            if previous.request.reviewed_at:
                at = previous.request.reviewed_at
                messages.append(Message(user, kind, _approved(previous), url, at, True))
            kind = NotificationKind.ALLOCATION_EXPIRY
            messages.append(Message(user, kind, _ending(previous), url, warned_at, True))
        if active and active[-1].request.reviewed_at:
            current = active[-1]
            url = reverse("compute:allocation_detail", args=[current.pk])
            kind, at = NotificationKind.REQUEST_DECISION, current.request.reviewed_at
            messages.append(Message(user, kind, _approved(current), url, at, current_read))
    return messages


def seed_notifications(
    users: dict,
    planned: list[OrganisationPeople],
    *,
    center: Organisation,
    owner_company: Company,
    rival_company: Company,
    university,
    now: dt.datetime,
) -> None:
    """A few notifications for each demo login, older ones read, the latest unread, each
    leading to a real page: people who accepted their invitations, role changes, decisions
    on the company's requests and allocations ending. (The demo job's "finished" message
    comes from the real worker code in `portal`.) A message already there, in any language,
    is not written again."""
    by_organisation = {entry.organisation.pk: entry for entry in planned}
    # Center staff invite the companies' people too: the reviewer added a colleague of the
    # first incubating company that has one.
    helped = next(
        (
            entry
            for entry in planned
            if entry.company is not None
            and entry.company.status == Company.Status.INCUBATING
            and entry.company.pk not in (owner_company.pk, rival_company.pk)
            and entry.colleagues
        ),
        None,
    )
    newcomers = {
        "owner": by_organisation[owner_company.organisation_id].colleagues[-1:],
        "rival": by_organisation[rival_company.organisation_id].colleagues[-1:],
        "reviewer": helped.colleagues[-1:] if helped else [],
        "coordinator": by_organisation[university.organisation_id].colleagues[-1:],
    }
    people = get_user_model().objects.in_bulk(
        [person.username for found in newcomers.values() for person in found],
        field_name="username",
    )
    joined_on = {
        (membership.user_id, membership.organisation_id): membership
        for membership in Membership.objects.filter(
            user__in=[*users.values(), *people.values()]
        ).select_related("organisation")
    }

    def joined(inviter: str, person, organisation: Organisation, *, read: bool) -> Message:
        membership = joined_on[(person.pk, organisation.pk)]
        url = reverse("accounts:people", args=[organisation.pk])
        compose = _joined(person, organisation, membership.role)
        return Message(
            users[inviter], NotificationKind.PEOPLE, compose, url, membership.created_at, read
        )

    def newest(key: str, fallback=None):
        found = newcomers[key]
        return people[found[0].username] if found else fallback

    owner_org, rival_org = owner_company.organisation, rival_company.organisation
    reviewer_membership = joined_on[(users["reviewer"].pk, center.pk)]
    messages = [
        joined("admin", users["reviewer"], center, read=True),
        joined("admin", users["operator"], center, read=True),
        joined("admin", users["coordinator"], university.organisation, read=False),
        Message(
            users["reviewer"],
            NotificationKind.PEOPLE,
            _role_changed(center, reviewer_membership.role),
            reverse("home"),
            reviewer_membership.created_at,
            True,
        ),
        joined("operator", users["owner"], owner_org, read=True),
        joined("operator", users["rival"], rival_org, read=False),
        joined("owner", newest("owner", users["member"]), owner_org, read=False),
        *_allocation_messages(owner_company, [(users["owner"], True), (users["member"], False)]),
        *_allocation_messages(rival_company, [(users["rival"], False)]),
    ]
    if newest("reviewer"):
        messages.append(joined("reviewer", newest("reviewer"), helped.organisation, read=False))
    if newest("rival"):
        messages.append(joined("rival", newest("rival"), rival_org, read=False))
    if newest("coordinator"):
        messages.append(
            joined("coordinator", newest("coordinator"), university.organisation, read=False)
        )
    notifications_create(messages, now=now)


def notifications_create(messages: list[Message], *, now: dt.datetime) -> None:
    """The messages as notifications, dated when they were sent; one already there (in any
    language) is not written again."""
    recipients = list({message.user.pk: message.user for message in messages}.values())
    profiles = {p.user_id: p for p in Profile.objects.filter(user__in=recipients)}
    existing = set(
        Notification.objects.filter(user__in=recipients).values_list("user_id", "kind", "subject")
    )
    languages = [code for code, _name in settings.LANGUAGES]
    rows, moments = [], []
    for message in messages:
        # Memberships made by this run are a moment younger than its `now`.
        moment = min(message.at, now)
        subjects = {composed(message.compose, language)[0][:200] for language in languages}
        if any((message.user.pk, message.kind, subject) in existing for subject in subjects):
            continue
        subject, body = composed(message.compose, language_of(message.user, profiles), message.url)
        rows.append(
            Notification(
                user=message.user,
                kind=message.kind,
                subject=subject[:200],
                body=body,
                url=message.url[:300],
                read_at=min(moment + READ_AFTER, now) if message.read else None,
            )
        )
        moments.append(moment)
    created = Notification.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    for notification, moment in zip(created, moments, strict=True):
        notification.created_at = moment  # set on insert; the story says when it was sent
    Notification.objects.bulk_update(created, ["created_at"], batch_size=BATCH_SIZE)
