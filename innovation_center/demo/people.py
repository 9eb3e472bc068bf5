"""The demo's people: the logins (one user per role), every company's people and its pending
invitation, the logins' profiles and the notifications they find after signing in.

A company's colleagues and the person it invited are drawn from generators seeded by its
USCC, not from the seed's one generator, so adding them changed no other row of the demo.
Colleagues sign in with their e-mail address, as people who accepted an invitation do; all
users the seed creates share one hash of `DEMO_PASSWORD` (the hasher is slow on purpose).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from innovation_center.accounts.models import Invitation, Membership, Organisation, Profile
from innovation_center.accounts.people import invitation_lifetime
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
from innovation_center.demo.notifications import (  # noqa: F401 (re-exported)
    READ_AFTER,
    WARNING_AT,
    Message,
    notifications_create,
    seed_notifications,
)
from innovation_center.ecosystem.models import Company

OWNER, MEMBER = Membership.Role.COMPANY_OWNER, Membership.Role.COMPANY_MEMBER


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


def email_address(family_name: str, given_name: str, host: str, taken: set[str]) -> str:
    """zhangwei@host, or zhangwei2@host when a namesake took it: unique in the whole demo."""
    local = PINYIN[family_name] + PINYIN[given_name]
    address, number = f"{local}@{host}", 1
    while address in taken:
        number += 1
        address = f"{local}{number}@{host}"
    taken.add(address)
    return address


def colleague(rng: random.Random, host: str, taken: set[str], role: str | None = None) -> Person:
    family_name, given_name = rng.choice(SURNAMES), rng.choice(COLLEAGUE_GIVEN_NAMES)
    drawn_role = OWNER if rng.random() < OWNER_SHARE else MEMBER
    email = email_address(family_name, given_name, host, taken)
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
            email = email_address(family_name, given_name, host, taken)
            people.append(Person(contact, family_name, given_name, email, OWNER))
        rng = random.Random(f"{SEED}:{plan.uscc}:people")
        size = rng.randint(*PEOPLE_PER_COMPANY)
        for _index in range(size - (logins[company.organisation_id] or 1)):
            people.append(colleague(rng, host, taken))
        rng = random.Random(f"{SEED}:{plan.uscc}:invitation")
        invited = colleague(rng, host, taken)
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
    coordinator = colleague(rng, f"{slug}.example.com", taken, role=Membership.Role.COORDINATOR)
    planned.append(OrganisationPeople(university.organisation, [coordinator]))
    return planned


def seed_people_rows(planned: list[OrganisationPeople], *, password) -> dict:
    """The planned people's accounts and memberships, those that do not exist yet; returns
    every planned user by username."""
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
    return users


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

    users = seed_people_rows(planned, password=password)

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
