"""Judging: conflicts of interest, balanced reviewer assignment, scores, decisions."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from innovation_center.accounts.access import is_center_staff
from innovation_center.accounts.models import Membership, NotificationKind
from innovation_center.accounts.notifications import notify_organisation, notify_users
from innovation_center.accounts.services import audit_record
from innovation_center.compute import services as compute_services
from innovation_center.compute.models import Allocation
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.ecosystem import services as ecosystem_services
from innovation_center.ecosystem.models import Company
from innovation_center.programs.models import (
    Application,
    Call,
    ConflictOfInterest,
    Review,
    Score,
)
from innovation_center.programs.services.base import (
    DEFAULT_GRANT_DAYS,
    SCORE_RANGE,
    locked_application,
)

# Reviewing ----------------------------------------------------------------------------------


@transaction.atomic
def conflict_declare(*, reviewer, company: Company, reason: str) -> ConflictOfInterest:
    """The reviewer declares a conflict with the company: never assigned its applications.

    Their assignments to its undecided applications that they have not scored yet are
    withdrawn (the next assignment round gives them to someone else); a submitted review
    stays on record.
    """
    reason = (reason or "").strip()
    if not reason:
        message = _("Say in a line what the conflict is (it stays with the center).")
        raise ApplicationError(message, field_errors={"reason": [message]})
    conflict, created = ConflictOfInterest.objects.get_or_create(
        reviewer=reviewer, company=company, defaults={"reason": reason[:300]}
    )
    if not created and conflict.reason != reason[:300]:
        conflict.reason = reason[:300]
        conflict.save(update_fields=["reason", "updated_at"])
    removed, _detail = Review.objects.filter(
        reviewer=reviewer,
        application__company=company,
        application__status__in=[Application.Status.DRAFT, Application.Status.SUBMITTED],
        submitted_at__isnull=True,
    ).delete()
    audit_record(
        actor=reviewer,
        instance=conflict,
        action="declare_conflict" if created else "update",
        after={"company": company.legal_name, "reason": conflict.reason, "unassigned": removed},
    )
    return conflict


@transaction.atomic
def reviewers_assign(*, call: Call, actor) -> list[Review]:
    """Give every submitted application `reviews_per_application` reviewers from the panel.

    Balanced and deterministic: applications in the order they were submitted, each to the
    least-loaded eligible panel members (ties to the lower id). Never a reviewer who declared
    a conflict with the company or who is one of its people. Running it again only tops up
    what is missing. Refused as a whole, naming the applications, when the panel is too small
    for some after the conflicts. Returns the new assignments.
    """
    call = Call.objects.select_for_update().get(pk=call.pk)
    panel = list(call.panel.filter(is_active=True).order_by("pk"))
    applications = list(
        call.applications.filter(status=Application.Status.SUBMITTED)
        .select_related("company")
        .order_by("submitted_at", "pk")
    )
    existing = list(
        Review.objects.filter(application__call=call).values_list("application_id", "reviewer_id")
    )
    load = Counter(reviewer_id for _app, reviewer_id in existing)
    assigned: dict[int, set[int]] = defaultdict(set)
    for application_id, reviewer_id in existing:
        assigned[application_id].add(reviewer_id)
    companies = {a.company_id for a in applications}
    conflicts = set(
        ConflictOfInterest.objects.filter(reviewer__in=panel, company__in=companies).values_list(
            "reviewer_id", "company_id"
        )
    )
    members = set(
        Membership.objects.filter(user__in=panel, organisation__company__in=companies).values_list(
            "user_id", "organisation__company"
        )
    )
    new: list[Review] = []
    short: list[str] = []
    for application in applications:
        needed = call.reviews_per_application - len(assigned[application.pk])
        if needed <= 0:
            continue
        eligible = sorted(
            (
                reviewer
                for reviewer in panel
                if reviewer.pk not in assigned[application.pk]
                and (reviewer.pk, application.company_id) not in conflicts
                and (reviewer.pk, application.company_id) not in members
            ),
            key=lambda reviewer: (load[reviewer.pk], reviewer.pk),
        )
        if len(eligible) < needed:
            short.append(application.company.legal_name)
            continue
        for reviewer in eligible[:needed]:
            new.append(Review(application=application, reviewer=reviewer))
            load[reviewer.pk] += 1
            assigned[application.pk].add(reviewer.pk)
    if short:
        raise ApplicationError(
            _(
                "The panel is too small for %(companies)s: after declared conflicts and "
                "members of the company, fewer than %(needed)s reviewers are left. Add panel "
                "members or lower the reviews per application; nobody was assigned."
            )
            % {"companies": ", ".join(short), "needed": call.reviews_per_application},
            code="panel_too_small",
        )
    created = Review.objects.bulk_create(new)
    if created:
        audit_record(
            actor=actor,
            instance=call,
            action="assign_reviewers",
            after={"assignments": len(created)},
        )
        _notify_assigned(call, created)
    return created


def _notify_assigned(call: Call, reviews: list[Review]) -> None:
    """Each reviewer hears once how many applications of the call are now theirs to score."""
    by_reviewer: dict[int, list[Review]] = defaultdict(list)
    for review in reviews:
        by_reviewer[review.reviewer_id].append(review)
    for group in by_reviewer.values():
        count = len(group)

        def compose(count=count):
            subject = _("Applications to review: %(call)s") % {"call": call}
            body = ngettext(
                "%(count)d application to %(call)s is assigned to you. Score it against the "
                "rubric, or declare a conflict of interest if you have one.",
                "%(count)d applications to %(call)s are assigned to you. Score them against "
                "the rubric, or declare a conflict of interest if you have one.",
                count,
            ) % {"count": count, "call": call}
            return subject, body

        notify_users(
            users=[group[0].reviewer],
            kind=NotificationKind.REVIEW_ASSIGNED,
            compose=compose,
            url=reverse("programs:my_reviews"),
        )


@transaction.atomic
def review_submit(*, review: Review, actor, scores: Mapping, comments: str = "") -> Review:
    """The assigned reviewer scores every criterion of the rubric from 1 to 5 (again, until
    the decision: the latest scores count)."""
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("application__call")
        .get(pk=review.pk)
    )
    if actor is None or actor.pk != review.reviewer_id:
        raise ApplicationError(
            _("Only the reviewer assigned to this application scores it."), code="not_reviewer"
        )
    application = review.application
    if application.status != Application.Status.SUBMITTED:
        raise ApplicationError(
            _("This application is %(status)s: its reviews are closed.")
            % {"status": application.get_status_display().lower()},
            code="closed",
        )
    criteria = list(application.call.criteria.all())
    given = {str(key): value for key, value in (scores or {}).items()}
    unknown = set(given) - {str(c.pk) for c in criteria}
    if unknown:
        raise ApplicationError(
            _("Score only the criteria of this call's rubric."), code="criterion"
        )
    values: dict[int, int] = {}
    errors: dict[str, list[str]] = {}
    for criterion in criteria:
        try:
            value = int(given.get(str(criterion.pk)))
        except (TypeError, ValueError):
            value = None
        if value not in SCORE_RANGE:
            errors[f"score_{criterion.pk}"] = [_("Score this criterion from 1 to 5.")]
        else:
            values[criterion.pk] = value
    if errors:
        raise ApplicationError(
            _("Score every criterion from 1 to 5; the review was not submitted."),
            field_errors=errors,
        )
    for criterion_id, value in values.items():
        Score.objects.update_or_create(
            review=review, criterion_id=criterion_id, defaults={"value": value}
        )
    review.comments = (comments or "").strip()
    review.submitted_at = clock.now()
    review.save(update_fields=["comments", "submitted_at", "updated_at"])
    # Kept without the company's organisation: the applicant's people never read scores.
    audit_record(
        actor=actor,
        instance=review,
        action="score",
        after={"scores": {str(k): v for k, v in values.items()}},
    )
    return review


# Decisions ---------------------------------------------------------------------------------


def _granted_hours(call: Call) -> Decimal:
    total = Allocation.objects.filter(
        pk__in=Application.objects.filter(
            call=call, status=Application.Status.ACCEPTED, allocation__isnull=False
        ).values("allocation_id")
    ).aggregate(total=Sum("hours_granted"))["total"]
    return total or Decimal(0)


def _grant(application: Application, call: Call, actor, hours, device_cap, reason, overcommit):
    try:
        hours = Decimal(str(hours if hours is not None else application.requested_hours or 0))
    except InvalidOperation:
        hours = Decimal(0)
    if hours <= 0:
        message = _("Grant more than zero accelerator-hours.")
        raise ApplicationError(message, field_errors={"hours": [message]})
    granted = _granted_hours(call)
    left = call.hours_pool - granted
    if hours > left:
        message = _(
            "The call's pool has %(left)s of its %(pool)s accelerator-hours left; granting "
            "%(hours)s would exceed it. Grant at most %(left)s hours."
        ) % {"left": left, "pool": call.hours_pool, "hours": hours}
        raise ApplicationError(message, code="pool_exceeded", field_errors={"hours": [message]})
    today = clock.today()
    starts_on = max(call.grant_starts_on or today, today)
    ends_on = call.grant_ends_on or starts_on + dt.timedelta(days=DEFAULT_GRANT_DAYS)
    if ends_on <= starts_on:
        raise ApplicationError(
            _("The call's grant period ended on %(end)s; change the call's period first.")
            % {"end": ends_on.isoformat()},
            code="grant_period_over",
        )
    if not device_cap:
        hours_a_device = Decimal(24 * (ends_on - starts_on).days)
        device_cap = application.requested_device_cap or max(1, math.ceil(hours / hours_a_device))
    request = compute_services.allocation_request_create(
        company=application.company,
        actor=actor,
        hours=hours,
        device_cap=int(device_cap),
        starts_on=starts_on,
        ends_on=ends_on,
        purpose=_("Compute grant of the call “%(call)s”") % {"call": call.title},
        accelerator_type=call.accelerator_type,
        site=call.site,
    )
    return compute_services.allocation_request_approve(
        request=request,
        actor=actor,
        reason=reason,
        overcommit_reason=overcommit,
    )


@transaction.atomic
def application_decide(
    *,
    application: Application,
    actor,
    accept: bool,
    feedback: str = "",
    hours: Decimal | None = None,
    device_cap: int | None = None,
    overcommit_reason: str = "",
) -> Application:
    """Accept or reject a submitted application, once; the company hears it in the product
    and by e-mail.

    Incubation: an applied company is admitted and its first engagement starts today.
    Compute grant: an allocation through the capacity rules (a request, approved at once),
    `hours` (default: as asked) from the call's pool, which the accepted grants together
    never exceed. A rejection needs feedback. Rejected applications stay on record.
    """
    if not is_center_staff(actor):
        raise ApplicationError(_("Only the center's staff decide on applications."), code="staff")
    # The call first: grants from one pool are decided one after the other.
    call = Call.objects.select_for_update().get(pk=application.call_id)
    application = locked_application(application)
    if application.status != Application.Status.SUBMITTED:
        raise ApplicationError(
            _("This application is %(status)s; only a submitted application is decided.")
            % {"status": application.get_status_display().lower()},
            code="not_submitted",
        )
    feedback = (feedback or "").strip()
    if not accept and not feedback:
        message = _("Tell the applicant why: a rejection needs feedback.")
        raise ApplicationError(message, field_errors={"feedback": [message]})
    company = application.company
    engagement = allocation = None
    if accept and call.kind == Call.Kind.INCUBATION:
        if company.status == Company.Status.APPLIED:
            company = ecosystem_services.company_admit(company=company, actor=actor)
        engagement = ecosystem_services.engagement_create(
            actor=actor,
            company=company,
            title=(_("%(call)s: scenario analysis") % {"call": call.title})[:200],
            started_on=clock.today(),
        )
    elif accept:
        allocation = _grant(
            application,
            call,
            actor,
            hours,
            device_cap,
            _("Granted through the call “%(call)s”.") % {"call": call.title},
            overcommit_reason,
        )
    status = Application.Status.ACCEPTED if accept else Application.Status.REJECTED
    decided = Application.objects.filter(
        pk=application.pk, status=Application.Status.SUBMITTED
    ).update(
        status=status,
        feedback=feedback,
        decided_at=clock.now(),
        decided_by=actor,
        engagement=engagement,
        allocation=allocation,
    )
    if decided != 1:  # pragma: no cover - the row lock makes this the first decision
        raise ApplicationError(_("This application was already decided."), code="decided")
    application.refresh_from_db()
    audit_record(
        actor=actor,
        instance=application,
        action="accept" if accept else "reject",
        before={"status": Application.Status.SUBMITTED},
        after={
            "status": status,
            "feedback": feedback,
            "engagement": engagement.pk if engagement else None,
            "allocation": allocation.pk if allocation else None,
        },
        organisation=company.organisation,
    )
    _notify_decision(application, call, company, allocation)
    return application


def _notify_decision(application: Application, call: Call, company: Company, allocation) -> None:
    """The company's people (and its contact address) hear the decision in their language."""

    def compose() -> tuple[str, str]:
        names = {"call": call.in_language("title"), "company": company.legal_name}
        if application.status == Application.Status.REJECTED:
            subject = _("Decision on your application to %(call)s") % names
            body = (
                _(
                    "%(company)s's application to %(call)s was not accepted this time. It stays "
                    "on record, and you are welcome to apply to later calls."
                )
                % names
            )
        elif allocation is not None:
            subject = _("Your application to %(call)s was accepted") % names
            body = _(
                "%(company)s is granted %(hours)s accelerator-hours from %(start)s to %(end)s "
                "through %(call)s; they are on the Allocations page."
            ) % {
                **names,
                "hours": allocation.hours_granted,
                "start": allocation.starts_on.isoformat(),
                "end": allocation.ends_on.isoformat(),
            }
        else:
            subject = _("Your application to %(call)s was accepted") % names
            body = (
                _(
                    "%(company)s is accepted into %(call)s. Your first engagement with the "
                    "center starts today with the scenario analysis."
                )
                % names
            )
        if application.feedback:
            body += "\n\n" + _("Feedback from the center: %(feedback)s") % {
                "feedback": application.feedback
            }
        return subject, body

    notify_organisation(
        organisation=company.organisation,
        # The decisions the center makes on what a company asked for (no kind of their own).
        kind=NotificationKind.APPLICATION_DECISION,
        compose=compose,
        url=reverse("programs:application_detail", args=[application.pk]),
    )
