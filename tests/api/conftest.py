"""One small world for the API tests: the center's staff, two companies, a university.

Every resource has a row of company A (or of the university) and, for the scope tests, the
same of company B (memberships and invitations too). Users are named after their role in the
permission matrix; the owner has a notification.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from innovation_center.accounts.models import Membership, Notification, NotificationKind
from innovation_center.accounts.people import invitation_create
from innovation_center.accounts.services import api_token_issue
from innovation_center.benchmarks.models import Submission, Suite, Verification
from innovation_center.compute.models import AllocationRequest
from innovation_center.ecosystem.models import Engagement, Solution
from innovation_center.evaluation.builtins import BENCHMARK_DATASETS, ensure_builtin_datasets
from innovation_center.evaluation.models import Dataset, EvaluationJob, JobResult
from innovation_center.programs.models import (
    Answer,
    Application,
    Attachment,
    Call,
    ConflictOfInterest,
    Criterion,
    KpiReport,
    Question,
    Review,
)
from innovation_center.talent.models import Course, CrowdTask, Internship, Program, Teacher
from tests import factories

ROLES = ("admin", "reviewer", "operator", "owner", "member", "other", "coordinator", "anon")


@dataclass
class CompanyRows:
    company: object
    engagement: object
    solution: object
    allocation_request: object
    allocation: object
    ledger_entry: object
    model: object
    dataset: object
    job: object
    finished_job: object
    result: object
    # Made once the company's people exist (build_world).
    membership: object = None
    invitation: object = None
    # Its entry in the world's suite and the center's verification of its result (no new
    # jobs: they point at the company's two jobs, so job counts stay as they are).
    submission: object = None
    verification: object = None
    # Its application to the world's open call, with a file and the reviewer's review, and
    # a KPI report (program_rows).
    application: object = None
    attachment: object = None
    review: object = None
    kpi_report: object = None


@dataclass
class World:
    users: dict = field(default_factory=dict)
    a: CompanyRows | None = None
    b: CompanyRows | None = None
    rows: dict = field(default_factory=dict)


def company_rows(key: str, staff) -> CompanyRows:
    company = factories.company(f"Company {key}")
    engagement = Engagement.objects.create(
        company=company, title=f"Engagement {key}", started_on=dt.date(2026, 1, 5)
    )
    solution = Solution.objects.create(name=f"Solution {key}", vertical="smart_city")
    solution.companies.add(company)
    request = AllocationRequest.objects.create(
        company=company,
        hours=Decimal("100"),
        device_cap=2,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 6, 30),
        purpose="Evaluate a detector",
        accelerator_type=factories.accelerator_type(),
    )
    allocation = factories.allocation(company, hours="100", device_cap=2)
    model = factories.model_artifact(company, f"model {key}")
    dataset = factories.uploaded_dataset(company, f"data {key}")
    job = factories.job(allocation, model=model)
    finished = factories.job(
        allocation,
        model=model,
        status=EvaluationJob.Status.SUCCEEDED,
        shards_total=1,
        shards_done=1,
        finished_at=timezone.now(),
    )
    result = JobResult.objects.create(
        job=finished,
        accuracy=0.5,
        mean_loss=1.2,
        samples=4,
        correct=2,
        confusion_matrix=[[1, 1], [1, 1]],
        samples_per_second=1000.0,
        device_seconds=Decimal("0.01"),
        wall_seconds=0.02,
        hours_charged=Decimal("0.000003"),
        per_device=[{"device_id": "DEV-1", "samples": 4}],
    )
    return CompanyRows(
        company=company,
        engagement=engagement,
        solution=solution,
        allocation_request=request,
        allocation=allocation,
        ledger_entry=allocation.ledger_entries.first(),
        model=model,
        dataset=dataset,
        job=job,
        finished_job=finished,
        result=result,
    )


def build_world() -> World:
    world = World()
    users = world.users
    users["admin"] = factories.center_staff("admin", Membership.Role.CENTER_ADMIN)
    users["reviewer"] = factories.center_staff("reviewer", Membership.Role.CENTER_REVIEWER)
    users["operator"] = factories.center_staff("operator", Membership.Role.CENTER_OPERATOR)
    world.a = company_rows("A", users["admin"])
    world.b = company_rows("B", users["admin"])
    org_a, org_b = world.a.company.organisation, world.b.company.organisation
    users["owner"] = factories.member(org_a, Membership.Role.COMPANY_OWNER, "owner")
    users["member"] = factories.member(org_a, Membership.Role.COMPANY_MEMBER, "member")
    users["other"] = factories.member(org_b, Membership.Role.COMPANY_MEMBER, "other")
    users["other_owner"] = factories.member(org_b, Membership.Role.COMPANY_OWNER, "other_owner")
    # The plain member's membership: DELETE by the member is leaving, by a manager removing.
    world.a.membership = Membership.objects.get(user=users["member"], organisation=org_a)
    world.b.membership = Membership.objects.get(user=users["other"], organisation=org_b)
    world.a.invitation = invitation_create(
        actor=users["owner"],
        organisation=org_a,
        email="invitee.a@example.com",
        role=Membership.Role.COMPANY_MEMBER,
    )
    world.b.invitation = invitation_create(
        actor=users["other_owner"],
        organisation=org_b,
        email="invitee.b@example.com",
        role=Membership.Role.COMPANY_MEMBER,
    )
    university = factories.university("University U")
    users["coordinator"] = factories.member(
        university.organisation, Membership.Role.COORDINATOR, "coordinator"
    )
    course_program = factories.program(Program.Kind.COURSE, 2026)
    course = Course.objects.create(
        university=university,
        program=course_program,
        title="Deep learning",
        year=2026,
        term=Course.Term.SPRING,
        students_enrolled=40,
        hours=32,
    )
    course.teachers.add(Teacher.objects.create(university=university, name="Wang"))
    crowd_task = CrowdTask.objects.create(
        university=university,
        program=factories.program(Program.Kind.CROWD, 2026),
        kind=CrowdTask.Kind.OPERATOR,
        title="An operator",
        team="Lab 1",
    )
    internship = Internship.objects.create(
        university=university,
        host_name="Somewhere else",
        student_count=3,
        starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2026, 8, 31),
    )
    device = factories.accelerator("DEV-0001")
    ensure_builtin_datasets(Dataset, BENCHMARK_DATASETS)
    suite = Suite.objects.create(
        name="Digits held out",
        slug="digits",
        description="The held-out 30% of the digits.",
        dataset=Dataset.objects.get(builtin_name="digits_holdout"),
        accelerator_type=world.a.allocation.accelerator_type,
        allocation=world.a.allocation,
    )
    for rows in (world.a, world.b):
        now = timezone.now()
        rows.submission = Submission.objects.create(
            suite=suite,
            company=rows.company,
            model=rows.model,
            job=rows.finished_job,
            created_at=now,
        )
        rows.verification = Verification.objects.create(
            original=rows.finished_job, job=rows.job, requested_by=users["admin"], created_at=now
        )
    program_rows(world)
    world.rows = {
        **world.rows,
        "suite": suite,
        "university": university,
        "program": course_program,
        "course": course,
        "crowdtask": crowd_task,
        "internship": internship,
        "site": device.site,
        "acceleratortype": device.accelerator_type,
        "accelerator": device,
        "token": api_token_issue(user=users["owner"], name="ci")[0],
        "notification": Notification.objects.create(
            user=users["owner"], kind=NotificationKind.PEOPLE, subject="Welcome to Company A"
        ),
    }
    return world


def program_rows(world: World) -> None:
    """An open published call with a question, a rubric line and the reviewer on its panel;
    each company's draft application with an answer, a file and the reviewer's review, and a
    KPI report; the operator's declared conflict with company B."""
    users = world.users
    now = timezone.now()
    call = Call.objects.create(
        kind=Call.Kind.INCUBATION,
        slug="cohort",
        title="Cohort",
        title_zh="批次",
        text="Apply for the cohort.",
        opens_on=(now - dt.timedelta(days=10)).date(),
        closes_at=now + dt.timedelta(days=30),
        is_published=True,
        created_by=users["admin"],
    )
    call.panel.add(users["reviewer"])
    question = Question.objects.create(call=call, text="What do you build?", text_zh="做什么？")
    Criterion.objects.create(call=call, name="Team", name_zh="团队", weight=Decimal("2"))
    for rows in (world.a, world.b):
        rows.application = Application.objects.create(
            call=call, company=rows.company, summary=f"{rows.company.legal_name} applies"
        )
        Answer.objects.create(application=rows.application, question=question, text="Boards")
        rows.attachment = Attachment.objects.create(
            application=rows.application,
            file=ContentFile(b"%PDF-1.4 plan", name="plan.pdf"),
            original_name="plan.pdf",
            content_type="application/pdf",
            size=13,
        )
        rows.review = Review.objects.create(
            application=rows.application, reviewer=users["reviewer"]
        )
        rows.kpi_report = KpiReport.objects.create(
            company=rows.company, year=2025, half=KpiReport.Half.SECOND, employees=5
        )
    world.rows["call"] = call
    world.rows["conflict"] = ConflictOfInterest.objects.create(
        reviewer=users["operator"], company=world.b.company, reason="Former employer"
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


def client_for(user=None, *, key: str | None = None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    elif user is not None:
        client.force_authenticate(user)
    return client
