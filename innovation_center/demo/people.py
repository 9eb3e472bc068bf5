"""The demo's people: the logins (one user per role), every company's people and its pending
invitation, the logins' profiles and the notifications they find after signing in.

A company's colleagues and the person it invited are drawn from generators seeded by its
USCC, not from the seed's one generator, so adding them changed no other row of the demo.
Colleagues sign in with their e-mail address, as people who accepted an invitation do; all
users the seed creates share one hash of `DEMO_PASSWORD` (the hasher is slow on purpose).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import random
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.models import (
    Invitation,
    Membership,
    Notification,
    NotificationKind,
    Organisation,
    Profile,
)
from innovation_center.accounts.names import display_name
from innovation_center.accounts.notifications import composed, language_of
from innovation_center.accounts.people import invitation_lifetime
from innovation_center.compute import services as compute_services
from innovation_center.compute.ledger import hours_text
from innovation_center.compute.models import Allocation
from innovation_center.core import clock
from innovation_center.demo.common import BATCH_SIZE, SEED
from innovation_center.demo.data.people import (
    COLLEAGUE_GIVEN_NAMES,
    DEMO_LANGUAGES,
    DEMO_PASSWORD,
    DEMO_USERS,
    INVITATION_AGE_HOURS,
    INVITATION_CHINESE_SHARE,
    OWNER_SHARE,
    PEOPLE_PER_COMPANY,
    PINYIN,
    SURNAMES,
)
from innovation_center.demo.data.talent import UNIVERSITIES
from innovation_center.ecosystem.models import Company

OWNER, MEMBER = Membership.Role.COMPANY_OWNER, Membership.Role.COMPANY_MEMBER
READ_AFTER = dt.timedelta(hours=3)  # how soon a notification marked read was opened
WARNING_AT = dt.time(9, 0)  # when the beat's expiry warning went out, center time


class PasswordHash:
    """`DEMO_PASSWORD` hashed at most once per run, and only when a user is created."""

    def __init__(self) -> None:
        self._hash = ""

    def hashed(self) -> str:
        if not self._hash:
            self._hash = make_password(DEMO_PASSWORD)
        return self._hash


def seed_users(
    *, center, owner_company, rival_company, coordinator_university, password: PasswordHash
) -> dict:
    """The logins of `DEMO_USERS`, each a member of its organisation; returns them by username."""
    organisations = {
        "center": center,
        "owner_company": owner_company.organisation,
        "rival_company": rival_company.organisation,
        "coordinator_university": coordinator_university.organisation,
    }
    user_model = get_user_model()
    users = {}
    for username, last_name, first_name, role, is_superuser, org_key in DEMO_USERS:
        organisation = organisations[org_key]
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create(
                username=username,
                password=password.hashed(),
                first_name=first_name,
                last_name=last_name,
                email=f"{username}@example.com",
                is_staff=organisation.kind == Organisation.Kind.CENTER,
                is_superuser=is_superuser,
            )
        Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        users[username] = user
    return users


def seed_profiles(users: dict) -> None:
    """A profile for each demo login; a profile someone already has is left as they set it."""
    have = set(
        Profile.objects.filter(user__in=list(users.values())).values_list("user_id", flat=True)
    )
    Profile.objects.bulk_create(
        Profile(user=user, language=DEMO_LANGUAGES.get(username, ""))
        for username, user in users.items()
        if user.pk not in have
    )


# Company people --------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    username: str
    family_name: str
    given_name: str
    email: str
    role: str


@dataclass(frozen=True)
class Invitee:
    email: str
    role: str
    language: str
    age: dt.timedelta  # how long before the run it was sent
    inviter: float  # which of the owners sent it, as a share of their list


@dataclass(frozen=True)
class OrganisationPeople:
    """An organisation's people as drawn: the users the seed makes (its contact first, then
    the colleagues; the demo logins are not among them) and whom it has invited."""

    organisation: Organisation
    people: list[Person]
    contact: str = ""  # username of the contact, when the seed makes one
    invitee: Invitee | None = None
    company: Company | None = None

    @property
    def colleagues(self) -> list[Person]:
        return [person for person in self.people if person.username != self.contact]


def _address(family_name: str, given_name: str, host: str, taken: set[str]) -> str:
    """zhangwei@host, or zhangwei2@host when a namesake took it: unique in the whole demo."""
    local = PINYIN[family_name] + PINYIN[given_name]
    address, number = f"{local}@{host}", 1
    while address in taken:
        number += 1
        address = f"{local}{number}@{host}"
    taken.add(address)
    return address


def _colleague(rng: random.Random, host: str, taken: set[str], role: str | None = None) -> Person:
    family_name, given_name = rng.choice(SURNAMES), rng.choice(COLLEAGUE_GIVEN_NAMES)
    drawn_role = OWNER if rng.random() < OWNER_SHARE else MEMBER
    email = _address(family_name, given_name, host, taken)
    return Person(email, family_name, given_name, email, role or drawn_role)


def plan_people(plans, *, contact_names, logins: Counter, university) -> list[OrganisationPeople]:
    """Each company's 2–5 people (the demo logins among them count), and one colleague of
    the coordinator, in plan order: addresses are unique across the whole demo."""
    taken: set[str] = set()
    planned = []
    for number, (plan, (family_name, given_name)) in enumerate(
        zip(plans, contact_names, strict=True), start=1
    ):
        company = plan.company
        host = plan.contact_email.partition("@")[2]
        people, contact = [], ""
        if not logins[company.organisation_id]:
            contact = f"contact{number:03d}"
            email = _address(family_name, given_name, host, taken)
            people.append(Person(contact, family_name, given_name, email, OWNER))
        rng = random.Random(f"{SEED}:{plan.uscc}:people")
        size = rng.randint(*PEOPLE_PER_COMPANY)
        for _index in range(size - (logins[company.organisation_id] or 1)):
            people.append(_colleague(rng, host, taken))
        rng = random.Random(f"{SEED}:{plan.uscc}:invitation")
        invited = _colleague(rng, host, taken)
        invitee = Invitee(
            email=invited.email,
            role=invited.role,
            language="zh-hans" if rng.random() < INVITATION_CHINESE_SHARE else "",
            age=dt.timedelta(hours=rng.randint(*INVITATION_AGE_HOURS)),
            inviter=rng.random(),
        )
        planned.append(OrganisationPeople(company.organisation, people, contact, invitee, company))
    slug = next(slug for name, _short, slug, *_rest in UNIVERSITIES if name == university.name)
    rng = random.Random(f"{SEED}:{slug}:people")
    colleague = _colleague(rng, f"{slug}.example.com", taken, role=Membership.Role.COORDINATOR)
    planned.append(OrganisationPeople(university.organisation, [colleague]))
    return planned


def seed_company_people(
    plans, *, contact_names, demo_users: dict, university, password: PasswordHash
) -> tuple[dict, list[OrganisationPeople]]:
    """Every company's people: its contact (an owner, who files its requests) unless a demo
    login owns it, and colleagues up to 2–5 people, some of them owners. Returns the user
    who files each company's requests (by company id) and the plan of everyone."""
    demo_memberships = list(
        Membership.objects.filter(user__in=list(demo_users.values())).select_related("user")
    )
    logins = Counter(membership.organisation_id for membership in demo_memberships)
    planned = plan_people(plans, contact_names=contact_names, logins=logins, university=university)

    user_model = get_user_model()
    wanted = {person.username: person for entry in planned for person in entry.people}
    existing = set(
        user_model.objects.filter(username__in=list(wanted)).values_list("username", flat=True)
    )
    user_model.objects.bulk_create(
        [
            user_model(
                username=person.username,
                first_name=person.given_name,
                last_name=person.family_name,
                email=person.email,
                password=password.hashed(),
            )
            for person in wanted.values()
            if person.username not in existing
        ],
        batch_size=BATCH_SIZE,
    )
    users = user_model.objects.in_bulk(list(wanted), field_name="username")
    have = set(
        Membership.objects.filter(
            organisation__in=[entry.organisation for entry in planned]
        ).values_list("user_id", "organisation_id")
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=users[person.username], organisation=entry.organisation, role=person.role
            )
            for entry in planned
            for person in entry.people
            if (users[person.username].pk, entry.organisation.pk) not in have
        ],
        batch_size=BATCH_SIZE,
    )

    demo_owners = {
        membership.organisation_id: membership.user
        for membership in demo_memberships
        if membership.role == OWNER
    }
    contacts = {}  # company id -> user who files its requests
    for entry in planned:
        if entry.company is not None:
            contact = users.get(entry.contact) or demo_owners[entry.organisation.pk]
            contacts[entry.company.pk] = contact
    return contacts, planned


# Invitations -----------------------------------------------------------------------------


def seed_invitations(planned: list[OrganisationPeople], *, now: dt.datetime) -> None:
    """One pending invitation per company, sent by one of its owners `invitee.age` before now
    and open for `INVITATION_DAYS`. No e-mail goes out and nobody holds its link's key.

    A company whose invitation expired since the last run invites the same address again, as
    an owner would: the expired one is closed and a new one opens (one open invitation per
    address and organisation)."""
    wanted = {entry.organisation.pk: entry for entry in planned if entry.invitee}
    open_invitations = Invitation.objects.filter(
        organisation__in=list(wanted), accepted_at__isnull=True, revoked_at__isnull=True
    )
    pending = set(
        open_invitations.filter(expires_at__gt=now).values_list("organisation_id", flat=True)
    )
    missing = {pk: entry for pk, entry in wanted.items() if pk not in pending}
    if not missing:
        return
    members = {
        (organisation_id, (email or "").lower())
        for organisation_id, email in Membership.objects.filter(
            organisation__in=list(missing)
        ).values_list("organisation_id", "user__email")
    }
    missing = {
        pk: entry for pk, entry in missing.items() if (pk, entry.invitee.email) not in members
    }
    expired = [
        pk
        for pk, organisation_id, email in open_invitations.filter(
            organisation__in=list(missing)
        ).values_list("pk", "organisation_id", "email")
        if email == missing[organisation_id].invitee.email
    ]
    if expired:
        Invitation.objects.filter(pk__in=expired).update(revoked_at=now)
    owners: dict[int, list[int]] = {}
    for organisation_id, user_id in (
        Membership.objects.filter(organisation__in=list(missing), role=OWNER)
        .order_by("user_id")
        .values_list("organisation_id", "user_id")
    ):
        owners.setdefault(organisation_id, []).append(user_id)
    rows = []
    for pk, entry in missing.items():
        invitee = entry.invitee
        candidates = owners.get(pk, [])
        sent_at = now - invitee.age
        rows.append(
            Invitation(
                organisation_id=pk,
                email=invitee.email,
                role=invitee.role,
                language=invitee.language,
                key_hash=hashlib.sha256(secrets.token_urlsafe(32).encode()).hexdigest(),
                invited_by_id=candidates[int(invitee.inviter * len(candidates))]
                if candidates
                else None,
                sent_at=sent_at,
                times_sent=1,
                expires_at=sent_at + invitation_lifetime(),
            )
        )
    created = Invitation.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    for invitation in created:  # created_at is set on insert; the story says when it was sent
        invitation.created_at = invitation.sent_at
    Invitation.objects.bulk_update(created, ["created_at"], batch_size=BATCH_SIZE)


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
