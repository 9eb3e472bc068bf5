"""The demo's half-yearly KPI reports: two years of them, shaped against the national criteria."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from innovation_center.demo.common import BATCH_SIZE, backdate, office_hours_at
from innovation_center.demo.companies import CompanyPlan
from innovation_center.demo.data.programs import (
    FINANCED_SHARE,
    HIGH_REVENUE_SHARE,
    HIGH_TECH_SHARE,
    INVESTORS,
    IP_FILED_SHARE,
    IP_GRANTED_SHARE,
)
from innovation_center.programs.models import (
    FundingRound,
    KpiReport,
)

KPI_HALVES = 4  # two years of half-yearly reports


@dataclass
class KpiPlan:
    plan: CompanyPlan  # its company may be written after the plan is drawn
    year: int
    half: int
    revenue: Decimal
    employees: int
    patents_filed: int
    patents_granted: int
    copyrights_filed: int
    copyrights_granted: int
    high_tech_enterprise: bool
    products_launched: int
    acquired_or_listed: bool
    funding: list[tuple[str, Decimal, str]]
    created_at: dt.datetime


def _complete_halves(today: dt.date, count: int) -> list[tuple[int, int]]:
    """The `count` half-years that ended before `today`, oldest first."""
    year, half = today.year, 1 if today.month <= 6 else 2
    halves = []
    for _index in range(count):
        year, half = (year, 1) if half == 2 else (year - 1, 2)
        halves.append((year, half))
    return halves[::-1]


def _half_end(year: int, half: int) -> dt.date:
    return dt.date(year, 6, 30) if half == 1 else dt.date(year, 12, 31)


def plan_kpis(rng: random.Random, incubated: list[CompanyPlan], *, today: dt.date) -> list:
    """Reports for the halves each incubated firm has been at the center for (a firm
    admitted in the current half has none yet). The shares of `data.programs` are of all
    the incubated firms. Who filed IP, holds granted IP, raised money or is a high-tech
    enterprise is the same in every report of a firm (and its funding is in its latest
    report), so the criteria's figures do not depend on which of its reports they read."""
    halves = _complete_halves(today, KPI_HALVES)
    count = len(incubated)
    reporters = [
        index for index, plan in enumerate(incubated) if _half_end(*halves[-1]) > plan.admitted_on
    ]

    def some(share: float, among: list[int]) -> set[int]:
        return set(rng.sample(among, min(len(among), round(share * count))))

    filers = some(IP_FILED_SHARE, reporters)
    granted = some(IP_GRANTED_SHARE, sorted(filers))
    financed_order = rng.sample(reporters, min(len(reporters), round(FINANCED_SHARE * count)))
    big_rounds = set(financed_order[:4])  # raised ≥ ¥5M: a graduation test
    financed = set(financed_order)
    high_tech = some(HIGH_TECH_SHARE, reporters)
    high_revenue = some(HIGH_REVENUE_SHARE, reporters)
    listed = rng.choice(reporters)
    reports = []
    for index, plan in enumerate(incubated):
        employees = rng.randint(5, 40)
        reported = [(y, h) for y, h in halves if _half_end(y, h) > plan.admitted_on]
        for number, (year, half) in enumerate(reported):
            latest = number == len(reported) - 1
            if index in high_revenue:
                revenue = rng.randint(3_000, 8_000) * 1000
            else:
                revenue = rng.randint(50, 2_200) * 1000
            employees += rng.randint(-1, 6)
            funding = []
            if index in financed and latest:
                if index in big_rounds:
                    funding.append(("a", Decimal(rng.randint(50, 300) * 100_000)))
                else:
                    funding.append(
                        (
                            rng.choice(["angel", "seed", "pre_a"]),
                            Decimal(rng.randint(5, 40) * 100_000),
                        )
                    )
            elif index in financed and rng.random() < 0.25:
                funding.append(("grant", Decimal(rng.randint(2, 10) * 100_000)))
            ended = _half_end(year, half)
            reports.append(
                KpiPlan(
                    plan=plan,
                    year=year,
                    half=half,
                    revenue=Decimal(revenue),
                    employees=max(3, employees),
                    patents_filed=rng.randint(1, 4) if index in filers else 0,
                    patents_granted=rng.randint(1, 2) if index in granted else 0,
                    copyrights_filed=rng.randint(0, 3) if index in filers else 0,
                    copyrights_granted=rng.randint(0, 2) if index in granted else 0,
                    high_tech_enterprise=index in high_tech,
                    products_launched=rng.randint(0, 2),
                    acquired_or_listed=index == listed and latest,
                    funding=[
                        (round_, amount, "、".join(rng.sample(INVESTORS, rng.randint(1, 2))))
                        for round_, amount in funding
                    ],
                    created_at=office_hours_at(
                        min(ended + dt.timedelta(days=rng.randint(5, 25)), today), rng
                    ),
                )
            )
    return reports


def seed_kpi_reports(kpis: list[KpiPlan], *, contacts: dict) -> None:
    have = set(KpiReport.objects.values_list("company_id", "year", "half"))
    new = [kpi for kpi in kpis if (kpi.plan.company.pk, kpi.year, kpi.half) not in have]
    if not new:
        return
    KpiReport.objects.bulk_create(
        (
            KpiReport(
                company=kpi.plan.company,
                year=kpi.year,
                half=kpi.half,
                revenue=kpi.revenue,
                employees=kpi.employees,
                patents_filed=kpi.patents_filed,
                patents_granted=kpi.patents_granted,
                copyrights_filed=kpi.copyrights_filed,
                copyrights_granted=kpi.copyrights_granted,
                high_tech_enterprise=kpi.high_tech_enterprise,
                products_launched=kpi.products_launched,
                acquired_or_listed=kpi.acquired_or_listed,
                submitted_by=contacts.get(kpi.plan.company.pk),
            )
            for kpi in new
        ),
        batch_size=BATCH_SIZE,
    )
    reports = {
        (report.company_id, report.year, report.half): report
        for report in KpiReport.objects.filter(company__in={kpi.plan.company.pk for kpi in new})
    }
    rows = [reports[(kpi.plan.company.pk, kpi.year, kpi.half)] for kpi in new]
    backdate(KpiReport, rows, [kpi.created_at for kpi in new])
    FundingRound.objects.bulk_create(
        FundingRound(report=report, round=round_, amount=amount, investors=investors)
        for kpi, report in zip(new, rows, strict=True)
        for round_, amount, investors in kpi.funding
    )
