"""The center's standing against the national incubator criteria, from its own records.

国科发区〔2018〕300号《科技企业孵化器管理办法》 (the Ministry of Science and Technology's
measures for technology business incubators, 2018) sets the figures a national-level
incubator must reach (第九条) and the tests a graduating firm passes (at least one of them).
Each figure here is computed with a few aggregate queries over companies, KPI reports,
funding rounds, the center's people and mentors; each carries the rule's text, quoted in the
original with an English rendering, and the ids of the companies behind it.

Where the records cannot hold what the rule asks (floor space, staff training), the figure
is the nearest the records give, and `note` says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from innovation_center.accounts.models import Membership, Organisation
from innovation_center.ecosystem.models import Company
from innovation_center.programs.kpi import MONEY, REPORTING_STATUSES, last_periods
from innovation_center.programs.models import FundingRound, KpiReport, Mentor

MEASURES = "国科发区〔2018〕300号《科技企业孵化器管理办法》"
RAISED_THRESHOLD = Decimal("5000000")
REVENUE_THRESHOLD = Decimal("10000000")
# Rounds that count as 天使投资或风险投资 (angel or venture investment): not a government grant.
INVESTMENT_ROUNDS = [r for r in FundingRound.Round.values if r != FundingRound.Round.GRANT]


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: the article, its Chinese text as published, an English rendering."""

    article: str
    original: str
    english: str | Promise

    def __str__(self) -> str:
        return f"{MEASURES} {self.article}：“{self.original}”"


@dataclass
class Standing:
    key: str
    title: str | Promise
    source: Source
    value: Decimal
    threshold: Decimal
    unit: str | Promise
    met: bool
    company_ids: list[int] = field(default_factory=list)
    numerator: int = 0
    denominator: int = 0
    # Criteria that are alternatives (IP filed or IP granted) share a group: one suffices.
    either_group: str = ""
    note: str | Promise = ""

    @property
    def count(self) -> int:
        return len(self.company_ids)


SOURCES = {
    "incubated_firms": Source(
        "第九条第（六）项",
        "孵化器在孵企业不少于50家且每千平方米平均在孵企业不少于3家",
        _(
            "The incubator has at least 50 incubated firms, and on average at least 3 "
            "incubated firms per thousand square metres."
        ),
    ),
    "graduated_total": Source(
        "第九条第（七）项",
        "孵化器累计毕业企业应达到20家以上",
        _("The incubator has graduated at least 20 firms in total."),
    ),
    "ip_filed_share": Source(
        "第九条第（五）项",
        "孵化器在孵企业中已申请专利的企业占在孵企业总数比例不低于50%或拥有有效知识产权的企业占比不低于30%",
        _(
            "Among the incubated firms, those that have applied for patents are at least 50% "
            "of all incubated firms, or those holding valid intellectual property at least 30%."
        ),
    ),
    "financed_share": Source(
        "第九条第（三）项",
        "孵化器配备自有种子资金或合作的孵化资金规模不低于500万元人民币，获得投融资的在孵企业占比"
        "不低于10%，并有不少于3个的资金使用案例",
        _(
            "The incubator has its own seed fund or a partner incubation fund of at least "
            "¥5 million; incubated firms that received investment or financing are at least "
            "10 percent of them, with at least 3 cases of the fund's use."
        ),
    ),
    "per_10_firms": Source(
        "第九条第（四）项",
        "孵化器拥有职业化的服务队伍，专业孵化服务人员（指具有创业、投融资、企业管理等经验或经过"
        "创业服务相关培训的孵化器专职工作人员）占机构总人数80%以上，每10家在孵企业至少配备1名"
        "专业孵化服务人员和1名创业导师",
        _(
            "The incubator has a professional service team: professional incubation staff "
            "(full-time staff with experience of entrepreneurship, investment or management, "
            "or trained in start-up services) are over 80 percent of its people, and for every 10 "
            "incubated firms there are at least 1 professional incubation staff member and "
            "1 entrepreneurship mentor."
        ),
    ),
    "graduation": Source(
        "第九条第（十）项",
        "毕业企业应至少符合以下条件之一：1.经国家备案通过的高新技术企业；2.累计获得天使投资或"
        "风险投资超过500万元；3.连续2年营业收入累计超过1000万元；4.被兼并、收购或在国内外资本"
        "市场挂牌、上市",
        _(
            "A graduated firm meets at least one of: 1. a high-tech enterprise recognised "
            "by the state; 2. over ¥5 million of angel or venture investment in total; "
            "3. over ¥10 million of revenue over 2 consecutive years; 4. merged, acquired, "
            "or listed on a capital market at home or abroad."
        ),
    ),
}

GRADUATION_TESTS = {
    "high_tech_enterprise": _("High-tech enterprise (latest report)"),
    "raised_5m": _("¥5 million or more of angel or venture investment in total"),
    "revenue_10m_two_years": _("¥10 million or more of revenue over the last four half-years"),
    "acquired_or_listed": _("Acquired, merged or listed"),
}


def incubated_companies() -> QuerySet[Company]:
    """The incubated firms (在孵企业): admitted or incubating partner companies."""
    return Company.objects.partners().filter(status__in=REPORTING_STATUSES)


def graduated_companies() -> QuerySet[Company]:
    """Every firm that graduated, including those that have left since."""
    return Company.objects.partners().filter(
        Q(status=Company.Status.GRADUATED) | Q(graduated_on__isnull=False)
    )


def _ids(qs: QuerySet) -> list[int]:
    return list(qs.order_by("pk").values_list("pk", flat=True))


def _percent(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _per_ten(people: int, firms: int) -> Decimal:
    if not firms:
        return Decimal("0.00")
    return (Decimal(people) * 10 / Decimal(firms)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _share(key, title, *, ids, firms, threshold_percent, group="", note="") -> Standing:
    # Compared exactly (a fraction), not after rounding for display.
    met = bool(firms) and Fraction(len(ids), firms) >= Fraction(threshold_percent, 100)
    return Standing(
        key=key,
        title=title,
        source=SOURCES["ip_filed_share" if key.startswith("ip_") else key],
        value=_percent(len(ids), firms),
        threshold=Decimal(threshold_percent),
        unit="%",
        met=met,
        company_ids=ids,
        numerator=len(ids),
        denominator=firms,
        either_group=group,
        note=note,
    )


def center_staff_count() -> int:
    """Active people of the center's organisation: the professional incubation staff."""
    return (
        Membership.objects.filter(organisation__kind=Organisation.Kind.CENTER, user__is_active=True)
        .values("user_id")
        .distinct()
        .count()
    )


def criteria_standing(*, today: dt.date | None = None) -> list[Standing]:
    """The center's figure on each criterion, against its threshold, with the firms behind it."""
    incubated = incubated_companies()
    incubated_ids = _ids(incubated)
    firms = len(incubated_ids)
    reports = KpiReport.objects.filter(company=OuterRef("pk"))
    filed_ip = _ids(
        incubated.filter(Exists(reports.filter(Q(patents_filed__gt=0) | Q(copyrights_filed__gt=0))))
    )
    granted_ip = _ids(
        incubated.filter(
            Exists(reports.filter(Q(patents_granted__gt=0) | Q(copyrights_granted__gt=0)))
        )
    )
    financed = _ids(
        incubated.filter(Exists(FundingRound.objects.filter(report__company=OuterRef("pk"))))
    )
    graduated_ids = _ids(graduated_companies())
    staff = center_staff_count()
    mentors = Mentor.objects.filter(is_active=True).count()
    standings = [
        Standing(
            key="incubated_firms",
            title=_("Incubated firms"),
            source=SOURCES["incubated_firms"],
            value=Decimal(firms),
            threshold=Decimal(50),
            unit=_("firms"),
            met=firms >= 50,
            company_ids=incubated_ids,
            numerator=firms,
            note=_("Admitted and incubating companies; floor space is not recorded here."),
        ),
        Standing(
            key="graduated_total",
            title=_("Graduated firms in total"),
            source=SOURCES["graduated_total"],
            value=Decimal(len(graduated_ids)),
            threshold=Decimal(20),
            unit=_("firms"),
            met=len(graduated_ids) >= 20,
            company_ids=graduated_ids,
            numerator=len(graduated_ids),
        ),
        _share(
            "ip_filed_share",
            _("Incubated firms that have filed IP"),
            ids=filed_ip,
            firms=firms,
            threshold_percent=50,
            group="ip",
            note=_("Patents or software copyrights filed, in any KPI report."),
        ),
        _share(
            "ip_granted_share",
            _("Incubated firms holding granted IP"),
            ids=granted_ip,
            firms=firms,
            threshold_percent=30,
            group="ip",
            note=_("Patents or software copyrights granted, in any KPI report."),
        ),
        _share(
            "financed_share",
            _("Incubated firms that received funding"),
            ids=financed,
            firms=firms,
            threshold_percent=10,
            note=_("At least one funding round in any KPI report."),
        ),
        Standing(
            key="staff_per_10_firms",
            title=_("Professional incubation staff per 10 incubated firms"),
            source=SOURCES["per_10_firms"],
            value=_per_ten(staff, firms),
            threshold=Decimal(1),
            unit=_("per 10 firms"),
            met=bool(firms) and staff * 10 >= firms,
            company_ids=incubated_ids,
            numerator=staff,
            denominator=firms,
            note=_("Active people of the center's organisation."),
        ),
        Standing(
            key="mentors_per_10_firms",
            title=_("Mentors per 10 incubated firms"),
            source=SOURCES["per_10_firms"],
            value=_per_ten(mentors, firms),
            threshold=Decimal(1),
            unit=_("per 10 firms"),
            met=bool(firms) and mentors * 10 >= firms,
            company_ids=incubated_ids,
            numerator=mentors,
            denominator=firms,
            note=_("Active mentors of the center."),
        ),
    ]
    return standings


def standing_get(key: str, *, today: dt.date | None = None) -> Standing | None:
    return next((s for s in criteria_standing(today=today) if s.key == key), None)


# Graduation -----------------------------------------------------------------------------------


def _revenue_window(today: dt.date | None) -> Q:
    """The last four finished half-years (two years), as a filter on KPI reports."""
    condition = Q(pk__in=[])
    for period in last_periods(4, today=today):
        condition |= Q(year=period.year, half=period.half)
    return condition


def with_graduation_figures(qs: QuerySet[Company], *, today: dt.date | None = None) -> QuerySet:
    """Companies annotated with what the graduation tests read: each a subquery, one query."""
    reports = KpiReport.objects.filter(company=OuterRef("pk"))
    latest = reports.order_by("-year", "-half").values("high_tech_enterprise")[:1]
    raised = (
        FundingRound.objects.filter(report__company=OuterRef("pk"), round__in=INVESTMENT_ROUNDS)
        .order_by()
        .values("report__company")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    funding_total = (
        FundingRound.objects.filter(report__company=OuterRef("pk"))
        .order_by()
        .values("report__company")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    revenue = (
        reports.filter(_revenue_window(today))
        .order_by()
        .values("company")
        .annotate(total=Sum("revenue"))
        .values("total")
    )
    zero = Value(Decimal(0), output_field=MONEY)
    return qs.annotate(
        latest_high_tech=Subquery(latest),
        raised_total=Coalesce(Subquery(raised, output_field=MONEY), zero),
        funding_total=Coalesce(Subquery(funding_total, output_field=MONEY), zero),
        revenue_two_years=Coalesce(Subquery(revenue, output_field=MONEY), zero),
        ever_acquired=Exists(reports.filter(acquired_or_listed=True)),
    )


def graduation_tests_passed(company) -> list[str]:
    """The test keys a company annotated by `with_graduation_figures` passes."""
    passed = []
    if company.latest_high_tech:
        passed.append("high_tech_enterprise")
    if company.raised_total >= RAISED_THRESHOLD:
        passed.append("raised_5m")
    if company.revenue_two_years >= REVENUE_THRESHOLD:
        passed.append("revenue_10m_two_years")
    if company.ever_acquired:
        passed.append("acquired_or_listed")
    return passed


def graduation_candidates(*, today: dt.date | None = None) -> list[tuple[Company, list[str]]]:
    """Incubated firms that pass at least one graduation test, with the tests they pass."""
    qs = with_graduation_figures(incubated_companies(), today=today).filter(
        Q(latest_high_tech=True)
        | Q(raised_total__gte=RAISED_THRESHOLD)
        | Q(revenue_two_years__gte=REVENUE_THRESHOLD)
        | Q(ever_acquired=True)
    )
    return [(company, graduation_tests_passed(company)) for company in qs.order_by("legal_name")]
