"""The demo's calls: the closed cohort call with its scores and decisions, the open grant call."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from innovation_center.compute.models import AcceleratorType, Site
from innovation_center.core import clock
from innovation_center.demo.common import BATCH_SIZE, backdate
from innovation_center.demo.companies import CompanyPlan
from innovation_center.demo.data.programs import (
    ACCEPTANCE_FEEDBACK,
    COHORT_CALL,
    COHORT_QUESTIONS,
    COHORT_RUBRIC,
    CONFLICT_REASON,
    GRANT_ANSWERS,
    GRANT_CALL,
    GRANT_HOURS_POOL,
    GRANT_PRESET,
    GRANT_QUESTIONS,
    GRANT_RUBRIC,
    GRANT_SITE,
    REJECTION_FEEDBACK,
)
from innovation_center.ecosystem.models import Company, Engagement, LifecycleStage, StageMove
from innovation_center.programs.models import (
    Answer,
    Application,
    Call,
    ConflictOfInterest,
    Criterion,
    Question,
    Review,
    Score,
)

if TYPE_CHECKING:
    from innovation_center.demo.programs import Scored


def cohort_dates(today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """The cohort call's opening day, closing day and decision day, before `today`."""
    closes_on = today - dt.timedelta(days=100)
    return closes_on - dt.timedelta(days=45), closes_on, closes_on + dt.timedelta(days=30)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=clock.center_timezone())


def _call_with_rubric(*, slug, kind, texts, questions, rubric, panel, created_at, **fields) -> Call:
    call = Call.objects.create(
        slug=slug, kind=kind, is_published=True, created_by=panel[-1], **texts, **fields
    )
    Question.objects.bulk_create(
        Question(
            call=call,
            order=order,
            text=text,
            text_zh=text_zh,
            required=required,
            max_length=longest,
        )
        for order, (text, text_zh, required, longest) in enumerate(questions, start=1)
    )
    Criterion.objects.bulk_create(
        Criterion(
            call=call,
            order=order,
            name=name,
            name_zh=name_zh,
            description=description,
            description_zh=description_zh,
            weight=weight,
        )
        for order, (name, name_zh, description, description_zh, weight) in enumerate(
            rubric, start=1
        )
    )
    call.panel.set(panel)
    backdate(Call, [call], [created_at])
    return call


def seed_cohort_call(cohort: list[Scored], *, panel: list, contacts: dict, today: dt.date) -> None:
    opens_on, closes_on, decided_on = cohort_dates(today)
    slug = f"incubation-cohort-{closes_on:%Y-%m}"
    if Call.objects.filter(slug=slug).exists():
        return
    admin, operator = panel[2], panel[1]
    call = _call_with_rubric(
        slug=slug,
        kind=Call.Kind.INCUBATION,
        texts=COHORT_CALL,
        questions=COHORT_QUESTIONS,
        rubric=COHORT_RUBRIC,
        panel=panel,
        created_at=_at(opens_on - dt.timedelta(days=7), dt.time(10)),
        opens_on=opens_on,
        closes_at=_at(closes_on, dt.time(17)),
        reviews_per_application=2,
    )
    questions = list(call.questions.order_by("order"))
    criteria = list(call.criteria.order_by("order"))
    conflicted = cohort[0].plan.company
    ConflictOfInterest.objects.create(reviewer=panel[0], company=conflicted, reason=CONFLICT_REASON)

    decided_at = _at(decided_on, dt.time(15))
    Application.objects.bulk_create(
        [
            Application(
                call=call,
                company=entry.plan.company,
                submitted_by=contacts[entry.plan.company.pk],
                status=Application.Status.ACCEPTED
                if entry.accepted
                else Application.Status.REJECTED,
                summary=entry.plan.description,
                submitted_at=entry.submitted_at,
                decided_at=decided_at,
                decided_by=admin,
                feedback=ACCEPTANCE_FEEDBACK if entry.accepted else REJECTION_FEEDBACK,
            )
            for entry in cohort
        ]
    )
    applications = {
        application.company_id: application for application in Application.objects.filter(call=call)
    }
    backdate(
        Application,
        [applications[entry.plan.company.pk] for entry in cohort],
        [entry.submitted_at for entry in cohort],
    )
    Answer.objects.bulk_create(
        Answer(application=applications[entry.plan.company.pk], question=question, text=text)
        for entry in cohort
        for question, text in zip(questions, entry.answers, strict=True)
        if text
    )
    Review.objects.bulk_create(
        Review(
            application=applications[entry.plan.company.pk],
            reviewer=panel[reviewer],
            comments=entry.comments[reviewer],
            submitted_at=entry.reviewed_at[reviewer],
        )
        for entry in cohort
        for reviewer in entry.scores
    )
    reviews = {
        (review.application_id, review.reviewer_id): review
        for review in Review.objects.filter(application__call=call)
    }
    # Assigned the morning after the deadline.
    assigned_at = _at(closes_on + dt.timedelta(days=1), dt.time(10))
    backdate(Review, list(reviews.values()), [assigned_at] * len(reviews))
    Score.objects.bulk_create(
        (
            Score(
                review=reviews[(applications[entry.plan.company.pk].pk, panel[reviewer].pk)],
                criterion=criterion,
                value=value,
            )
            for entry in cohort
            for reviewer, values in entry.scores.items()
            for criterion, value in zip(criteria, values, strict=True)
        ),
        batch_size=BATCH_SIZE,
    )
    for entry in cohort:
        if entry.accepted:
            _admit(entry.plan, applications[entry.plan.company.pk], operator)


def _admit(plan: CompanyPlan, application: Application, operator) -> None:
    """What accepting does: the company admitted and its first engagement started."""
    company, day = plan.company, plan.admitted_on
    Company.objects.filter(pk=company.pk, status=Company.Status.APPLIED).update(
        status=Company.Status.ADMITTED, admitted_on=day
    )
    moment = _at(day, dt.time(16))
    engagement = Engagement.objects.create(
        company=company,
        title=f"{plan.domain} · 全生命周期服务",
        stage=LifecycleStage.SCENARIO_ANALYSIS,
        owner=operator,
        started_on=day,
        target_on=day + dt.timedelta(days=180),
        stage_changed_at=moment,
        notes=f"场景：{plan.domain}。{COHORT_CALL['title_zh']}入选企业。",
    )
    StageMove.objects.create(
        engagement=engagement,
        from_stage="",
        to_stage=engagement.stage,
        moved_by=operator,
        moved_at=moment,
        note="入驻，开始场景分析。",
    )
    Application.objects.filter(pk=application.pk).update(engagement=engagement)


def seed_grant_call(grant_companies, *, submitters, panel, contacts, today: dt.date) -> None:
    """The open call: the demo owner's company has a draft, the rival's a submitted
    application, three others two submitted and one draft."""
    opens_on, closes_on = today - dt.timedelta(days=20), today + dt.timedelta(days=40)
    slug = f"compute-grants-{closes_on:%Y-%m}"
    if Call.objects.filter(slug=slug).exists():
        return
    grant_starts_on = clock.first_day(clock.add_months(clock.month_of(closes_on), 1))
    call = _call_with_rubric(
        slug=slug,
        kind=Call.Kind.COMPUTE_GRANT,
        texts=GRANT_CALL,
        questions=GRANT_QUESTIONS,
        rubric=GRANT_RUBRIC,
        panel=panel,
        created_at=_at(opens_on - dt.timedelta(days=3), dt.time(10)),
        opens_on=opens_on,
        closes_at=_at(closes_on, dt.time(17)),
        hours_pool=GRANT_HOURS_POOL,
        accelerator_type=AcceleratorType.objects.get(preset=GRANT_PRESET),
        site=Site.objects.get(code=GRANT_SITE),
        grant_starts_on=grant_starts_on,
        grant_ends_on=clock.first_day(clock.add_months(clock.month_of(grant_starts_on), 6)),
        reviews_per_application=2,
    )
    question = call.questions.get()
    statuses = ["draft", "submitted", "submitted", "submitted", "draft"]
    hours = [Decimal("800"), Decimal("1200"), Decimal("2000"), Decimal("600"), Decimal("1500")]
    caps = [4, 8, 8, 2, 4]
    rows = []
    for number, (plan, status) in enumerate(zip(grant_companies, statuses, strict=True)):
        submitter = submitters[number] if number < len(submitters) else contacts[plan.company.pk]
        submitted = status == Application.Status.SUBMITTED
        rows.append(
            Application(
                call=call,
                company=plan.company,
                submitted_by=submitter,
                status=status,
                summary=f"{plan.domain}：在本部昇腾资源池上完成模型迁移与验证。",
                requested_hours=hours[number],
                requested_device_cap=caps[number],
                submitted_at=_at(today - dt.timedelta(days=number + 1), dt.time(11))
                if submitted
                else None,
            )
        )
    Application.objects.bulk_create(rows)
    Answer.objects.bulk_create(
        Answer(application=application, question=question, text=GRANT_ANSWERS[number])
        for number, application in enumerate(Application.objects.filter(call=call).order_by("pk"))
    )
