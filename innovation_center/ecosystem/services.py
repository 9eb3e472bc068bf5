"""Writes of the ecosystem: companies, engagements through the lifecycle, solutions.

Every change keeps its history (`audit_record`, before/after) under the company's
organisation so the company's members can read it; state changes are conditional updates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypedDict

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from innovation_center.accounts.models import Organisation
from innovation_center.accounts.services import audit_record, model_snapshot
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.services import model_update, validated
from innovation_center.ecosystem.models import (
    Company,
    Engagement,
    LifecycleStage,
    Solution,
    StageMove,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser


class CompanyChanges(TypedDict, total=False):
    """What an edit may change of a company (not its status: that has its own actions)."""

    legal_name: str
    uscc: str
    industry: str
    city: str
    size: str
    description: str
    website: str
    contact_email: str
    applied_on: dt.date | None


class EngagementChanges(TypedDict, total=False):
    title: str
    owner: AbstractUser | None
    started_on: dt.date
    target_on: dt.date | None
    notes: str


class SolutionChanges(TypedDict, total=False):
    name: str
    summary: str
    vertical: str
    status: str
    launched_on: dt.date | None
    showcase_text: str
    companies: Iterable[Company]


COMPANY_EDITABLE = tuple(CompanyChanges.__annotations__)
ENGAGEMENT_EDITABLE = tuple(EngagementChanges.__annotations__)
# Without the companies: the serializers declare that relation themselves.
SOLUTION_EDITABLE = tuple(n for n in SolutionChanges.__annotations__ if n != "companies")
MOVED_MEANWHILE = _lazy(
    "“%(title)s” was moved by someone else meanwhile; the board shows where it is now."
)


def _refuse_taken_name(name: str, *, exclude_pk: int | None = None) -> None:
    qs = Organisation.objects.filter(kind=Organisation.Kind.COMPANY, name=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ApplicationError(
            _("An organisation named “%(name)s” already exists.") % {"name": name},
            field_errors={"legal_name": [_("This name is already taken.")]},
        )


@transaction.atomic
def company_create(
    *,
    actor,
    legal_name: str,
    uscc: str,
    industry: str,
    city: str,
    size: str = Company.Size.SMALL,
    description: str = "",
    website: str = "",
    contact_email: str = "",
    applied_on: dt.date | None = None,
    status: str = Company.Status.APPLIED,
    exit_reason: str = "",
) -> Company:
    """A new company with its organisation (what its members join); status starts at applied.

    An applicant without a date applied today.
    """
    _refuse_taken_name(legal_name)
    organisation = Organisation.objects.create(kind=Organisation.Kind.COMPANY, name=legal_name)
    if not applied_on and status == Company.Status.APPLIED:
        applied_on = clock.today()
    company = Company(
        organisation=organisation,
        legal_name=legal_name,
        uscc=uscc,
        industry=industry,
        city=city,
        size=size,
        description=description,
        website=website,
        contact_email=contact_email,
        applied_on=applied_on,
        status=status,
        exit_reason=exit_reason,
    )
    validated(company)
    company.save()
    audit_record(
        actor=actor,
        instance=company,
        action="create",
        after=model_snapshot(company),
        organisation=organisation,
    )
    return company


@transaction.atomic
def company_update(*, actor, company: Company, data: CompanyChanges) -> Company:
    """Edit a company's details (not its status: that has its own actions)."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    before = model_snapshot(company)
    if "legal_name" in data:
        _refuse_taken_name(data["legal_name"], exclude_pk=company.organisation_id)
    model_update(instance=company, fields=COMPANY_EDITABLE, data=data)
    # The organisation carries the company's name in menus and member lists.
    Organisation.objects.filter(pk=company.organisation_id).update(name=company.legal_name)
    audit_record(
        actor=actor,
        instance=company,
        action="update",
        before=before,
        after=model_snapshot(company),
        organisation=company.organisation,
    )
    return company


def _company_transition(
    *, company: Company, actor, allowed: Sequence[str], to: str, action: str, refused: str, **extra
) -> Company:
    with transaction.atomic():
        before = model_snapshot(Company.objects.get(pk=company.pk))
        changed = Company.objects.filter(pk=company.pk, status__in=allowed).update(
            status=to, updated_at=clock.now(), **extra
        )
        if changed != 1:
            current = Company.objects.filter(pk=company.pk).values_list("status", flat=True).first()
            raise ApplicationError(
                refused
                % {
                    "name": company.legal_name,
                    "status": Company.Status(current).label if current else "—",
                }
            )
        company.refresh_from_db()
        audit_record(
            actor=actor,
            instance=company,
            action=action,
            before=before,
            after=model_snapshot(company),
            organisation=company.organisation,
        )
    return company


def company_admit(*, company: Company, actor) -> Company:
    """Applied → admitted, once: a second staff member's click finds it already admitted."""
    return _company_transition(
        company=company,
        actor=actor,
        allowed=[Company.Status.APPLIED],
        to=Company.Status.ADMITTED,
        action="admit",
        refused=_("%(name)s cannot be admitted: it is %(status)s, not applied."),
        admitted_on=clock.today(),
    )


def company_incubate(*, company: Company, actor) -> Company:
    """Admitted → incubating."""
    return _company_transition(
        company=company,
        actor=actor,
        allowed=[Company.Status.ADMITTED],
        to=Company.Status.INCUBATING,
        action="incubate",
        refused=_("%(name)s cannot start incubation: it is %(status)s, not admitted."),
    )


def company_graduate(*, company: Company, actor) -> Company:
    """Admitted or incubating → graduated."""
    return _company_transition(
        company=company,
        actor=actor,
        allowed=[Company.Status.ADMITTED, Company.Status.INCUBATING],
        to=Company.Status.GRADUATED,
        action="graduate",
        refused=_("%(name)s cannot graduate: it is %(status)s, not admitted or incubating."),
        graduated_on=clock.today(),
    )


def company_exit(*, company: Company, actor, reason: str) -> Company:
    """Any open status → exited, with the reason (required; the database insists too)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Say why the company exited."), field_errors={"reason": [_("Say why.")]}
        )
    return _company_transition(
        company=company,
        actor=actor,
        allowed=[Company.Status.APPLIED, Company.Status.ADMITTED, Company.Status.INCUBATING],
        to=Company.Status.EXITED,
        action="exit",
        refused=_("%(name)s cannot exit: it is already %(status)s."),
        exited_on=clock.today(),
        exit_reason=reason,
    )


@transaction.atomic
def engagement_create(
    *,
    actor,
    company: Company,
    title: str,
    started_on: dt.date,
    owner: AbstractUser | None = None,
    target_on: dt.date | None = None,
    notes: str = "",
) -> Engagement:
    """A new engagement at the first lifecycle stage, its first move recorded."""
    now = clock.now()
    engagement = Engagement(
        company=company,
        stage=LifecycleStage.SCENARIO_ANALYSIS,
        stage_changed_at=now,
        title=title,
        owner=owner,
        started_on=started_on,
        target_on=target_on,
        notes=notes,
    )
    validated(engagement)
    engagement.save()
    StageMove.objects.create(
        engagement=engagement,
        from_stage="",
        to_stage=engagement.stage,
        moved_by=actor,
        moved_at=now,
    )
    audit_record(
        actor=actor,
        instance=engagement,
        action="create",
        after=model_snapshot(engagement),
        organisation=company.organisation,
    )
    return engagement


@transaction.atomic
def engagement_update(*, actor, engagement: Engagement, data: EngagementChanges) -> Engagement:
    """Edit an engagement's details; its stage only moves through `engagement_advance`."""
    engagement = Engagement.objects.select_related("company__organisation").get(pk=engagement.pk)
    before = model_snapshot(engagement)
    model_update(instance=engagement, fields=ENGAGEMENT_EDITABLE, data=data)
    audit_record(
        actor=actor,
        instance=engagement,
        action="update",
        before=before,
        after=model_snapshot(engagement),
        organisation=engagement.company.organisation,
    )
    return engagement


def engagement_advance(*, engagement: Engagement, actor, note: str = "") -> Engagement:
    """Move an engagement to the stage after the one it is at, recording who and when.

    The update is conditional on the stage the caller saw, so a double click (or two staff)
    moves it one stage only; the loser gets an ApplicationError.
    """
    old = engagement.stage
    following = LifecycleStage.next_after(old)
    if following is None:
        raise ApplicationError(
            _("“%(title)s” is at the last stage already.") % {"title": engagement.title}
        )
    now = clock.now()
    with transaction.atomic():
        changed = Engagement.objects.filter(pk=engagement.pk, stage=old).update(
            stage=following, stage_changed_at=now, updated_at=now
        )
        if changed != 1:
            raise ApplicationError(MOVED_MEANWHILE % {"title": engagement.title})
        StageMove.objects.create(
            engagement=engagement,
            from_stage=old,
            to_stage=following,
            moved_by=actor,
            moved_at=now,
            note=note,
        )
        engagement.stage = following
        engagement.stage_changed_at = now
        company = Company.objects.only("id", "organisation_id").get(pk=engagement.company_id)
        audit_record(
            actor=actor,
            instance=engagement,
            action="stage_move",
            before={"stage": old},
            after={"stage": following.value, **({"note": note} if note else {})},
            organisation=Organisation(pk=company.organisation_id),
        )
    return engagement


def _solution_organisation(solution: Solution) -> Organisation | None:
    # History sits under the first company's organisation (the one that brought the case).
    first = solution.companies.order_by("pk").only("organisation_id").first()
    return Organisation(pk=first.organisation_id) if first else None


def _solution_snapshot(solution: Solution) -> dict:
    snapshot = model_snapshot(solution)
    snapshot["companies"] = sorted(solution.companies.values_list("legal_name", flat=True))
    return snapshot


@transaction.atomic
def solution_create(
    *,
    actor,
    name: str,
    vertical: str,
    companies: Iterable[Company],
    summary: str = "",
    status: str = Solution.Status.INCUBATING,
    launched_on: dt.date | None = None,
    showcase_text: str = "",
) -> Solution:
    """A new solution of the companies; one created launched without a date launched today."""
    if status == Solution.Status.LAUNCHED and not launched_on:
        launched_on = clock.today()
    solution = Solution(
        name=name,
        summary=summary,
        vertical=vertical,
        status=status,
        launched_on=launched_on,
        showcase_text=showcase_text,
    )
    validated(solution)
    solution.save()
    solution.companies.set(list(companies))
    audit_record(
        actor=actor,
        instance=solution,
        action="create",
        after=_solution_snapshot(solution),
        organisation=_solution_organisation(solution),
    )
    return solution


@transaction.atomic
def solution_update(*, actor, solution: Solution, data: SolutionChanges) -> Solution:
    """Edit a solution; one that leaves the launched status is unpublished with it."""
    solution = Solution.objects.select_for_update().get(pk=solution.pk)
    before = _solution_snapshot(solution)
    data = dict(data)
    status = data.get("status", solution.status)
    if status == Solution.Status.LAUNCHED and not data.get("launched_on", solution.launched_on):
        data["launched_on"] = clock.today()
    if status != Solution.Status.LAUNCHED:
        data["is_published"] = False
    model_update(
        instance=solution, fields=[*SolutionChanges.__annotations__, "is_published"], data=data
    )
    audit_record(
        actor=actor,
        instance=solution,
        action="update",
        before=before,
        after=_solution_snapshot(solution),
        organisation=_solution_organisation(solution),
    )
    return solution


def solution_publish(*, solution: Solution, actor, published: bool = True) -> Solution:
    """Publish (or withdraw) a solution's showcase; only a launched solution can be published."""
    with transaction.atomic():
        qs = Solution.objects.filter(pk=solution.pk, is_published=not published)
        if published:
            # A launched solution without its case text (an unlaunched one hears why below).
            if Solution.objects.filter(
                pk=solution.pk, status=Solution.Status.LAUNCHED, showcase_text=""
            ).exists():
                raise ApplicationError(
                    _(
                        "“%(name)s” has no case text yet: write it (what was built, for whom "
                        "and what it changed) before publishing it on the showcase."
                    )
                    % {"name": solution.name},
                    field_errors={"showcase_text": [_("Write the case text first.")]},
                )
            qs = qs.filter(status=Solution.Status.LAUNCHED)
        changed = qs.update(is_published=published, updated_at=clock.now())
        if changed != 1:
            solution.refresh_from_db()
            if published and solution.status != Solution.Status.LAUNCHED:
                raise ApplicationError(
                    _(
                        "Only a launched solution can be published; “%(name)s” is %(status)s. "
                        "Mark it launched first."
                    )
                    % {"name": solution.name, "status": solution.get_status_display()}
                )
            raise ApplicationError(
                (
                    _("“%(name)s” is already published.")
                    if published
                    else _("“%(name)s” is not published.")
                )
                % {"name": solution.name}
            )
        solution.is_published = published
        audit_record(
            actor=actor,
            instance=solution,
            action="publish" if published else "unpublish",
            before={"is_published": not published},
            after={"is_published": published},
            organisation=_solution_organisation(solution),
        )
    return solution
