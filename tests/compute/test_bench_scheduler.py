"""The scheduler benchmark: it runs in a scratch database and reports sound figures."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from bench.bench_scheduler import double_booked_devices
from innovation_center.compute.models import Lease
from tests import factories

ROOT = Path(settings.BASE_DIR)


def test_it_places_every_job_without_double_booking_a_device():
    # A separate process: the command makes its own scratch database from the configured one,
    # which inside this test run would be the test database.
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench_scheduler",
            "--devices",
            "20",
            "--jobs",
            "60",
            "--small-jobs",
            "20",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert (result["placed"], result["jobs"], result["double_booked"]) == (60, 60, 0)
    assert result["rounds"] >= 1 and result["placements_per_second"] > 0
    assert 0 < result["queries_per_round_mean"] <= result["queries_per_round_max"] <= 30
    assert result["queries_per_round_small"]["jobs"] == 20


@pytest.mark.django_db
def test_it_counts_a_device_with_overlapping_leases():
    grant = factories.allocation(factories.company())
    device, other = factories.accelerator(), factories.accelerator()
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    Lease.objects.create(
        accelerator=device, allocation=grant, started_at=now - 3 * hour, ended_at=now - hour
    )
    Lease.objects.create(accelerator=device, allocation=grant, started_at=now - 2 * hour)
    # Back to back is not an overlap.
    Lease.objects.create(
        accelerator=other, allocation=grant, started_at=now - 2 * hour, ended_at=now - hour
    )
    Lease.objects.create(accelerator=other, allocation=grant, started_at=now - hour)
    assert double_booked_devices() == 1
