"""Writes of the ecosystem: companies, engagements through the lifecycle, solutions.

Every change keeps its history (`audit_record`, before/after) under the company's
organisation so the company's members can read it; state changes are conditional updates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from innovation_center.accounts.models import Organisation
from innovation_center.accounts.services import audit_record, model_snapshot
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.ecosystem.models import (
    Company,
    Engagement,
    LifecycleStage,
    Solution,
    StageMove,
)

COMPANY_EDITABLE = (
    "legal_name",
    "uscc",
    "industry",
    "city",
    "size",
    "description",
    "website",
    "contact_email",
    "applied_on",
)
ENGAGEMENT_EDITABLE = ("title", "owner", "started_on", "target_on", "notes")
MOVED_MEANWHILE = _lazy(
    "“%(title)s” was moved by someone else meanwhile; the board shows where it is now."
)
SOLUTION_EDITABLE = ("name", "summary", "vertical", "status", "launched_on", "showcase_text")


def _validated(instance) -> None:
    """The model's full_clean, its errors as an ApplicationError keyed by field."""
    try:
        instance.full_clean()
    except ValidationError as error:
        field_errors = {
            (None if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
        raise ApplicationError(" ".join(error.messages), field_errors=field_errors) from None


def _company_organisation_name_taken(name: str, *, exclude_pk: int | None = None) -> bool:
    qs = Organisation.objects.filter(kind=Organisation.Kind.COMPANY, name=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


@transaction.atomic
def company_create(*, actor, fields: dict) -> Company:
    """A new company with its organisation (what its members join); status starts at applied."""
    data = {k: v for k, v in fields.items() if k in COMPANY_EDITABLE + ("status", "exit_reason")}
    if _company_organisation_name_taken(data["legal_name"]):
        raise ApplicationError(
            _("An organisation named “%(name)s” already exists.") % {"name": data["legal_name"]},
            field_errors={"legal_name": [_("This name is already taken.")]},
        )
    organisation = Organisation.objects.create(
        kind=Organisation.Kind.COMPANY, name=data["legal_name"]
    )
    company = Company(organisation=organisation, **data)
    if not company.applied_on and company.status == Company.Status.APPLIED:
        company.applied_on = clock.today()
    _validated(company)
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
def company_update(*, actor, company: Company, fields: dict) -> Company:
    """Edit a company's details (not its status: that has its own actions)."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    before = model_snapshot(company)
    for name, value in fields.items():
        if name in COMPANY_EDITABLE:
            setattr(company, name, value)
    if "legal_name" in fields and _company_organisation_name_taken(
        company.legal_name, exclude_pk=company.organisation_id
    ):
        raise ApplicationError(
            _("An organisation named “%(name)s” already exists.") % {"name": company.legal_name},
            field_errors={"legal_name": [_("This name is already taken.")]},
        )
    _validated(company)
    company.save()
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


def companies_import(*, actor, rows: Iterable[dict]) -> list[Company]:
    """Create every company of a validated import, all or none."""
    from innovation_center.ecosystem.imports import company_rows_check

    rows = list(rows)
    errors = company_rows_check(rows=rows)
    if errors:
        raise ApplicationError(
            _("The file is no longer valid (%(count)d problem(s)); preview it again.")
            % {"count": len(errors)}
        )
    from innovation_center.ecosystem.imports import company_fields

    created = []
    try:
        with transaction.atomic():
            for row in rows:
                created.append(company_create(actor=actor, fields=company_fields(row)))
    except IntegrityError:
        raise ApplicationError(
            _("Another change clashed with this import; nothing was written. Try again.")
        ) from None
    return created


@transaction.atomic
def engagement_create(*, actor, company: Company, fields: dict) -> Engagement:
    """A new engagement at the first lifecycle stage, its first move recorded."""
    now = clock.now()
    engagement = Engagement(
        company=company,
        stage=LifecycleStage.SCENARIO_ANALYSIS,
        stage_changed_at=now,
        **{k: v for k, v in fields.items() if k in ENGAGEMENT_EDITABLE},
    )
    _validated(engagement)
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
def engagement_update(*, actor, engagement: Engagement, fields: dict) -> Engagement:
    """Edit an engagement's details; its stage only moves through `engagement_advance`."""
    engagement = Engagement.objects.select_related("company__organisation").get(pk=engagement.pk)
    before = model_snapshot(engagement)
    for name, value in fields.items():
        if name in ENGAGEMENT_EDITABLE:
            setattr(engagement, name, value)
    _validated(engagement)
    engagement.save()
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
def solution_create(*, actor, fields: dict, companies: Iterable[Company]) -> Solution:
    solution = Solution(**{k: v for k, v in fields.items() if k in SOLUTION_EDITABLE})
    if solution.status == Solution.Status.LAUNCHED and not solution.launched_on:
        solution.launched_on = clock.today()
    _validated(solution)
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
def solution_update(
    *, actor, solution: Solution, fields: dict, companies: Iterable[Company] | None = None
) -> Solution:
    """Edit a solution; one that leaves the launched status is unpublished with it."""
    solution = Solution.objects.select_for_update().get(pk=solution.pk)
    before = _solution_snapshot(solution)
    for name, value in fields.items():
        if name in SOLUTION_EDITABLE:
            setattr(solution, name, value)
    if solution.status == Solution.Status.LAUNCHED and not solution.launched_on:
        solution.launched_on = clock.today()
    if solution.status != Solution.Status.LAUNCHED:
        solution.is_published = False
    _validated(solution)
    solution.save()
    if companies is not None:
        solution.companies.set(list(companies))
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
