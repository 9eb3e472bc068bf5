"""Who sees what, for every model of the project: one world, every viewer, every model.

Each row in the world is tagged with the tenants that may see it; the test derives the
expected rows from the tags and compares with `scoped_queryset`. A model added to the
project without rows here fails `test_it_covers_every_model`.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models as djmodels
from django.http import Http404
from django.utils import timezone

from innovation_center.accounts.access import get_scoped_or_404, scoped_queryset
from innovation_center.accounts.models import (
    ApiToken,
    AuditEvent,
    IdempotencyKey,
    Invitation,
    LoginSession,
    Membership,
    Notification,
    Organisation,
    Profile,
)
from innovation_center.benchmarks.models import Submission, Suite, Verification
from innovation_center.compute.models import (
    AllocationRequest,
    CapacityPool,
    CompanyMonthUsage,
    DeviceMonthUsage,
    DeviceOutage,
    Lease,
    UtilizationMonth,
)
from innovation_center.core.checks import OUR_APPS
from innovation_center.ecosystem.models import Engagement, Milestone, Solution, StageMove
from innovation_center.evaluation.models import EvaluationJob, JobResult, JobShard
from innovation_center.programs.models import (
    Answer,
    Application,
    Attachment,
    Call,
    ConflictOfInterest,
    Criterion,
    FundingRound,
    KpiReport,
    Mentor,
    Question,
    Review,
    Score,
)
from innovation_center.talent.models import Course, CrowdTask, Internship, Program, Teacher
from tests import factories

EVERYONE = "*"


class World:
    def __init__(self):
        self.rows: dict[type, list[tuple[djmodels.Model, set[str]]]] = {}

    def add(self, obj, *tags):
        self.rows.setdefault(type(obj), []).append((obj, set(tags)))
        return obj


def invitation(organisation, email):
    return Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=Membership.Role.COMPANY_MEMBER
        if organisation.kind == Organisation.Kind.COMPANY
        else Membership.Role.COORDINATOR,
        key_hash=ApiToken.hash_key(email),
        expires_at=timezone.now() + dt.timedelta(days=7),
    )


def build_tenant_company(world, key, center_staff):
    company = world.add(factories.company(f"Company {key}"), key)
    organisation = world.add(company.organisation, key)
    owner = factories.member(organisation, Membership.Role.COMPANY_OWNER, f"owner_{key}")
    member = factories.member(organisation, Membership.Role.COMPANY_MEMBER, f"member_{key}")
    for membership in Membership.objects.filter(organisation=organisation):
        world.add(membership, key)
    token = ApiToken.objects.create(
        user=owner, name="ci", prefix="abcd", key_hash=ApiToken.hash_key(f"k-{key}")
    )
    world.add(token, f"user:owner_{key}")
    world.add(Profile.objects.create(user=owner, language="zh-hans"), f"user:owner_{key}")
    world.add(
        LoginSession.objects.create(user=owner, session_key=f"session-{key}"),
        f"user:owner_{key}",
    )
    world.add(
        Notification.objects.create(user=owner, kind="people", subject="Hello"),
        f"user:owner_{key}",
    )
    world.add(
        IdempotencyKey.objects.create(user=owner, key=f"retry-{key}", fingerprint="0" * 64),
        f"user:owner_{key}",
    )
    # Invitations are for the people who manage the organisation's people, not every member.
    world.add(invitation(organisation, f"new-{key}@example.com"), f"managers:{key}")
    engagement = world.add(
        Engagement.objects.create(
            company=company, title="Defect detection", started_on=dt.date(2021, 3, 1)
        ),
        key,
    )
    world.add(
        StageMove.objects.create(
            engagement=engagement,
            to_stage="scenario_analysis",
            moved_by=center_staff,
            moved_at=timezone.now(),
        ),
        key,
    )
    world.add(
        Milestone.objects.create(engagement=engagement, title="Pilot", due_on=dt.date(2021, 6, 1)),
        key,
    )
    solution = Solution.objects.create(name=f"Solution {key}", vertical="smart_city")
    solution.companies.add(company)
    world.add(solution, key)
    allocation = world.add(factories.allocation(company), key)
    for entry in allocation.ledger_entries.all():
        world.add(entry, key)
    world.add(
        AllocationRequest.objects.create(
            company=company,
            hours=Decimal("100"),
            device_cap=2,
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 6, 30),
            purpose="Train a detector",
        ),
        key,
    )
    model = world.add(factories.model_artifact(company), key)
    world.add(factories.uploaded_dataset(company), key)
    job = world.add(factories.job(allocation, model=model), key)
    world.add(job.workload, key)
    world.add(JobShard.objects.create(job=job, index=0, row_start=0, row_stop=10), key)
    world.add(
        JobResult.objects.create(
            job=job,
            accuracy=0.9,
            mean_loss=0.3,
            samples=10,
            correct=9,
            confusion_matrix=[[1]],
            samples_per_second=100.0,
            device_seconds=Decimal("1.5"),
            wall_seconds=0.1,
            hours_charged=Decimal("0.001"),
        ),
        key,
    )
    device = world.add(factories.accelerator(f"DEV-{key}"), EVERYONE)
    world.add(
        DeviceOutage.objects.create(
            accelerator=device, health="draining", started_at=timezone.now()
        ),
        EVERYONE,
    )
    world.add(
        Lease.objects.create(
            accelerator=device,
            allocation=allocation,
            workload=job.workload,
            started_at=timezone.now(),
        ),
        key,
    )
    world.add(
        AuditEvent.objects.create(
            actor=center_staff,
            action="update",
            content_type=ContentType.objects.get_for_model(company),
            object_id=str(company.pk),
            object_repr=str(company),
            organisation=organisation,
        ),
        key,
    )
    return company, owner, member


def build_tenant_university(world, key, host_company, host_key):
    university = world.add(factories.university(f"University {key}"), key)
    world.add(university.organisation, key)
    coordinator = factories.member(
        university.organisation, Membership.Role.COORDINATOR, f"coordinator_{key}"
    )
    world.add(Membership.objects.get(user=coordinator), key)
    world.add(invitation(university.organisation, f"new-{key}@example.com"), f"managers:{key}")
    course_program = factories.program(Program.Kind.COURSE)
    world.add(
        Course.objects.create(
            university=university,
            program=course_program,
            title="Ascend AI fundamentals",
            year=2021,
            term="autumn",
            students_enrolled=120,
            hours=32,
        ),
        key,
    )
    world.add(Teacher.objects.create(university=university, name=f"Teacher {key}"), key)
    world.add(
        CrowdTask.objects.create(
            university=university, kind="operator", title="Conv2D operator", team="Team A"
        ),
        key,
    )
    world.add(
        Internship.objects.create(
            university=university,
            host_company=host_company,
            student_count=3,
            starts_on=dt.date(2021, 7, 1),
            ends_on=dt.date(2021, 8, 31),
        ),
        key,
        host_key,
    )
    return coordinator


@pytest.fixture
def world(db):
    world = World()
    staff = factories.center_staff("staff")
    center = world.add(Organisation.objects.get(kind=Organisation.Kind.CENTER), "center")
    world.add(Membership.objects.get(user=staff), "center")
    company_a, owner_a, member_a = build_tenant_company(world, "A", staff)
    company_b, _owner_b, _member_b = build_tenant_company(world, "B", staff)
    coordinator_u = build_tenant_university(world, "U", company_a, "A")
    build_tenant_university(world, "V", company_b, "B")
    # Catalogues and shared rows.
    world.add(factories.site(), EVERYONE)
    world.add(factories.accelerator_type(), EVERYONE)
    world.add(CapacityPool.objects.create(accelerator_type=factories.accelerator_type()), EVERYONE)
    world.add(factories.builtin_dataset(), EVERYONE)
    world.add(factories.program(Program.Kind.COURSE), EVERYONE)
    build_program_and_benchmark_rows(world, staff, company_a, company_b, owner_a)
    world.center = center
    world.viewers = {
        "staff": (staff, None),
        "owner_A": (owner_a, {"A", "user:owner_A", "managers:A"}),
        "member_A": (member_a, {"A", "user:member_A"}),
        "coordinator_U": (coordinator_u, {"U", "user:coordinator_U", "managers:U"}),
    }
    return world


def build_program_and_benchmark_rows(world, staff, company_a, company_b, owner_a):
    """Calls (published: everyone; a draft: the center), each company's application with its
    answer, file, KPI report and funding; company A's owner sits on the panel and reviews
    company B's application, so the reviewer's scope is tested beside the company's."""
    now = timezone.now()
    published = world.add(
        Call.objects.create(
            kind=Call.Kind.INCUBATION,
            slug="cohort",
            title="Cohort",
            text="Apply.",
            opens_on=dt.date(2021, 1, 1),
            closes_at=now + dt.timedelta(days=30),
            is_published=True,
        ),
        EVERYONE,
    )
    draft = world.add(
        Call.objects.create(
            kind=Call.Kind.INCUBATION,
            slug="draft",
            title="Draft",
            text="Not yet.",
            opens_on=dt.date(2021, 1, 1),
            closes_at=now + dt.timedelta(days=30),
        ),
        "center",
    )
    question = world.add(Question.objects.create(call=published, text="What?"), EVERYONE)
    world.add(Question.objects.create(call=draft, text="Draft question"), "center")
    criterion = world.add(Criterion.objects.create(call=published, name="Team"), EVERYONE)
    world.add(Criterion.objects.create(call=draft, name="Draft criterion"), "center")
    world.add(Mentor.objects.create(name="A mentor"), "center")
    reviewers = {"A": staff, "B": owner_a}
    for key, company in (("A", company_a), ("B", company_b)):
        reviewer_tags = {key} if key == "A" else {key, "user:owner_A"}
        application = world.add(
            Application.objects.create(call=published, company=company), *reviewer_tags
        )
        world.add(
            Answer.objects.create(application=application, question=question, text="Boards"),
            *reviewer_tags,
        )
        world.add(
            Attachment.objects.create(
                application=application,
                file="private/applications/x.pdf",
                original_name="plan.pdf",
                content_type="application/pdf",
                size=10,
            ),
            *reviewer_tags,
        )
        # Scores are the reviewer's and the center's: the applicant company never sees them.
        review_tag = "center" if key == "A" else "user:owner_A"
        review = world.add(
            Review.objects.create(application=application, reviewer=reviewers[key]), review_tag
        )
        world.add(Score.objects.create(review=review, criterion=criterion, value=4), review_tag)
        report = world.add(KpiReport.objects.create(company=company, year=2025, half=2), key)
        world.add(
            FundingRound.objects.create(report=report, round="seed", amount=Decimal("100")), key
        )
        job = EvaluationJob.objects.filter(company=company).first()
        suite = Suite.objects.filter(slug="digits").first() or world.add(
            Suite.objects.create(
                name="Digits",
                slug="digits",
                description="Held out.",
                dataset=job.dataset,
                accelerator_type=job.allocation.accelerator_type,
                allocation=job.allocation,
            ),
            EVERYONE,
        )
        world.add(
            Submission.objects.create(
                suite=suite, company=company, model=job.model, job=job, created_at=now
            ),
            key,
        )
        rerun = factories.job(job.allocation, model=job.model)
        world.add(rerun.workload, key)
        world.add(rerun, key)
        world.add(Verification.objects.create(original=job, job=rerun, created_at=now), key)
    world.add(
        ConflictOfInterest.objects.create(reviewer=owner_a, company=company_b, reason="Investor"),
        "user:owner_A",
    )
    rollup = world.add(
        UtilizationMonth.objects.create(year=2021, month=1, computed_at=now), "center"
    )
    world.add(
        DeviceMonthUsage.objects.create(
            rollup=rollup,
            accelerator_id=1,
            site_id=1,
            accelerator_type_id=1,
            capacity_seconds=1.0,
            out_of_service_seconds=0.0,
            busy_seconds=0.5,
        ),
        "center",
    )
    world.add(
        CompanyMonthUsage.objects.create(rollup=rollup, company_id=1, busy_seconds=0.5), "center"
    )


def project_models():
    return [model for label in OUR_APPS for model in apps.get_app_config(label).get_models()]


def test_it_covers_every_model(world):
    missing = {m._meta.label for m in project_models()} - {m._meta.label for m in world.rows}
    assert not missing, f"add rows of {missing} to the scoping world"


@pytest.mark.parametrize("viewer_name", ["staff", "owner_A", "member_A", "coordinator_U"])
def test_it_shows_each_viewer_exactly_their_rows(world, viewer_name):
    user, tenant_tags = world.viewers[viewer_name]
    for model in project_models():
        rows = world.rows[model]
        if tenant_tags is None:
            expected = {obj.pk for obj, _tags in rows}
        else:
            expected = {obj.pk for obj, tags in rows if tags & (tenant_tags | {EVERYONE})}
        visible = set(scoped_queryset(user, model).values_list("pk", flat=True))
        in_world = {obj.pk for obj, _tags in rows}
        assert visible & in_world == expected, f"{viewer_name} on {model._meta.label}"


def test_it_hides_the_other_company_from_a_member(world):
    member_a = world.viewers["member_A"][0]
    for model in project_models():
        for obj, tags in world.rows[model]:
            if tags & {"B", "V"} and not tags & {"A", EVERYONE}:
                with pytest.raises(Http404):
                    get_scoped_or_404(member_a, model, pk=obj.pk)


def test_it_shows_a_university_only_to_its_coordinator(world):
    coordinator = world.viewers["coordinator_U"][0]
    titles = set(scoped_queryset(coordinator, Course).values_list("university__name", flat=True))
    assert titles == {"University U"}


def test_it_shows_nothing_to_an_anonymous_or_unaffiliated_user(world):
    from django.contrib.auth.models import AnonymousUser

    loner = factories.user("loner")
    for model in project_models():
        assert not scoped_queryset(AnonymousUser(), model).exists()
        visible = set(scoped_queryset(loner, model).values_list("pk", flat=True))
        in_world = {obj.pk for obj, _tags in world.rows[model]}
        everyone = {obj.pk for obj, tags in world.rows[model] if EVERYONE in tags}
        assert visible & in_world <= everyone, model._meta.label


def test_it_refuses_a_model_without_a_scope():
    class Unscoped(djmodels.Model):
        class Meta:
            app_label = "core"
            managed = False

        def __str__(self):
            return "unscoped"

    with pytest.raises(ImproperlyConfigured):
        scoped_queryset(None, Unscoped)


def test_it_does_not_duplicate_rows_across_many_to_many(world):
    owner_a = world.viewers["owner_A"][0]
    company_b_solution = Solution.objects.get(name="Solution B")
    company_a = world.rows[type(company_b_solution.companies.first())][0][0]
    company_b_solution.companies.add(company_a)
    factory_company = factories.company("Company C")
    company_b_solution.companies.add(factory_company)
    names = list(scoped_queryset(owner_a, Solution).values_list("name", flat=True))
    assert sorted(names) == ["Solution A", "Solution B"]
