"""Benchmark evaluation jobs end to end on real Celery workers; the body is bench/bench_jobs.py.

The configured database and broker are never written: a scratch database and queue are made
for the run and removed after it. Prints one JSON line on stdout, progress on stderr.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # Translated when the parser is built: argparse cannot wrap a lazy string.
        return _(
            "Submit digits jobs through the portal's service to real Celery workers on a "
            "scratch database (the configured database is not touched) and print one JSON "
            "line: jobs per second end to end, latency from submit to result, time inside "
            "and outside the kernel."
        )

    def add_arguments(self, parser):
        parser.add_argument("--jobs", type=int, default=200, help=_("Jobs to submit."))
        parser.add_argument(
            "--workers", type=int, default=2, help=_("Celery worker processes to start.")
        )
        parser.add_argument(
            "--concurrency", type=int, default=1, help=_("Pool processes in each worker.")
        )
        parser.add_argument(
            "--devices", type=int, default=8, help=_("Healthy simulated devices to create.")
        )
        parser.add_argument(
            "--devices-per-job", type=int, default=1, help=_("Devices each job asks for.")
        )
        parser.add_argument("--batch-size", type=int, default=256, help=_("Batch size of a job."))
        parser.add_argument(
            "--rate",
            type=float,
            default=0.0,
            help=_("Jobs submitted per second (0: one after the other, as fast as possible)."),
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=600.0,
            help=_("Seconds to wait for every job to finish before giving up."),
        )
        parser.add_argument(
            "--redis-db",
            type=int,
            default=None,
            help=_(
                "On Redis, the (empty) database number to use; by default the highest empty "
                "one other than the configured one."
            ),
        )

    def handle(self, *args, **options):
        # bench/ sits beside manage.py, outside the package: imported only when the command runs.
        from bench.bench_jobs import run

        result = run(
            jobs=options["jobs"],
            workers=options["workers"],
            concurrency=options["concurrency"],
            devices=options["devices"],
            devices_per_job=options["devices_per_job"],
            batch_size=options["batch_size"],
            rate=options["rate"],
            timeout=options["timeout"],
            redis_db=options["redis_db"],
            progress=lambda line: self.stderr.write(line, style_func=str),
        )
        self.stdout.write(json.dumps(result))
        if result["succeeded"] < result["jobs"] or result.get("problem"):
            raise CommandError(
                _("%(ok)d of %(jobs)d jobs succeeded. %(problem)s Errors: %(errors)s")
                % {
                    "ok": result["succeeded"],
                    "jobs": result["jobs"],
                    "problem": result.get("problem", ""),
                    "errors": "; ".join(result.get("errors", [])) or "-",
                }
            )
