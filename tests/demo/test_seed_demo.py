import datetime as dt

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from innovation_center.accounts.models import Membership, Organisation
from innovation_center.compute.models import Allocation, Lease, Site
from innovation_center.compute.selectors import allocation_balances, site_monthly_utilization
from innovation_center.core import clock
from innovation_center.core.uscc import validate_uscc
from innovation_center.ecosystem.models import Company, Engagement, LifecycleStage, Solution
from innovation_center.talent.models import Course, CrowdTask

DEMO_LOGINS = {
    # username: (role, kind of organisation)
    "admin": (Membership.Role.CENTER_ADMIN, Organisation.Kind.CENTER),
    "reviewer": (Membership.Role.CENTER_REVIEWER, Organisation.Kind.CENTER),
    "operator": (Membership.Role.CENTER_OPERATOR, Organisation.Kind.CENTER),
    "owner": (Membership.Role.COMPANY_OWNER, Organisation.Kind.COMPANY),
    "member": (Membership.Role.COMPANY_MEMBER, Organisation.Kind.COMPANY),
    "rival": (Membership.Role.COMPANY_OWNER, Organisation.Kind.COMPANY),
    "coordinator": (Membership.Role.COORDINATOR, Organisation.Kind.UNIVERSITY),
}


def row_counts() -> dict[str, int]:
    models = [get_user_model(), Solution.companies.through]
    for label in ("accounts", "ecosystem", "talent", "compute", "evaluation"):
        models.extend(apps.get_app_config(label).get_models())
    return {model._meta.label: model._default_manager.count() for model in models}


def past_twelve_months(today: dt.date) -> list[tuple[int, int]]:
    months = []
    for back in range(12, 0, -1):
        index = today.year * 12 + today.month - 1 - back
        months.append((index // 12, index % 12 + 1))
    return months


@pytest.mark.django_db
def test_it_seeds_the_article_figures_and_a_second_run_changes_nothing(capsys):
    call_command("seed_demo", "--quiet")
    first = row_counts()
    output = capsys.readouterr().out
    assert "demo-pass-2021" in output and "coordinator" in output
    assert "Created" not in output  # --quiet prints only the logins

    home = Site.objects.get(is_home=True)
    assert "武汉" in home.name
    assert Site.objects.count() >= 4

    companies = Company.objects.all()
    assert companies.count() >= 100
    assert set(companies.values_list("status", flat=True)) == set(Company.Status.values)
    for company in companies:
        validate_uscc(company.uscc)
        assert company.organisation.kind == Organisation.Kind.COMPANY
    assert not companies.filter(status=Company.Status.EXITED, exit_reason="").exists()
    assert set(Engagement.objects.values_list("stage", flat=True)) == set(LifecycleStage.values)

    assert Solution.objects.count() >= 50
    assert Solution.objects.values("vertical").distinct().count() >= 6

    courses = Course.objects.filter(year=2021).aggregate(
        count=Count("id"), students=Sum("students_enrolled")
    )
    assert courses["count"] == 105
    assert courses["students"] >= 16_000
    teachers = Course.objects.filter(year=2021).aggregate(n=Count("teachers", distinct=True))
    assert teachers["n"] == 75
    assert not Course.objects.filter(teachers__isnull=True).exists()
    tasks = dict(CrowdTask.objects.values_list("kind").annotate(n=Count("id")))
    assert tasks == {"operator": 160, "model": 25, "application": 1}

    sites = list(Site.objects.values_list("pk", flat=True))
    for year, month in past_twelve_months(clock.today()):
        utilization = site_monthly_utilization(year=year, month=month)
        for site_id in sites:
            assert utilization[site_id] > 0.90, (year, month, site_id, utilization[site_id])
    assert not Lease.objects.filter(ended_at__isnull=True).exists()

    balances = allocation_balances(allocation_ids=Allocation.objects.values_list("pk", flat=True))
    assert len(balances) == Allocation.objects.count()
    assert min(balance.available for balance in balances.values()) >= 0
    # Expired allocations wrote off what they did not use.
    for allocation in Allocation.objects.filter(status=Allocation.Status.EXPIRED):
        assert balances[allocation.pk].available == 0

    for username, (role, kind) in DEMO_LOGINS.items():
        user = authenticate(username=username, password="demo-pass-2021")
        assert user is not None, username
        membership = Membership.objects.get(user=user)
        assert (membership.role, membership.organisation.kind) == (role, kind)
        assert user.is_staff == (kind == Organisation.Kind.CENTER)
    owner_org = Membership.objects.get(user__username="owner").organisation
    assert Membership.objects.get(user__username="member").organisation == owner_org
    assert Membership.objects.get(user__username="rival").organisation != owner_org
    assert get_user_model().objects.get(username="admin").is_superuser
    assert Allocation.objects.filter(
        company__organisation=owner_org, status=Allocation.Status.ACTIVE
    ).exists()

    with CaptureQueriesContext(connection) as queries:
        call_command("seed_demo", "--quiet")
    writes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert row_counts() == first
