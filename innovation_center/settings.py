"""Settings for Innovation Center, read from the environment.

Unset variables fall back to a single-machine setup: a SQLite file and a Celery transport
on the local filesystem, so `make run` needs no server. Production sets DATABASE_URL,
CELERY_BROKER_URL, SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("IC_VAR_DIR", BASE_DIR / "var"))
# Local state (SQLite file, filesystem queue, uploads) lives here; a fresh clone has none yet.
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)
# The fallback key is only for DEBUG; the `ic.E001` system check refuses it in production.
INSECURE_DEV_SECRET_KEY = "django-insecure-dev-only-innovation-center-do-not-deploy"
SECRET_KEY = os.environ.get("SECRET_KEY") or INSECURE_DEV_SECRET_KEY
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_htmx",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "innovation_center.core",
    "innovation_center.accounts",
    "innovation_center.ecosystem",
    "innovation_center.talent",
    "innovation_center.compute",
    "innovation_center.evaluation",
    "innovation_center.benchmarks",
    "innovation_center.programs",
    "innovation_center.reports",
    "innovation_center.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before CSRF and the views read a byte of the body or the query (core/middleware.py).
    "innovation_center.core.middleware.RequestSizeLimitMiddleware",
    "innovation_center.core.middleware.CleanQueryStringMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "innovation_center.accounts.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Turns a locked-out login into its 429 page (accounts/authentication.py).
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
]

if not DEBUG:
    # Production serves collected static files itself; DEBUG serves them from the finders.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "innovation_center.urls"
WSGI_APPLICATION = "innovation_center.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "innovation_center.accounts.context_processors.roles",
            ],
        },
    },
]

# Persistent connections on PostgreSQL by default (a new connection per request costs more
# than the page it serves, scale issue); SQLite opens a file, there is nothing to keep.
_ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
DATABASES = {
    # An empty DATABASE_URL means the default, as an unset one does.
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60 if _ON_POSTGRES else 0),
        # A persistent connection that the server dropped is replaced before a request uses
        # it, instead of failing that request (hardening issue).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Worker, beat and web share the file: wait for the lock rather than fail at once. Each
    # transaction takes the write lock when it begins (IMMEDIATE): SQLite has no row locks,
    # and a transaction that read and then wants to write fails at once ("database is
    # locked") instead of waiting, which lost jobs under load (bench_jobs, 200 jobs).
    # WAL lets readers go on while one writer commits; the busy timeout (20 s) makes a writer
    # wait for the lock instead of failing; NORMAL sync is safe with WAL.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command=(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000"
        ),
    )
    # A file, not memory, so the real worker processes of the tests can open it too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"

# Login throttling (docs/operations.md): every password sign-in (the login page, the admin's,
# the API token) is counted per account and per client address in the shared cache below;
# LOGIN_FAILURE_LIMIT failures on either, each within LOGIN_LOCKOUT_MINUTES of the last, lock
# that account or address out for LOGIN_LOCKOUT_MINUTES. django-axes does the counting, with
# our rules in accounts/authentication.py.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 10)
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", 15)
# Proxies in front of the web processes that each append the client's address to
# X-Forwarded-For. 0: the header is ignored (anyone can write it) and the peer's address counts.
NUM_PROXIES = envint("NUM_PROXIES", 0)
AUTHENTICATION_BACKENDS = [
    "innovation_center.accounts.authentication.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "innovation_center.accounts.authentication.LoginThrottleHandler"
AXES_CACHE = "default"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The lockout lasts its cool-off from the failure that reached the limit; a locked-out
# attempt neither counts nor extends it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "innovation_center.accounts.authentication.login_throttle_username"
AXES_CLIENT_IP_CALLABLE = "innovation_center.core.middleware.client_address"
AXES_LOCKOUT_CALLABLE = "innovation_center.accounts.authentication.lockout_response"
# Counts live in the cache: axes' attempt tables stay empty, so no admin pages for them.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

# The shared cache (login throttles): Redis when CACHE_URL, or else CELERY_BROKER_URL, is a
# redis:// URL; otherwise the database cache, whose table a migration makes (core 0001).
# Each web process's own memory would not do: with two workers every limit doubles.
CACHE_TABLE = "ic_cache"
CACHE_URL = os.environ.get("CACHE_URL", "")
if not CACHE_URL and os.environ.get("CELERY_BROKER_URL", "").startswith(("redis://", "rediss://")):
    CACHE_URL = os.environ["CELERY_BROKER_URL"]
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # Keys of ours only, beside the broker's when both share a database.
            "KEY_PREFIX": "ic",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
            # Enough that a spray of usernames cannot cull the counters it wants forgotten.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded models and data sets: the kernel package refuses anything larger.
MAX_UPLOAD_BYTES = envint("MAX_UPLOAD_BYTES", 256 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Files attached to program applications (programs.services.attachment_add): at most this
# size, and only these types (extension -> the type they are served as), checked by content.
APPLICATION_ATTACHMENT_MAX_BYTES = envint("APPLICATION_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
APPLICATION_ATTACHMENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
# A body without files (a form, a JSON request) larger than this is refused (400) before it
# is parsed; a body larger than MAX_UPLOAD_BYTES (+1 MiB) is refused (413) before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Innovation Center <noreply@localhost>")
# The product's public address, for the links in e-mails (invitations, password reset).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# An invitation link works once, for this many days.
INVITATION_DAYS = envint("INVITATION_DAYS", 7)
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)

# Capacity (docs/operations.md): hours a pool may promise per device-hour in service, the
# default of each pool (staff change a pool's own factor on the capacity page).
CAPACITY_OVERSUBSCRIPTION = os.environ.get("CAPACITY_OVERSUBSCRIPTION", "1.0")
# Fair share remembers a company's usage with this half-life (as Slurm's
# PriorityDecayHalfLife): usage a half-life ago counts half, two half-lives ago a quarter.
FAIR_SHARE_HALF_LIFE_DAYS = float(os.environ.get("FAIR_SHARE_HALF_LIFE_DAYS", "7"))
# Idle allocations: off unless IDLE_POLICY=1. An allocation that will leave more than
# IDLE_UNUSED_PERCENT of its hours unused by its end, with no job for IDLE_DAYS days, gets a
# notice; after IDLE_GRACE_DAYS more, staff may lend its idle hours back to the pool.
IDLE_POLICY = envbool("IDLE_POLICY", False)
IDLE_UNUSED_PERCENT = envint("IDLE_UNUSED_PERCENT", 50)
IDLE_DAYS = envint("IDLE_DAYS", 14)
IDLE_GRACE_DAYS = envint("IDLE_GRACE_DAYS", 7)

# Single sign-on through OpenID Connect: off unless its settings are present (see
# docs/operations.md). The block that reads them is at the end of this file.
OIDC_ENABLED = False

# Production hardening: on whenever DEBUG is off, each overridable for a TLS-terminating proxy.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp), enforced under DEBUG too so the browser tests check
# it: scripts and styles come only from our static files, no inline code, no framing. The
# API docs pages relax it for themselves (innovation_center/api_urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if envbool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Sending a message tries a Redis broker once, briefly: a web request whose work is stored
# must not wait ~20 s for a broker that is down (core.dispatch; the sweepers resend).
REDIS_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 2,
}
# Celery: Redis in production; without CELERY_BROKER_URL a filesystem transport lets web,
# worker and beat on one machine talk without any server.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_QUEUE_DIR = Path(os.environ.get("CELERY_FS_DIR", VAR_DIR / "celery"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = os.environ.get(
        "CELERY_RESULT_BACKEND", f"file://{CELERY_QUEUE_DIR / 'results'}"
    )
else:
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_TRANSPORT_OPTIONS
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

REST_FRAMEWORK = {
    # Token first: its challenge makes an anonymous request a 401. Session auth (with CSRF
    # on writes) serves the browser and the interactive docs.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "innovation_center.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "innovation_center.core.api.ApiAutoSchema",
    # Our viewsets use core.api.ApiPagination (page_size parameter, a maximum); it cannot be
    # the default here, as that module imports drf-spectacular, which imports DRF's generics.
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # DRF's JSON parser, refusing absurdly nested documents with a 400 (not a 500).
    "DEFAULT_PARSER_CLASSES": ["innovation_center.core.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "innovation_center.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": os.environ.get("API_LOGIN_RATE", "5/min")},
    "NUM_PROXIES": NUM_PROXIES,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Innovation Center API",
    "DESCRIPTION": (
        "Companies, talent records, compute allocations and evaluation jobs of the "
        "Innovation Center. Authenticate with `Authorization: Bearer <key>` (a key from "
        "`POST /api/v1/auth/token/`). See docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from our own static files (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One named enum per choice set (several models have a "status" or a "kind").
    "ENUM_NAME_OVERRIDES": {
        "CompanyStatusEnum": "innovation_center.ecosystem.models.Company.Status",
        "SolutionStatusEnum": "innovation_center.ecosystem.models.Solution.Status",
        "IndustryEnum": "innovation_center.ecosystem.models.Industry",
        "LifecycleStageEnum": "innovation_center.ecosystem.models.LifecycleStage",
        "ProgramKindEnum": "innovation_center.talent.models.Program.Kind",
        "CrowdTaskKindEnum": "innovation_center.talent.models.CrowdTask.Kind",
        "CrowdTaskStatusEnum": "innovation_center.talent.models.CrowdTask.Status",
        "AllocationRequestKindEnum": "innovation_center.compute.models.AllocationRequest.Kind",
        "AllocationRequestStatusEnum": "innovation_center.compute.models.AllocationRequest.Status",
        "AllocationStatusEnum": "innovation_center.compute.models.Allocation.Status",
        "LedgerEntryKindEnum": "innovation_center.compute.models.LedgerEntry.Kind",
        "DatasetKindEnum": "innovation_center.evaluation.models.Dataset.Kind",
        "JobStatusEnum": "innovation_center.evaluation.models.EvaluationJob.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# A scheduled or running job with no sign of life for this long is dispatched again (its
# worker is presumed dead). A running shard's worker beats every SHARD_HEARTBEAT_SECONDS; a
# shard whose beat is older than SHARD_STALE_SECONDS is taken over by the next worker that
# gets its message (a redelivery after a SIGKILL, or the sweeper's dispatch).
JOB_STALE_SECONDS = envint("JOB_STALE_SECONDS", 30)
# A scheduling round considers at most this many queued workloads, in queue order (as
# Slurm's bf_max_job_test): the rest wait for a later round, and only the rows read are locked.
SCHEDULER_LOOKAHEAD = envint("SCHEDULER_LOOKAHEAD", 500)
SHARD_HEARTBEAT_SECONDS = float(os.environ.get("SHARD_HEARTBEAT_SECONDS", "1"))
SHARD_STALE_SECONDS = float(os.environ.get("SHARD_STALE_SECONDS", "6"))
# How long the API remembers an Idempotency-Key's answer (a client's retry comes sooner).
IDEMPOTENCY_KEY_HOURS = envint("IDEMPOTENCY_KEY_HOURS", 24)
# Every shard lasts at least this many seconds of wall time (0: as fast as the CPU allows).
# For demos and failure drills, so progress can be watched and a worker killed mid-job.
SHARD_MIN_SECONDS = float(os.environ.get("SHARD_MIN_SECONDS", "0"))

# Energy per job is shown as kWh and an estimate of CO2: kg per kWh of the grid the center
# draws from. Default: the Central China grid's average emission factor for 2021, published by
# the Ministry of Ecology and Environment and the National Bureau of Statistics (2024).
GRID_CO2_KG_PER_KWH = float(os.environ.get("GRID_CO2_KG_PER_KWH", "0.5041"))
GRID_CO2_SOURCE = os.environ.get(
    "GRID_CO2_SOURCE",
    "Central China grid average, 2021 (MEE and NBS, published 2024): 0.5041 kg CO2/kWh",
)

# Single sign-on through OpenID Connect (mozilla-django-oidc; docs/operations.md): on only when
# the client and the provider's endpoints are all set, and the keys too for RS*/ES* tokens.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT") or None  # the library tests None
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO") or "RS256"
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES") or "openid email profile"
# Seconds to wait for the provider; the library's default is to wait forever.
OIDC_TIMEOUT = envint("OIDC_TIMEOUT", 10)
# Always set: the library's URLs read it once, at import, whether SSO is on or not.
OIDC_CALLBACK_CLASS = "innovation_center.accounts.oidc.CenterOIDCCallbackView"
OIDC_ENABLED = all(
    [
        OIDC_RP_CLIENT_ID,
        OIDC_RP_CLIENT_SECRET,
        OIDC_OP_AUTHORIZATION_ENDPOINT,
        OIDC_OP_TOKEN_ENDPOINT,
        OIDC_OP_USER_ENDPOINT,
    ]
) and bool(OIDC_OP_JWKS_ENDPOINT or not OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")))
if OIDC_ENABLED:
    # The lockout check first (it passes SSO through), then ModelBackend: code that signs a
    # person in names it explicitly.
    AUTHENTICATION_BACKENDS = [
        "innovation_center.accounts.authentication.LoginThrottleBackend",
        "django.contrib.auth.backends.ModelBackend",
        "innovation_center.accounts.oidc.CenterOIDCBackend",
    ]
    # A URL name, like LOGIN_URL: the callback view resolves it (the library would not).
    LOGIN_REDIRECT_URL_FAILURE = "accounts:login"

# The demo's background demand (innovation_center/demo/demand.py): beat submits a few small
# jobs from the demo companies every 20 s so the queue and the burn-downs move. On in
# `make run` only; the beat schedule has no such entry otherwise.
DEMO_DEMAND = envbool("DEMO_DEMAND", False)
