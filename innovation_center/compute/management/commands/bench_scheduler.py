"""Benchmark the scheduler; the body is bench/bench_scheduler.py (see its docstring)."""

import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Benchmark the scheduler on a synthetic cluster in a scratch database "
        "(the configured database is not touched) and print one JSON line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--devices", type=int, default=2000)
        parser.add_argument("--jobs", type=int, default=10000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--small-jobs",
            type=int,
            default=200,
            help="Jobs in the pre-run whose queries per round are reported beside (0: skip).",
        )
        parser.add_argument(
            "--finish-share",
            type=float,
            default=0.3,
            help="Share of the running jobs that finish between two rounds.",
        )

    def handle(self, *args, devices: int, jobs: int, seed: int, **options):
        # bench/ sits beside manage.py, outside the package: imported only when the command runs.
        from bench.bench_scheduler import run

        try:
            result = run(
                devices=devices,
                jobs=jobs,
                seed=seed,
                small_jobs=options["small_jobs"],
                finish_share=options["finish_share"],
            )
        except (ValueError, RuntimeError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(result))
