"""Benchmark evaluation jobs end to end: portal service → scheduler → real Celery workers.

`run()` (behind `manage.py bench_jobs`) never writes the configured database or broker. It
creates a scratch database with Django's test-database machinery (a uniquely named database;
on SQLite a file in a temporary folder, because the workers are separate processes), starts
real `celery -A innovation_center worker` processes on it (a filesystem queue in the same
temporary folder, or an empty Redis database of the configured server), seeds one company
with an active allocation, healthy simulated devices, the built-in digits set and a small
digits model uploaded through `model_upload`, then submits jobs through `job_submit` (which
wakes the scheduler on commit, as the portal does) and waits for every job to finish. The
workers run with SHARD_MIN_SECONDS=0; beat is not started, so a job whose task raised stays
unfinished and is reported as such.

Figures come from the rows the workers wrote: submit → result is `created_at → finished_at`,
kernel time is `JobResult.wall_seconds` (the sum of the shards' kernel wall time), and the
time outside the kernel is the one minus the other, job by job.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import io
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu import Connection

ROOT = Path(__file__).resolve().parents[1]
QUEUES = ("default", "evaluation")
# A key set with NX claims an empty Redis database for one run.
REDIS_CLAIM_KEY = "bench_jobs:owner"
READY_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15
POLL_SECONDS = 0.25
CONF_KEYS = ("broker_url", "broker_transport_options", "result_backend", "task_always_eager")
# Digits jobs take milliseconds: this long without a status change means they are stuck.
STALL_SECONDS = 30
# "[2026-12-02 05:50:23,063: ERROR/ForkPoolWorker-1] Chord '2e5a…' raised": time, process, id.
LOG_NOISE = re.compile(r"^\[[^\]]*\]|\[[0-9a-f-]{36}\]| ?'[0-9a-f-]{36}'")

Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(
    *,
    jobs: int,
    workers: int,
    concurrency: int = 1,
    devices: int = 8,
    devices_per_job: int = 1,
    batch_size: int = 256,
    rate: float = 0.0,
    timeout: float = 600.0,
    redis_db: int | None = None,
    progress: Progress = _stderr,
) -> dict:
    """Run `jobs` digits jobs on `workers` worker processes and return the figures.

    `rate` paces the submissions (jobs per second; 0 submits them back to back). What went
    wrong during the run is in the figures, to be seen beside them: submissions the database
    refused, jobs failed or unfinished, and a `problem` when a worker died, nothing moved for
    STALL_SECONDS or `timeout` passed. Raises CommandError only when the run cannot start: a
    setup the benchmark does not know (SQLite or PostgreSQL; filesystem or Redis), no empty
    Redis database, or a worker that does not come up.
    """
    if jobs < 1 or workers < 1 or concurrency < 1:
        raise CommandError(_("--jobs, --workers and --concurrency must be at least 1."))
    if devices_per_job < 1 or devices < devices_per_job:
        raise CommandError(_("--devices must be at least --devices-per-job, which is at least 1."))
    if connection.vendor not in ("sqlite", "postgresql"):
        raise CommandError(
            _("The benchmark runs on SQLite or PostgreSQL, not on %(vendor)s.")
            % {"vendor": connection.vendor}
        )
    from innovation_center.celery import app

    folder = Path(tempfile.mkdtemp(prefix="bench_jobs_"))
    with contextlib.ExitStack() as cleanup:
        # Undone in reverse: workers stopped, broker emptied, database dropped, folder removed.
        cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
        cleanup.enter_context(_sigterm_unwinds())
        cleanup.enter_context(_scratch_database(folder))
        database_url = _worker_database_url()
        broker = cleanup.enter_context(_scratch_broker(app, folder, redis_db=redis_db))
        media = folder / "media"
        cleanup.enter_context(override_settings(MEDIA_ROOT=media))
        progress(
            _("Scratch database %(name)s is ready.") % {"name": connection.settings_dict["NAME"]}
        )
        seeded = _seed(devices=devices)

        worker_tmp = folder / "tmp"
        worker_tmp.mkdir()
        pool = WorkerPool(
            folder=folder,
            env={
                **broker.env,
                "DATABASE_URL": database_url,
                "MEDIA_ROOT": str(media),
                # Nothing of the workers lands in the project's var/ folder, nor in the
                # machine's temporary folder: a worker killed on stop cannot clean up its
                # multiprocessing folder, which goes with the scratch folder instead.
                "IC_VAR_DIR": str(folder / "var"),
                "TMPDIR": str(worker_tmp),
                # `make run` stretches shards for the demo; a benchmark wants them as they are.
                "SHARD_MIN_SECONDS": "0",
                "CELERY_TASK_ALWAYS_EAGER": "0",
            },
            concurrency=concurrency,
        )
        cleanup.callback(pool.stop)
        for n in range(1, workers + 1):
            pool.start(f"bench{n}")
        pool.wait_ready(timeout=READY_TIMEOUT_SECONDS)
        progress(
            _("%(count)d workers are ready; submitting %(jobs)d jobs.")
            % {"count": workers, "jobs": jobs}
        )

        started_at = timezone.now()
        job_ids, submit_seconds, refused = _submit(
            seeded, jobs=jobs, devices=devices_per_job, batch_size=batch_size, rate=rate
        )
        progress(
            _("Submitted %(jobs)d jobs in %(seconds).2f s.")
            % {"jobs": len(job_ids), "seconds": sum(submit_seconds)}
        )
        problem = _wait(job_ids, pool=pool, timeout=timeout, progress=progress)
        figures = _figures(job_ids, started_at=started_at, submit_seconds=submit_seconds)
        worker_errors = pool.error_summary()
        figures["submit_refused"] = len(refused)
        figures["worker_errors"] = sum(worker_errors.values())
        if problem:
            figures["problem"] = problem
        if problem or figures["failed"] or refused or worker_errors:
            # The commonest first: enough to say what went wrong without reading the logs.
            figures["errors"] = (
                figures.get("errors", [])
                + [line for line, _n in collections.Counter(refused).most_common()]
                + [line for line, _n in worker_errors.most_common()]
            )[:5]
    return {
        "jobs": jobs,
        "workers": workers,
        "concurrency": concurrency,
        "devices": devices,
        "devices_per_job": devices_per_job,
        "batch_size": batch_size,
        "rate": rate,
        "database": connection.vendor,
        "broker": broker.kind,
        **({"redis_db": broker.redis_db} if broker.redis_db is not None else {}),
        "db_conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE", 0),
        **figures,
    }


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the workers are stopped and the scratch data removed."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ------------------------------------------------------------------------- scratch database


@contextlib.contextmanager
def _scratch_database(folder: Path) -> Iterator[None]:
    """A migrated database of our own, dropped afterwards; the configured one is not opened."""
    old_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    saved = dict(test_settings)
    # A name of our own, so a test database another process is using is never clobbered.
    scratch = f"bench_jobs_{os.getpid()}"
    if connection.vendor == "sqlite":
        # A file, not memory: the worker processes open it too.
        test_settings["NAME"] = str(folder / f"{scratch}.sqlite3")
    else:
        test_settings["NAME"] = scratch
    # Django's test-database setup runs createcachetable loudly; our one line of JSON only.
    with contextlib.redirect_stdout(io.StringIO()):
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=False, serialize=False
        )
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        test_settings.clear()
        test_settings.update(saved)


def _worker_database_url() -> str:
    """The scratch database as a DATABASE_URL, keeping the configured URL's host and options."""
    name = connection.settings_dict["NAME"]
    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    if connection.vendor == "sqlite":
        # sqlite:////abs/path, with the configured options (?transaction_mode=...) if any.
        return f"sqlite:///{name}" + (f"?{parts.query}" if parts.query else "")
    if not parts.scheme.startswith("postgres"):
        raise CommandError(_("Set DATABASE_URL to reach PostgreSQL from the workers."))
    return urlunsplit(parts._replace(path=f"/{name}"))


# --------------------------------------------------------------------------- scratch broker


@dataclass
class Broker:
    kind: str
    url: str
    env: dict[str, str]
    redis_db: int | None = None


@contextlib.contextmanager
def _scratch_broker(app, folder: Path, *, redis_db: int | None) -> Iterator[Broker]:
    """This process and the workers on a queue nobody else reads; emptied afterwards."""
    configured = settings.CELERY_BROKER_URL
    scheme = urlsplit(configured).scheme
    if scheme == "filesystem":
        broker = _filesystem_broker(app, folder)
        client = None
    elif scheme in ("redis", "rediss"):
        broker, client = _redis_broker(app, configured, redis_db=redis_db)
    else:
        raise CommandError(
            _("The benchmark runs on Redis or the filesystem transport, not on %(scheme)s.")
            % {"scheme": scheme}
        )
    # Celery reads CELERY_BROKER_URL and CELERY_RESULT_BACKEND from the environment before
    # its configuration: this process publishes with the workers' environment, not ours.
    saved_env = {key: os.environ.get(key) for key in broker.env}
    saved_conf = {key: app.conf.get(key) for key in CONF_KEYS}
    os.environ.update(broker.env)
    app.conf.task_always_eager = False
    _reset_broker_connections(app)
    try:
        with app.connection_for_write() as conn:
            if conn.as_uri(include_password=True) != Connection(broker.url).as_uri(
                include_password=True
            ):
                raise CommandError(
                    _("Celery would publish to %(used)s instead of the scratch broker.")
                    % {"used": conn.as_uri()}
                )
            for queue in QUEUES:
                conn.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False)
        yield broker
    finally:
        _reset_broker_connections(app)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for key, value in saved_conf.items():
            app.conf[key] = value
        if client is not None:
            client.flushdb()  # ours since the claim: messages, results and the claim itself
            client.close()


def _filesystem_broker(app, folder: Path) -> Broker:
    queue_dir = folder / "celery"
    options = {
        "data_folder_in": str(queue_dir / "queue"),
        "data_folder_out": str(queue_dir / "queue"),
        "processed_folder": str(queue_dir / "processed"),
        "control_folder": str(queue_dir / "control"),
        "store_processed": False,
    }
    for part in ("queue", "processed", "control", "results"):
        (queue_dir / part).mkdir(parents=True, exist_ok=True)
    results = f"file://{queue_dir / 'results'}"
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = options
    app.conf.result_backend = results
    return Broker(
        kind="filesystem",
        url="filesystem://",
        env={
            "CELERY_BROKER_URL": "filesystem://",
            "CELERY_FS_DIR": str(queue_dir),
            "CELERY_RESULT_BACKEND": results,
        },
    )


def _redis_broker(app, configured: str, *, redis_db: int | None):
    """Claim an empty database of the configured Redis server (the configured one excluded)."""
    import redis  # only on this path: the filesystem runtime needs no Redis client

    parts = urlsplit(configured)
    own = int(parts.path.strip("/") or 0)
    client = redis.Redis.from_url(urlunsplit(parts._replace(path="/0")))
    try:
        databases = int(client.config_get("databases").get("databases", 16))
    except redis.RedisError:
        databases = 16  # CONFIG may be disabled on a managed server; 16 is Redis's default
    finally:
        client.close()
    candidates = [redis_db] if redis_db is not None else range(databases - 1, -1, -1)
    for number in candidates:
        if number == own and redis_db is None:
            continue
        url = urlunsplit(parts._replace(path=f"/{number}"))
        client = redis.Redis.from_url(url)
        if client.dbsize() == 0 and client.set(REDIS_CLAIM_KEY, os.getpid(), nx=True):
            app.conf.broker_url = url
            app.conf.broker_transport_options = {}
            app.conf.result_backend = url
            env = {"CELERY_BROKER_URL": url, "CELERY_RESULT_BACKEND": url}
            return Broker(kind="redis", url=url, env=env, redis_db=number), client
        client.close()
    if redis_db is not None:
        raise CommandError(
            _("Redis database %(number)d is not empty; choose another with --redis-db.")
            % {"number": redis_db}
        )
    raise CommandError(_("No Redis database of %(url)s is empty.") % {"url": parts.netloc})


def _reset_broker_connections(app) -> None:
    # Publishing pools are created lazily from the configuration; drop them after changing it.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


# -------------------------------------------------------------------------------- workers


@dataclass
class WorkerPool:
    """Real `celery worker` processes on the scratch database and broker."""

    folder: Path
    env: dict[str, str]
    concurrency: int = 1
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str) -> None:
        env = {**os.environ, **self.env}
        with open(self.log_path(name), "w") as log:
            self.processes[name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "innovation_center",
                    "worker",
                    "--queues",
                    ",".join(QUEUES),
                    "--concurrency",
                    str(self.concurrency),
                    "--hostname",
                    f"{name}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "INFO",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, to stop it with its children
            )

    def log_path(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def wait_ready(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for name, process in self.processes.items():
            log = self.log_path(name)
            while " ready." not in log.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise CommandError(
                        _("Worker %(name)s did not start. Its log:\n%(log)s")
                        % {"name": name, "log": self.log_tail(name)}
                    )
                time.sleep(0.2)

    def dead(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.log_path(name)
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def error_summary(self) -> collections.Counter:
        """The workers' ERROR lines without time, process and ids, counted (healthy: none)."""
        found: collections.Counter = collections.Counter()
        for name in self.processes:
            for line in self.log_tail(name, chars=10**8).splitlines():
                if "ERROR/" in line:
                    found[LOG_NOISE.sub("", line).strip()] += 1
        return found

    def stop(self) -> None:
        """Warm shutdown (SIGTERM) of every worker at once, then SIGKILL what is left."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()  # the main process: it lets its pool finish the task
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            # Also the pool children a killed parent may leave behind.
            _signal_group(process, signal.SIGKILL)
            process.wait()
        self.processes.clear()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


# ----------------------------------------------------------------------------------- seed


@dataclass
class Seeded:
    company: object
    owner: object
    allocation: object
    model: object
    dataset: object


def _seed(*, devices: int) -> Seeded:
    """One company, its owner, an active allocation, healthy devices, digits and a model."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from innovation_center import kernel
    from innovation_center.accounts.models import Membership, Organisation
    from innovation_center.compute import ledger
    from innovation_center.compute.models import Accelerator, AcceleratorType, Allocation, Site
    from innovation_center.core import clock
    from innovation_center.core.uscc import check_character
    from innovation_center.ecosystem.models import Company, Industry
    from innovation_center.evaluation import services
    from innovation_center.evaluation.builtins import ensure_builtin_datasets
    from innovation_center.evaluation.models import Dataset

    organisation = Organisation.objects.create(
        kind=Organisation.Kind.COMPANY, name="Benchmark Robotics"
    )
    first17 = "91420100900000001"
    company = Company.objects.create(
        organisation=organisation,
        legal_name=organisation.name,
        uscc=first17 + check_character(first17),
        industry=Industry.SMART_MANUFACTURING,
        city="Wuhan",
        status=Company.Status.INCUBATING,
    )
    owner = get_user_model().objects.create_user(
        username="bench-owner", email="bench-owner@example.com"
    )
    Membership.objects.create(
        user=owner, organisation=organisation, role=Membership.Role.COMPANY_OWNER
    )
    spec = kernel.PRESETS["sim-h200"]
    device_type = AcceleratorType.objects.create(
        name=spec.name,
        vendor="Simulated",
        preset=spec.name,
        peak_tflops=_decimal(spec.peak_tflops),
        memory_gib=_decimal(spec.memory_gib),
        memory_bandwidth_gbps=_decimal(spec.memory_bandwidth_gbps),
        interconnect_gbps=_decimal(spec.interconnect_gbps),
        launch_overhead_us=_decimal(spec.launch_overhead_s * 1e6),
    )
    site = Site.objects.create(code="bench-wuhan", name="Bench Wuhan", city="Wuhan")
    Accelerator.objects.bulk_create(
        Accelerator(name=f"BENCH-{n:04d}", site=site, accelerator_type=device_type)
        for n in range(1, devices + 1)
    )
    today = clock.today()
    allocation = Allocation.objects.create(
        company=company,
        accelerator_type=device_type,
        hours_granted=Decimal("10000"),
        device_cap=devices,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=365),
        status=Allocation.Status.ACTIVE,
    )
    ledger.ledger_credit(allocation=allocation, amount=allocation.hours_granted)
    ensure_builtin_datasets(Dataset)
    dataset = Dataset.objects.get(kind=Dataset.Kind.BUILTIN, builtin_name="digits")
    upload = SimpleUploadedFile("digits.npz", digits_model_bytes())
    model = services.model_upload(company=company, actor=owner, name="digits-mlp", upload=upload)
    return Seeded(company, owner, allocation, model, dataset)


def _decimal(value: float) -> Decimal:
    return Decimal(str(round(value, 3)))


def digits_model_bytes(*, seed: int = 0, hidden: int = 32) -> bytes:
    """A 64-32-10 MLP for digits, fitted by least squares: better than chance, no training."""
    import numpy as np

    from innovation_center import kernel

    data = kernel.load_builtin("digits")
    rng = np.random.default_rng(seed)
    w0 = rng.normal(0, 0.1, (64, hidden)).astype(np.float32)
    targets = np.eye(10, dtype=np.float32)[data.y.astype(int)]
    w1, *_rest = np.linalg.lstsq(np.maximum(data.X @ w0, 0), targets, rcond=None)
    buffer = io.BytesIO()
    kernel.save_npz_model(
        path=buffer,
        weights=[w0, (w1 * 4).astype(np.float32)],
        biases=[np.zeros(hidden, np.float32), np.zeros(10, np.float32)],
        activations=["relu", "softmax"],
        classes=list(range(10)),
    )
    return buffer.getvalue()


# --------------------------------------------------------------------------- submit, wait


def _submit(
    seeded: Seeded, *, jobs: int, devices: int, batch_size: int, rate: float
) -> tuple[list[int], list[float], list[str]]:
    """Submit through the portal's service (each commit wakes the scheduler).

    Returns the jobs' ids, the seconds each submission took, and the errors of those the
    database refused (a portal user would have seen an error page): counted, not fatal.
    """
    from innovation_center.evaluation import services

    ids, seconds, refused = [], [], []
    began = time.perf_counter()
    for n in range(jobs):
        if rate > 0:
            time.sleep(max(0.0, began + n / rate - time.perf_counter()))
        started = time.perf_counter()
        try:
            job = services.job_submit(
                company=seeded.company,
                actor=seeded.owner,
                model=seeded.model,
                dataset=seeded.dataset,
                allocation=seeded.allocation,
                devices=devices,
                batch_size=batch_size,
            )
        except DatabaseError as error:
            refused.append(f"job_submit: {error.__class__.__name__}('{error}')")
            continue
        seconds.append(time.perf_counter() - started)
        ids.append(job.pk)
    return ids, seconds, refused


def _wait(
    job_ids: list[int], *, pool: WorkerPool, timeout: float, progress: Progress
) -> str | None:
    """Wait until every job has finished; else say why not: a worker died, nothing moved
    for a while (a task that raised leaves its job to the sweeper, which is not running
    here), or time is up."""
    from innovation_center.evaluation.models import EvaluationJob

    deadline = time.monotonic() + timeout
    last_change = time.monotonic()
    previous: dict[str, int] = {}
    while True:
        counts = dict(
            EvaluationJob.objects.filter(pk__in=job_ids)
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        finished = sum(counts.get(status, 0) for status in EvaluationJob.FINISHED)
        if finished == len(job_ids):
            return None
        status_text = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
        now = time.monotonic()
        if counts != previous:
            previous, last_change = counts, now
            progress(
                _("%(done)d of %(jobs)d jobs finished (%(counts)s).")
                % {"done": finished, "jobs": len(job_ids), "counts": status_text}
            )
        if dead := pool.dead():
            for name in dead:
                progress(_("Log of worker %(name)s:") % {"name": name})
                progress(pool.log_tail(name))
            return _("Worker %(names)s stopped before every job finished (%(counts)s).") % {
                "names": ", ".join(dead),
                "counts": status_text,
            }
        if now - last_change > STALL_SECONDS:
            return _("No job changed status for %(seconds)d s (%(counts)s).") % {
                "seconds": STALL_SECONDS,
                "counts": status_text,
            }
        if now > deadline:
            return _("Not every job finished within %(seconds)d s (%(counts)s).") % {
                "seconds": timeout,
                "counts": status_text,
            }
        time.sleep(POLL_SECONDS)


# -------------------------------------------------------------------------------- figures


def _figures(job_ids: list[int], *, started_at, submit_seconds: list[float]) -> dict:
    from innovation_center.evaluation.models import EvaluationJob

    rows = list(
        EvaluationJob.objects.filter(pk__in=job_ids).values_list(
            "status",
            "created_at",
            "scheduled_at",
            "started_at",
            "finished_at",
            "result__wall_seconds",
            "error_message",
        )
    )
    succeeded = [r for r in rows if r[0] == EvaluationJob.Status.SUCCEEDED]
    finished = [r for r in rows if r[0] in EvaluationJob.FINISHED]
    ends = [r[4] for r in finished if r[4] is not None]
    span = (max(ends) - started_at).total_seconds() if ends else 0.0
    latency = [(r[4] - r[1]).total_seconds() for r in succeeded]
    kernel = [r[5] for r in succeeded]
    figures = {
        "succeeded": len(succeeded),
        "failed": len(finished) - len(succeeded),
        "unfinished": len(rows) - len(finished),
        "seconds": round(span, 3),
        # Finished jobs (all of them, unless a problem is reported) over submit → last result.
        "jobs_per_second": round(len(finished) / span, 2) if span > 0 else None,
        "latency_median_seconds": _median(latency),
        "latency_p95_seconds": _p95(latency),
        "kernel_median_seconds": _median(kernel, digits=6),
        "outside_kernel_median_seconds": _median(
            [t - k for t, k in zip(latency, kernel, strict=True)]
        ),
        # Where the latency goes: waiting for a device, for a worker, and the run itself.
        "queued_median_seconds": _median([(r[2] - r[1]).total_seconds() for r in succeeded]),
        "dispatch_median_seconds": _median([(r[3] - r[2]).total_seconds() for r in succeeded]),
        "run_median_seconds": _median([(r[4] - r[3]).total_seconds() for r in succeeded]),
        "submit_median_seconds": _median(submit_seconds),
    }
    errors = sorted({r[6] for r in finished if r[0] != EvaluationJob.Status.SUCCEEDED})
    if errors:
        figures["errors"] = errors[:5]
    return figures


def _median(values: list[float], *, digits: int = 4) -> float | None:
    return round(statistics.median(values), digits) if values else None


def _p95(values: list[float], *, digits: int = 4) -> float | None:
    if len(values) < 2:
        return _median(values, digits=digits)
    return round(statistics.quantiles(values, n=20, method="inclusive")[18], digits)
