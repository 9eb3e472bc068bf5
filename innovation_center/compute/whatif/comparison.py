"""The what-if comparison: a scenario beside the unchanged fleet, and building a scenario
from its parts (see compute.whatif)."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from innovation_center.compute import scheduler
from innovation_center.compute.models import AcceleratorType, AllocationRequest, Site
from innovation_center.compute.whatif.demand import PoolKey, demand_load
from innovation_center.compute.whatif.simulation import Outcome, Scenario, recorded_waits, replay
from innovation_center.core.errors import ApplicationError

# The page's limit: a longer window takes too long for a request (the command has none).
PAGE_MAX_MONTHS = 24
MOST_AFFECTED = 5
WAIT_RESOLUTION_HOURS = 1 / 60


# Side by side --------------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    recorded: float | None
    before: float | None
    after: float | None
    unit: str  # "h", "%" or "" (a count)

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def values(self) -> list[float | None]:
        """Recorded, before, after and change, for a table row."""
        return [self.recorded, self.before, self.after, self.change]


@dataclass
class PoolRow:
    label: str
    devices_before: int
    devices_after: int
    utilization_before: float | None
    utilization_after: float | None


@dataclass
class CompanyRow:
    company_id: int
    name: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)


@dataclass
class Comparison:
    before: Outcome
    after: Outcome
    figures: list[Figure]
    pools: list[PoolRow]
    companies: list[CompanyRow]
    load_seconds: float = 0.0

    @property
    def replay_seconds(self) -> float:
        return self.before.replay_seconds + self.after.replay_seconds

    @property
    def wait_agreement(self) -> dict:
        """How far the replay of the unchanged fleet is from the recorded waits (relative)."""
        recorded = recorded_waits(self.before.demand)
        return {
            "median": _relative(self.before.waits.median, recorded.median),
            "p95": _relative(self.before.waits.p95, recorded.p95),
            "workload_median": _relative(
                self.before.waits.workload_median, recorded.workload_median
            ),
            "workload_p95": _relative(self.before.waits.workload_p95, recorded.workload_p95),
        }

    @property
    def wait_agreement_percent(self) -> dict:
        return {
            name: None if value is None else value * 100
            for name, value in self.wait_agreement.items()
        }

    def as_dict(self) -> dict:
        demand = self.before.demand
        return {
            "window": {"start": demand.start.isoformat(), "end": demand.end.isoformat()},
            "work": {"workloads": len(demand.jobs), "occupancy": len(demand.occupancy)},
            "figures": [
                {
                    "label": f.label,
                    "unit": f.unit,
                    "recorded": f.recorded,
                    "before": f.before,
                    "after": f.after,
                }
                for f in self.figures
            ],
            "pools": [vars(row) for row in self.pools],
            "companies": [
                {"company": row.name, "before": row.before, "after": row.after}
                for row in self.companies
            ],
            "wait_agreement": self.wait_agreement,
            "load_seconds": round(self.load_seconds, 3),
            "replay_seconds": round(self.replay_seconds, 3),
        }


def _relative(value: float | None, reference: float | None) -> float | None:
    """|value − reference| / reference; waits both within a minute agree (a real round binds
    a moment after the submission, the replay at it)."""
    if value is None or reference is None:
        return None
    if abs(value - reference) <= WAIT_RESOLUTION_HOURS:
        return 0.0
    return abs(value - reference) / reference if reference else None


def compare(baseline: Outcome, changed: Outcome) -> Comparison:
    """The figures of the unchanged fleet (and as recorded) beside those of the scenario."""
    recorded = recorded_waits(baseline.demand)
    requested = [
        r for r in baseline.demand.requests if r.status != AllocationRequest.Status.PENDING
    ]
    recorded_refused = sum(r.hours - (r.granted or 0.0) for r in requested)

    def percent(value):
        return None if value is None else value * 100

    rows = [
        (_("Utilization, all devices"), "%", None, lambda o: percent(o.utilization)),
        (_("Median wait, all work"), "h", recorded.median, lambda o: o.waits.median),
        (_("p95 wait, all work"), "h", recorded.p95, lambda o: o.waits.p95),
        (_("Median wait, workloads"), "h", recorded.workload_median,
         lambda o: o.waits.workload_median),
        (_("p95 wait, workloads"), "h", recorded.workload_p95, lambda o: o.waits.workload_p95),
        (_("Recorded usage started late"), "", 0, lambda o: o.occupancy_delayed),
        (_("Unmet hours"), "h", None, lambda o: o.unmet_hours),
        (_("— refused by the grant rule"), "h", recorded_refused, lambda o: o.refused_hours),
        (_("— still waiting at the end"), "h", None, lambda o: o.waiting_hours),
    ]  # fmt: skip
    figures = [
        Figure(label, value, get(baseline), get(changed), unit) for label, unit, value, get in rows
    ]
    before_pools = {p.key: p for p in baseline.pools}
    after_pools = {p.key: p for p in changed.pools}
    demand = baseline.demand
    pools = [
        PoolRow(
            demand.pool_label(key),
            before_pools[key].devices if key in before_pools else 0,
            after_pools[key].devices if key in after_pools else 0,
            before_pools[key].utilization if key in before_pools else None,
            after_pools[key].utilization if key in after_pools else None,
        )
        for key in sorted({*before_pools, *after_pools}, key=demand.pool_label)
    ]
    companies = [
        CompanyRow(
            company,
            demand.company_names.get(company, "?"),
            baseline.waits.company_median(company),
            changed.waits.company_median(company),
        )
        for company in {*baseline.waits.by_company, *changed.waits.by_company}
    ]
    companies = sorted(
        (row for row in companies if abs(row.change) > 1e-6),
        key=lambda row: (-abs(row.change), row.name),
    )[:MOST_AFFECTED]
    return Comparison(baseline, changed, figures, pools, companies)


def whatif_run(
    *, scenario: Scenario, months: int = 12, now: dt.datetime | None = None
) -> Comparison:
    """Load the demand once, replay the unchanged fleet and the scenario, set them side by
    side. Reads only."""
    started = time.perf_counter()
    half_lives = [scheduler.fair_share_half_life(), scenario.half_life or dt.timedelta(0)]
    demand = demand_load(months=months, now=now, half_life=max(half_lives))
    loaded = time.perf_counter() - started
    comparison = compare(replay(demand), replay(demand, scenario))
    comparison.load_seconds = loaded
    return comparison


# Building a scenario -------------------------------------------------------------------------


def scenario_build(
    *,
    device_changes: list[tuple[tuple[int, int], int]] = (),
    oversubscription: float | None = None,
    pool_oversubscription: list[tuple[PoolKey, float]] = (),
    half_life_days: float | None = None,
) -> Scenario:
    """A scenario from its parts, refused when a factor or the half-life is out of range.
    Changes to one pool add up; the removals are checked against the fleet by `replay`."""
    for factor in [oversubscription, *(f for _key, f in pool_oversubscription)]:
        if factor is not None and not 1 <= factor <= 5:
            raise ApplicationError(
                _("An over-subscription factor is 1.00–5.00; %(factor)s is not.")
                % {"factor": factor},
                code="factor_range",
                field_errors={"oversubscription": [_("Enter 1.00–5.00.")]},
            )
    if half_life_days is not None and not 0 < half_life_days <= 365:
        raise ApplicationError(
            _("The half-life is more than 0 and at most 365 days."),
            code="half_life_range",
            field_errors={"half_life_days": [_("Enter more than 0 and at most 365.")]},
        )
    changes: dict[tuple[int, int], int] = defaultdict(int)
    for key, change in device_changes:
        changes[key] += change
    return Scenario(
        device_changes={key: change for key, change in changes.items() if change},
        oversubscription=oversubscription,
        pool_oversubscription=dict(pool_oversubscription),
        half_life=dt.timedelta(days=half_life_days) if half_life_days else None,
    )


# Naming pools ---------------------------------------------------------------------------------


def pool_find(*, type_text: str, site_text: str, allow_any: bool = False) -> PoolKey:
    """(type id, site id) from a type's name or preset and a site's code or name, any case
    ("*" for any, when `allow_any`); an unknown one is refused with the valid names."""
    types = list(AcceleratorType.objects.order_by("name").values_list("id", "name", "preset"))
    sites = list(Site.objects.order_by("code").values_list("id", "code", "name"))
    type_id = _named(type_text, [(pk, (name, preset)) for pk, name, preset in types], allow_any)
    site_id = _named(site_text, [(pk, (code, name)) for pk, code, name in sites], allow_any)
    if type_id is False:
        raise ApplicationError(
            _("No accelerator type %(name)s; choose one of: %(valid)s.")
            % {
                "name": type_text,
                "valid": "; ".join(f"{name} ({preset})" for _pk, name, preset in types)
                or _("none, the database has no accelerator types"),
            },
            code="unknown_type",
        )
    if site_id is False:
        raise ApplicationError(
            _("No site %(name)s; choose one of: %(valid)s.")
            % {
                "name": site_text,
                "valid": "; ".join(f"{code} ({name})" for _pk, code, name in sites)
                or _("none, the database has no sites"),
            },
            code="unknown_site",
        )
    return type_id, site_id


def _named(text: str, rows: list[tuple[int, tuple[str, ...]]], allow_any: bool):
    """The id whose names include `text` (any case), None for "*" when allowed, else False."""
    wanted = text.strip().casefold()
    if allow_any and wanted == "*":
        return None
    return next((pk for pk, names in rows if wanted in {n.casefold() for n in names if n}), False)
