"""Replay the last months of demand against a changed fleet (compute.whatif); reads only."""

import json
import re

from django.core.management.base import BaseCommand, CommandError

from innovation_center.compute import whatif
from innovation_center.core.errors import ApplicationError

POOL_VALUE = re.compile(r"^(?P<type>[^@]+)@(?P<site>[^:]+):(?P<value>[^:]+)$")


def _pool_value(text: str, *, allow_any: bool = False) -> tuple[tuple, str]:
    match = POOL_VALUE.match(text.strip())
    if not match:
        raise CommandError(f"Write {text!r} as TYPE@SITE:NUMBER, e.g. sim-h200@shenzhen:2.")
    try:
        key = whatif.pool_find(
            type_text=match["type"], site_text=match["site"], allow_any=allow_any
        )
    except ApplicationError as error:
        raise CommandError(error.message) from None
    return key, match["value"]


def _number(text: str, kind, what: str):
    try:
        return kind(text)
    except ValueError:
        raise CommandError(f"{what}: {text!r} is not a number.") from None


def _hours(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


class Command(BaseCommand):
    help = (
        "Replay the last N months of recorded requests, jobs and leases through the scheduler "
        "against a changed fleet and print the figures before and after (no database writes)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=12, help="Months of history (12).")
        parser.add_argument(
            "--add",
            action="append",
            default=[],
            metavar="TYPE@SITE:K",
            help="Add K devices of a type (name or preset) at a site (code or name); repeatable.",
        )
        parser.add_argument(
            "--remove",
            action="append",
            default=[],
            metavar="TYPE@SITE:K",
            help="Remove K devices of a type at a site; repeatable.",
        )
        parser.add_argument(
            "--oversubscription",
            type=float,
            metavar="F",
            help="Over-subscription factor of every pool (1.00–5.00).",
        )
        parser.add_argument(
            "--pool-oversubscription",
            action="append",
            default=[],
            metavar="TYPE@SITE:F",
            help="Factor of one pool; TYPE or SITE may be * (any); repeatable.",
        )
        parser.add_argument(
            "--half-life", type=float, metavar="DAYS", help="Fair-share half-life in days."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON document.")

    def handle(self, *args, months: int, **options):
        if months < 1:
            raise CommandError("--months must be at least 1.")
        changes = []
        for text, sign in [(t, 1) for t in options["add"]] + [(t, -1) for t in options["remove"]]:
            key, value = _pool_value(text)
            count = _number(value, int, "Devices")
            if count < 1:
                raise CommandError(f"{text!r}: give a positive number of devices.")
            changes.append((key, sign * count))
        factors = []
        for text in options["pool_oversubscription"]:
            key, value = _pool_value(text, allow_any=True)
            factors.append((key, _number(value, float, "Factor")))
        try:
            scenario = whatif.scenario_build(
                device_changes=changes,
                oversubscription=options["oversubscription"],
                pool_oversubscription=factors,
                half_life_days=options["half_life"],
            )
            comparison = whatif.whatif_run(scenario=scenario, months=months)
        except ApplicationError as error:
            raise CommandError(error.message) from None
        if options["json"]:
            self.stdout.write(json.dumps(comparison.as_dict(), ensure_ascii=False, indent=2))
            return
        self._table(comparison)

    def _table(self, comparison: whatif.Comparison) -> None:
        demand = comparison.before.demand
        write = self.stdout.write
        write(
            f"Window {demand.start:%Y-%m-%d %H:%M} – {demand.end:%Y-%m-%d %H:%M}: "
            f"{len(demand.jobs)} workloads, {len(demand.occupancy)} recorded usage intervals "
            f"without a workload, {len(demand.requests)} requests."
        )
        write(f"\n{'Figure':<34}{'recorded':>14}{'before':>14}{'after':>14}{'change':>14}")
        for figure in comparison.figures:
            label = f"{figure.label} ({figure.unit})" if figure.unit else figure.label
            write(
                f"{label:<34}{_hours(figure.recorded):>14}{_hours(figure.before):>14}"
                f"{_hours(figure.after):>14}{_hours(figure.change):>14}"
            )
        write(f"\n{'Pool':<44}{'devices':>12}{'util. before':>14}{'util. after':>14}")
        for pool in comparison.pools:
            devices = f"{pool.devices_before} → {pool.devices_after}"
            write(
                f"{pool.label:<44}{devices:>12}{_percent(pool.utilization_before):>14}"
                f"{_percent(pool.utilization_after):>14}"
            )
        write("\nCompanies most affected (median wait, h):")
        for row in comparison.companies:
            write(f"  {row.name}: {_hours(row.before)} → {_hours(row.after)}")
        if not comparison.companies:
            write("  none: no company's median wait changed.")
        agreement = comparison.wait_agreement
        write(
            "\nUnchanged fleet vs recorded waits: "
            + ", ".join(
                f"{name} {'—' if value is None else f'{value:.1%}'}"
                for name, value in agreement.items()
            )
        )
        write(
            f"Load {comparison.load_seconds:.2f} s, replays {comparison.replay_seconds:.2f} s "
            "(wall clock; the figures above do not depend on the CPU)."
        )


def _percent(value) -> str:
    return "—" if value is None else f"{value:.1%}"
