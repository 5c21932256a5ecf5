"""Settings for Biz Portal.

Everything that differs between a laptop demo and production comes from the
environment, with an embedded default that works on a fresh machine: SQLite, local
files, the database task worker, console email, and the sandbox providers (Digital ID,
registries, payment) served by this same process over real HTTP.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env(name: str, default: str = "") -> str:
    """``NAME`` from the environment, else the contents of the file ``NAME_FILE`` names
    (Docker and Kubernetes secrets are mounted as files), else ``default``."""
    if name in os.environ:
        return os.environ[name]
    secret_file = os.environ.get(f"{name}_FILE")
    if secret_file:
        try:
            return Path(secret_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE names {secret_file!r}, which cannot be read: {exc.strerror}"
            ) from exc
    return default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


VAR_DIR = Path(env("BIZPORTAL_VAR_DIR", str(PROJECT_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [
    h for h in env("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]

# --- Security: profile and secrets (issue 16) --------------------------------------
# Two profiles. "demo" (a laptop, `make demo`, the tests) may use the built-in demo
# secrets below; "production" never does: a secret that is not configured stops the
# start with a message naming it, so a deployment that forgets PAYMENT_WEBHOOK_SECRET
# cannot accept forged payment notices. Without BIZPORTAL_PROFILE the profile is
# "demo" only while everything points at this machine (local hosts, no HTTPS) or
# DEBUG is on; a deployment that names its host in DJANGO_ALLOWED_HOSTS (which Django
# needs to answer at all) is "production".
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "[::1]"}
PROFILE = env("BIZPORTAL_PROFILE").strip().lower()
if PROFILE not in {"", "demo", "production"}:
    raise ImproperlyConfigured(f"BIZPORTAL_PROFILE must be 'demo' or 'production', not {PROFILE!r}")
if not PROFILE:
    looks_deployed = env_bool("BIZPORTAL_HTTPS") or not set(ALLOWED_HOSTS) <= LOCAL_HOSTS
    PROFILE = "demo" if DEBUG or not looks_deployed else "production"
DEMO_MODE = PROFILE == "demo"


def secret(name: str, demo_default: str) -> str:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (container
    secrets); the built-in ``demo_default`` only in the demo profile.

    Why fail instead of warn: a forgotten secret with a public default is a forgery
    waiting to happen, and a warning in a log is read after the fact.
    """
    file_name = os.environ.get(f"{name}_FILE", "")
    value = os.environ.get(name, "")
    if file_name and value:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both")
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f"{name}_FILE names {file_name!r}, which cannot be read: {error.strerror}"
            ) from error
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE names an empty file ({file_name})")
    if value:
        if not DEMO_MODE and value == demo_default:
            raise ImproperlyConfigured(
                f"{name} is the published demo value; set a secret of your own "
                "(BIZPORTAL_PROFILE=production)"
            )
        return value
    if DEMO_MODE:
        return demo_default
    raise ImproperlyConfigured(
        f"{name} is not set. The production profile uses no built-in secrets: set {name} "
        f"(or {name}_FILE, a file holding it), or BIZPORTAL_PROFILE=demo for a demo."
    )


SECRET_KEY = secret(
    "DJANGO_SECRET_KEY", "bizportal-demo-only-secret-key-change-me-in-production-0123456789"
)
# --- end Security: profile and secrets ----------------------------------------------

# The public address of this deployment. Sandbox providers are reached through it
# over HTTP, exactly as a real provider at another address would be.
BASE_URL = env("BIZPORTAL_BASE_URL", f"http://127.0.0.1:{env('PORT', '8000')}").rstrip("/")
# Who publishes the catalogue as linked data (/catalog.ttl): the operator of this portal.
CATALOG_PUBLISHER_NAME_TH = env("CATALOG_PUBLISHER_NAME_TH", "บิซพอร์ทัล")
CATALOG_PUBLISHER_NAME_EN = env("CATALOG_PUBLISHER_NAME_EN", "Biz Portal")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django_guid",
    "django_prometheus",
    # Security (issue 16): sign-in lockout, staff TOTP devices, CSP nonces.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    # OAuth2 client credentials for agency systems (exchange.AgencySystem).
    "oauth2_provider",
    "bizportal.core",
    "bizportal.identity",
    "bizportal.sandbox_idp",
    "bizportal.registries",
    "bizportal.exchange",
    "bizportal.catalog",
    "bizportal.forms",
    "bizportal.monitoring",
    "bizportal.rules",
    "bizportal.workflow",
    "bizportal.applications",
    "bizportal.inspections",
    "bizportal.integrations",
    "bizportal.federation",
    "bizportal.payments",
    "bizportal.payments.contrib.sandbox",
    "bizportal.payments.contrib.gateways",
    "bizportal.advisor",
    "bizportal.licences",
    "bizportal.service_levels",
    "bizportal.contact",
    "bizportal.notifications",
    "bizportal.notifications.contrib.sandbox",
    "bizportal.surveys",
    "bizportal.privacy",
    "bizportal.reports",
    "bizportal.portal",
    "bizportal.backoffice",
]

MIDDLEWARE = [
    # Request ids first, so that every later log line carries one; metrics wrap the rest.
    "django_guid.middleware.guid_middleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Security headers (issue 16): CSP with per-response nonces, Permissions-Policy.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Security (issue 16): idle and absolute session timeouts, then the staff second
    # factor (django-otp marks the session; staff without it reach only enrolment).
    "bizportal.core.security.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "bizportal.backoffice.mfa.SecondFactorMiddleware",
    "bizportal.identity.middleware.ActingMiddleware",
    "bizportal.privacy.middleware.NoticeAcceptanceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# `manage.py serve` defaults: web processes (more than 1 runs gunicorn) and threads each.
# WEB_CONCURRENCY is the name gunicorn and most platforms already use for processes.
WEB_CONCURRENCY = int(env("WEB_CONCURRENCY", "1"))
WEB_THREADS = int(env("WEB_THREADS", "8"))

ROOT_URLCONF = "bizportal.urls"
WSGI_APPLICATION = "bizportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bizportal.backoffice.context_processors.staff_menu",
                "bizportal.notifications.context_processors.inbox",
            ],
            "builtins": [
                "bizportal.core.templatetags.thai",
                "django.templatetags.i18n",
                "django.templatetags.static",
            ],
        },
    }
]


def _database(url: str) -> dict[str, Any]:
    """One database alias from a URL, with the connection reuse production needs."""
    config: dict[str, Any] = dict(
        dj_database_url.parse(
            url,
            conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "0")),
            conn_health_checks=True,
        )
    )
    if not config.get("PASSWORD") and env("DATABASE_PASSWORD"):
        # Keeps the password out of the URL: a mounted secret (DATABASE_PASSWORD_FILE).
        config["PASSWORD"] = env("DATABASE_PASSWORD")
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Reuse connections: a pool per process (psycopg_pool) when DATABASE_POOL_SIZE is
        # set (size it so web processes x size stays under PostgreSQL's max_connections),
        # else persistent connections per thread for DATABASE_CONN_MAX_AGE s (default 60).
        pool_size = int(env("DATABASE_POOL_SIZE", "0"))
        if pool_size > 0:
            config["CONN_MAX_AGE"] = 0
            config.setdefault("OPTIONS", {})["pool"] = {
                "min_size": min(2, pool_size),
                "max_size": pool_size,
                "timeout": 10,
            }
        elif "DATABASE_CONN_MAX_AGE" not in os.environ:
            config["CONN_MAX_AGE"] = 60
    return config


DATABASES = {
    "default": _database(env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'bizportal.sqlite3'}"))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task worker share the file without
    # "database is locked" errors; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory: live-server tests serve requests from several threads, each
    # with its own connection.
    DATABASES["default"]["TEST"] = {
        "NAME": env("BIZPORTAL_TEST_SQLITE", str(VAR_DIR / "test.sqlite3"))
    }
# A streaming read replica of the primary. Only reads that tolerate replication lag use
# it, and only when they ask (bizportal.core.db.reporting_db); tests mirror the primary.
DATABASE_ROUTERS = ["bizportal.core.db.ReplicaRouter"]
REPORTING_DATABASE = "default"
if env("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = _database(env("DATABASE_REPLICA_URL"))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    REPORTING_DATABASE = "replica"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "portal:account"
LOGOUT_REDIRECT_URL = "portal:home"

# Security (issue 16): at least 12 characters, and not on Django's offline list of
# 20,000 passwords most often found in breaches (CommonPasswordValidator).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Security (issue 16): django-axes counts failed password sign-ins before the model
# backend checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LANGUAGE_CODE = "th"


def _languages(codes: str) -> list[tuple[str, Any]]:
    """Thai and English always; an operator adds a language by listing it here and
    dropping its catalogues into a LOCALE_PATHS folder, with no change to the code."""
    from django.conf.locale import LANG_INFO

    chosen = ["th", "en"] + [c.strip() for c in codes.split(",") if c.strip()]
    unknown = [code for code in chosen if code not in LANG_INFO]
    if unknown:
        raise ImproperlyConfigured(f"BIZPORTAL_LANGUAGES: unknown language {unknown}")
    names = {"th": _("Thai"), "en": _("English")}
    return [(code, names.get(code, LANG_INFO[code]["name"])) for code in dict.fromkeys(chosen)]


LANGUAGES = _languages(env("BIZPORTAL_LANGUAGES"))
# Each app keeps its own catalogues in <app>/locale (manage.py catalogues update);
# these folders come first, so an operator can add a language or override a wording.
LOCALE_PATHS = [Path(p) for p in env("BIZPORTAL_LOCALE_PATHS").split(os.pathsep) if p]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("BIZPORTAL_STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env("BIZPORTAL_MEDIA_ROOT", str(VAR_DIR / "media")))
# Uploaded files are private: they are never served from a public URL, only through
# views that check who is asking.
MEDIA_URL = "/media-not-served/"
# Once collectstatic has run (`make demo`, the container image), static files carry a
# content hash in their name and WhiteNoise serves them with a one-year immutable
# Cache-Control. Before it (a checkout running its tests) they are served unhashed
# straight from the apps. BIZPORTAL_STATIC_MANIFEST=0/1 forces either.
STATIC_MANIFEST = env_bool(
    "BIZPORTAL_STATIC_MANIFEST", (STATIC_ROOT / "staticfiles.json").is_file()
)
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
if env("STORAGE_S3_BUCKET"):
    # Uploads, receipts and licence PDFs in S3-compatible object storage (MinIO, Ceph,
    # a cloud bucket), so web and worker replicas share them. Objects stay private:
    # no public ACL, and the views that check who is asking stream them through Django.
    # Keys left empty fall back to boto3's own chain (instance or workload identity).
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("STORAGE_S3_BUCKET"),
            "endpoint_url": env("STORAGE_S3_ENDPOINT_URL") or None,
            "access_key": env("STORAGE_S3_ACCESS_KEY_ID") or None,
            "secret_key": env("STORAGE_S3_SECRET_ACCESS_KEY") or None,
            "region_name": env("STORAGE_S3_REGION") or None,
            "location": env("STORAGE_S3_PREFIX"),
            # MinIO and most on-premises stores address buckets by path, not host name.
            "addressing_style": env("STORAGE_S3_ADDRESSING_STYLE", "path"),
            "default_acl": None,
            "querystring_auth": True,
            # Never replace an existing object: a second file of the same name gets a
            # new name, as on the local file system.
            "file_overwrite": False,
        },
    }
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_MAX_AGE = 3600  # unhashed files (favicon and the like); hashed ones: a year

DATA_UPLOAD_MAX_MEMORY_SIZE = 15 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
BIZPORTAL_UPLOAD_MAX_BYTES = int(env("BIZPORTAL_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Security: HTTPS, cookies, sessions, sign-in, headers (issue 16) ---------------
# BIZPORTAL_HTTPS=1 (the default in the production profile): Secure cookies with the
# __Host- prefix (Secure, Path=/, no Domain: no sibling site can set or shadow them),
# HSTS, and a redirect from http to https.
HTTPS = env_bool("BIZPORTAL_HTTPS", not DEMO_MODE)
SESSION_COOKIE_SECURE = HTTPS or env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A refused form (expired or foreign token) gets a Thai/English page, the API problem+json.
CSRF_FAILURE_VIEW = "bizportal.core.errors.csrf_failure"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
if HTTPS:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = int(env("BIZPORTAL_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BIZPORTAL_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("BIZPORTAL_HSTS_PRELOAD", True)
    SECURE_SSL_REDIRECT = env_bool("BIZPORTAL_SSL_REDIRECT", True)
    # Load balancers probe over plain http.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("BIZPORTAL_BEHIND_PROXY"):
    # Only behind a proxy that sets (and strips from clients) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Sessions end after an idle time (shorter for staff) and, whatever the activity, an
# absolute time after sign-in (core.security.SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT_STAFF = int(env("BIZPORTAL_IDLE_TIMEOUT_STAFF", str(15 * 60)))
SESSION_IDLE_TIMEOUT_PUBLIC = int(env("BIZPORTAL_IDLE_TIMEOUT_PUBLIC", str(30 * 60)))
SESSION_ABSOLUTE_TIMEOUT = int(env("BIZPORTAL_SESSION_ABSOLUTE_TIMEOUT", str(12 * 3600)))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT

# Lockout of password sign-ins (django-axes): the staff and admin sign-in and the
# sandbox Digital ID's. After AXES_FAILURE_LIMIT wrong passwords for one user name the
# name is locked for AXES_COOLOFF_TIME, right password or not; a success clears the
# count; `manage.py axes_reset_username NAME` unlocks early. Counted per user name (not
# per address: behind a proxy or at a counter many people share one address).
AXES_FAILURE_LIMIT = int(env("BIZPORTAL_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("BIZPORTAL_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 warns that without the address an attacker may rotate user agents; axes
# sums a name's failures over every address and agent, so that does not reset the
# count here. Per-address throttling is the business rate limits' job (issue 16 item 4).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
# The cool-off runs from the lockout; attempts while locked are refused (and audited)
# without starting it again.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "bizportal.core.security.lockout_response"
# Sign-ins are in the audit trail already; axes keeps only the failure counts.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Staff second factor: TOTP (django-otp). Codes are throttled per device (the wait
# doubles after each wrong code).
OTP_TOTP_ISSUER = "Biz Portal"

# Content Security Policy (django-csp 4): no inline script or style without the
# response's nonce; forms post to this site or to the Digital ID provider (sign-out).
FORM_TARGETS = sorted(
    {
        "'self'",
        *(
            "/".join(url.split("/", 3)[:3])
            for url in (env("OIDC_ISSUER", ""), env("PAYMENT_SANDBOX_URL", ""))
            if url.startswith("http")
        ),
    }
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF, csp_constants.NONCE],
        "img-src": [csp_constants.SELF, "data:"],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.NONE],
        "frame-ancestors": [csp_constants.NONE],
        "form-action": FORM_TARGETS,
    }
}
# Permissions-Policy (django-permissions-policy): no page needs these browser features.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
# --- end Security: HTTPS, cookies, sessions, sign-in, headers ----------------------

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = Path(env("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Biz Portal <no-reply@bizportal.example>")

# The task queue: the database (embedded default, nothing else to run) or RQ on Redis for
# a cluster (TASKS_BACKEND=django_tasks_rq.RQBackend, REDIS_URL). Callers enqueue in
# transaction.on_commit, so a worker never picks up a task before its data is visible.
# Why RQ rather than Celery: the operator guide ("Task queue"); bench/bench_tasks.py
# measures both backends.
TASKS_BACKEND = env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {
    "default": {
        "BACKEND": TASKS_BACKEND,
        "QUEUES": ["default"],
    }
}
INSTALLED_APPS += ["django_rq", "django_tasks_rq"]  # the rqworker command
RQ_QUEUES = {
    "default": {"URL": env("REDIS_URL", "redis://127.0.0.1:6379/0"), "DEFAULT_TIMEOUT": 600}
}
# RQ's default worker forks a fresh process per job (isolation, more latency);
# "rq.worker.SimpleWorker" runs jobs in the worker itself. bench_tasks.py measures both.
RQ_WORKER_CLASS = env("RQ_WORKER_CLASS")

# --- Observability -------------------------------------------------------------------
# Request ids: an incoming X-Request-ID from the reverse proxy is kept when it is a UUID,
# otherwise one is made; it is returned on the response and put on every log line.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
}
# Prometheus scrapes /metrics with `Authorization: Bearer $METRICS_TOKEN`; without a token
# configured only loopback may read it. Several gunicorn processes share their samples
# through PROMETHEUS_MULTIPROC_DIR (set by `manage.py serve --workers N`).
METRICS_TOKEN = env("METRICS_TOKEN")
PROMETHEUS_EXPORT_MIGRATIONS = False

# Crash recovery (core.sweeps, `manage.py sweep` from cron): a database task RUNNING for
# longer than the lease belongs to a dead worker and is queued again; one started this
# many times without finishing is marked failed. State-driven work due for longer than
# the grace with nothing doing it is re-enqueued.
BIZPORTAL_TASK_LEASE_SECONDS = int(env("BIZPORTAL_TASK_LEASE_SECONDS", "600"))
BIZPORTAL_TASK_MAX_STARTS = int(env("BIZPORTAL_TASK_MAX_STARTS", "3"))
BIZPORTAL_SWEEP_GRACE_SECONDS = int(env("BIZPORTAL_SWEEP_GRACE_SECONDS", "60"))
# Report files (reports.tasks) are removed this many days after they were prepared.
BIZPORTAL_REPORT_EXPORT_DAYS = int(env("BIZPORTAL_REPORT_EXPORT_DAYS", "7"))

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "bizportal.core.openapi.ProblemAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Bearer JWTs from the portal's own /oidc/token (system users, token exchange).
        "bizportal.federation.authentication.PortalTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "bizportal.core.problems.problem_exception_handler",
    # Bounded JSON (size, depth, Unicode, finite numbers) for every API view; see the
    # "Input limits and abuse" block below.
    "DEFAULT_PARSER_CLASSES": [
        "bizportal.core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "bizportal.core.pagination.CheckedCursorPagination",
    "PAGE_SIZE": 50,
}

# Agency systems authenticate with OAuth2 client credentials (django-oauth-toolkit):
# one client per system, scopes per system (exchange.scopes), short-lived tokens.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES": {
        "exchange:fetch": "ขอข้อมูลผ่านระบบแลกเปลี่ยนข้อมูล / query data services through the exchange",
        "integrations:read": "อ่านคำขอที่ส่งต่อถึงระบบของหน่วยงาน / read forwarded applications",
        "integrations:decide": "แจ้งสถานะและผลการพิจารณา / post status updates and decisions",
        "integrations:batch": "รับชุดคำขอรายวันและส่งไฟล์ผล / download daily batches, upload results",
    },
    "DEFAULT_SCOPES": [],
    "SCOPES_BACKEND_CLASS": "bizportal.exchange.scopes.AgencySystemScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(env("OAUTH2_TOKEN_SECONDS", "600")),
    # RFC 9700 (OAuth 2.0 Security BCP) throughout: tokens stored hashed and accepted
    # only in the Authorization header; the grants and redirects it retires are off.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Biz Portal API",
    "DESCRIPTION": "Find services, apply, pay and verify electronic licences.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from drf-spectacular-sidecar's static files, not a CDN: offline, and
    # the page keeps the site's Content Security Policy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Agency systems authenticate with OAuth2 client credentials (the exchange, the
    # agency API): the scheme names the token URL; scopes come from OAUTH2_PROVIDER.
    "OAUTH2_FLOWS": ["clientCredentials"],
    "OAUTH2_TOKEN_URL": "/o/token/",
    # "status" names two choice sets (applications, invoices): name each explicitly.
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "bizportal.applications.models.Status",
        "InvoiceStatusEnum": "bizportal.payments.models.Invoice.Status",
        "ApplicationKindEnum": "bizportal.applications.models.Kind",
        "HolderKindEnum": "bizportal.licences.models.HolderKind",
        "LicenceVerdictEnum": "bizportal.licences.services.VERDICTS",
    },
}

# --- Providers -----------------------------------------------------------------
# Digital ID (OpenID Connect). The default is the embedded sandbox provider.
# The portal's own signing key as an OpenID provider (a private JWK as JSON); empty:
# generated once into VAR_DIR/federation/ (bizportal.federation.keys).
PORTAL_OIDC_SIGNING_KEY = env("PORTAL_OIDC_SIGNING_KEY", "")
OIDC_ISSUER = env("OIDC_ISSUER", f"{BASE_URL}/sandbox/idp")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", "bizportal-demo")
OIDC_CLIENT_SECRET = secret("OIDC_CLIENT_SECRET", "bizportal-demo-client-secret")

# Civil registry (sandbox registry by default), reached over HTTP.
CIVIL_REGISTRY_URL = env("CIVIL_REGISTRY_URL", f"{BASE_URL}/sandbox/registries/civil")
CIVIL_REGISTRY_TOKEN = secret("CIVIL_REGISTRY_TOKEN", "sandbox-registry-token")
# Juristic-person registry (DBD-like; sandbox by default), also over HTTP.
JURISTIC_REGISTRY_URL = env("JURISTIC_REGISTRY_URL", f"{BASE_URL}/sandbox/registries/juristic")
JURISTIC_REGISTRY_TOKEN = (
    secret("JURISTIC_REGISTRY_TOKEN", "sandbox-registry-token")
    if os.environ.keys() & {"JURISTIC_REGISTRY_TOKEN", "JURISTIC_REGISTRY_TOKEN_FILE"}
    else CIVIL_REGISTRY_TOKEN
)
# Revenue Department tax registration and DIW factory licences (sandboxes by default),
# each with its own token. Optional in production: a deployment not yet connected to
# them leaves the token unset, and the exchange answers "provider unavailable".
REVENUE_REGISTRY_URL = env("REVENUE_REGISTRY_URL", f"{BASE_URL}/sandbox/registries/revenue")
REVENUE_REGISTRY_TOKEN = (
    secret("REVENUE_REGISTRY_TOKEN", "sandbox-revenue-token")
    if DEMO_MODE or os.environ.keys() & {"REVENUE_REGISTRY_TOKEN", "REVENUE_REGISTRY_TOKEN_FILE"}
    else ""
)
DIW_REGISTRY_URL = env("DIW_REGISTRY_URL", f"{BASE_URL}/sandbox/registries/diw")
DIW_REGISTRY_TOKEN = (
    secret("DIW_REGISTRY_TOKEN", "sandbox-diw-token")
    if DEMO_MODE or os.environ.keys() & {"DIW_REGISTRY_TOKEN", "DIW_REGISTRY_TOKEN_FILE"}
    else ""
)
# Which identity-provider plugin signs entrepreneurs in (bizportal.identity.providers).
IDENTITY_PROVIDER = env("IDENTITY_PROVIDER", "digital_id")
# The providers offered side by side on the sign-in page, in this order (comma-separated
# plugin names): all three sandboxes in the demo, Digital ID alone in production until
# the others are configured. IDENTITY_PROVIDER stays the one old sessions fall back to.
IDENTITY_PROVIDERS = [
    name.strip()
    for name in env(
        "IDENTITY_PROVIDERS", "digital_id,thaid,ndid" if DEMO_MODE else IDENTITY_PROVIDER
    ).split(",")
    if name.strip()
]
# How long a provider's availability probe (its discovery document) is believed, and
# how long the probe may take, in seconds.
IDENTITY_PROBE_CACHE_SECONDS = int(env("IDENTITY_PROBE_CACHE_SECONDS", "30"))
IDENTITY_PROBE_TIMEOUT = float(env("IDENTITY_PROBE_TIMEOUT", "2"))
# DOPA ThaID (OpenID Connect). The default is the embedded sandbox's ThaID issuer.
THAID_ISSUER = env("THAID_ISSUER", f"{BASE_URL}/sandbox/thaid")
THAID_CLIENT_ID = env("THAID_CLIENT_ID", "bizportal-thaid-demo")
THAID_CLIENT_SECRET = (
    secret("THAID_CLIENT_SECRET", "bizportal-thaid-demo-client-secret")
    if "thaid" in IDENTITY_PROVIDERS
    else ""
)
# The NDID network: the portal (an RP) asks its NDID node (the node's RP API) to have
# the citizen's chosen IdP confirm them; the node answers by a signed callback. The
# default node is the embedded sandbox node.
NDID_NODE_URL = env("NDID_NODE_URL", f"{BASE_URL}/sandbox/ndid").rstrip("/")
NDID_NODE_TOKEN = (
    secret("NDID_NODE_TOKEN", "sandbox-ndid-node-token") if "ndid" in IDENTITY_PROVIDERS else ""
)
NDID_CALLBACK_SECRET = (
    secret("NDID_CALLBACK_SECRET", "sandbox-ndid-callback-secret")
    if "ndid" in IDENTITY_PROVIDERS
    else ""
)
NDID_MIN_IAL = env("NDID_MIN_IAL", "2.1")
NDID_MIN_AAL = env("NDID_MIN_AAL", "1")
NDID_REQUEST_TIMEOUT = int(env("NDID_REQUEST_TIMEOUT", "300"))
# The service counter's ID-card reader agent (bizportal.identity.card_readers): which
# plugin, where its agent listens, the key its answers are signed with (HS256), and the
# lowest face-comparison score accepted for "chip read and face compared" (IAL 2.3).
CARD_READER = env("CARD_READER", "sandbox")
CARD_READER_URL = env("CARD_READER_URL", f"{BASE_URL}/sandbox/card-reader").rstrip("/")
CARD_READER_KEY = (
    secret("CARD_READER_KEY", "sandbox-card-reader-key-0123456789abcdef")
    if DEMO_MODE or os.environ.keys() & {"CARD_READER_KEY", "CARD_READER_KEY_FILE"}
    else ""
)
CARD_READER_FACE_THRESHOLD = float(env("CARD_READER_FACE_THRESHOLD", "0.80"))
# The sandbox reader agent's copy of the key; empty: the same CARD_READER_KEY.
SANDBOX_CARD_READER_KEY = env("SANDBOX_CARD_READER_KEY", "")

# Licence terms running out: the holder is reminded when this many days are left (each
# threshold once per term), and the sweeper marks a licence expired after its last day.
# Service levels: officers are alerted when an open application has this many working
# days or fewer left before its due date; supervisors when it passes it.
SERVICE_LEVEL_AT_RISK_DAYS = int(env("SERVICE_LEVEL_AT_RISK_DAYS", "2"))
# Contact and complaints (issue 27 item 5): the working days an agency has to settle a
# complaint or answer an enquiry (the supervisor of the owner agency is told once it
# passes), and the longest message a person or officer may write.
CONTACT_COMPLAINT_DAYS = int(env("CONTACT_COMPLAINT_DAYS", "15"))
CONTACT_ENQUIRY_DAYS = int(env("CONTACT_ENQUIRY_DAYS", "5"))
CONTACT_MAX_MESSAGE = int(env("CONTACT_MAX_MESSAGE", "4000"))
# Live chat (issue 27 item 6): the longest chat message, and how long an officer's
# "available" lasts unless their page refreshes it (it does every third of that).
CHAT_MAX_MESSAGE = int(env("CHAT_MAX_MESSAGE", "1000"))
CHAT_PRESENCE_SECONDS = int(env("CHAT_PRESENCE_SECONDS", "120"))
# Django Channels pushes chat changes over WebSockets. The channel layer carries them
# between processes: Redis (channels-redis) when CHANNEL_LAYER_URL is set (redis://...),
# else an in-process layer, right for one process (the embedded default and tests).
# The chat's state is in the database either way; the layer only says "look again".
ASGI_APPLICATION = "bizportal.asgi.application"
# `manage.py serve` with daphne (ASGI: pages and WebSockets) instead of waitress/gunicorn.
SERVE_ASGI = env_bool("SERVE_ASGI", False)
CHANNEL_LAYER_URL = env("CHANNEL_LAYER_URL")
CHANNEL_LAYERS = (
    {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [CHANNEL_LAYER_URL], "prefix": "bizportal-chat"},
        }
    }
    if CHANNEL_LAYER_URL
    else {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
)
LICENCE_EXPIRY_REMINDER_DAYS = tuple(
    sorted(int(day) for day in env("LICENCE_EXPIRY_REMINDER_DAYS", "90,30,7").split(",") if day)
)

# Satisfaction surveys (issue 27 item 4): how long an invitation's signed link answers.
SURVEY_INVITATION_DAYS = int(env("SURVEY_INVITATION_DAYS", "60"))

# Payment provider (sandbox bank by default).
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", "sandbox")
PAYMENT_WEBHOOK_SECRET = secret("PAYMENT_WEBHOOK_SECRET", "sandbox-payment-webhook-secret")
PAYMENT_BILLER_ID = env("PAYMENT_BILLER_ID", "099400016550101")
PAYMENT_SANDBOX_URL = env("PAYMENT_SANDBOX_URL", f"{BASE_URL}/sandbox/bank")
# Invoices (issue 10): calendar days an invoice stays payable (it expires at the end of
# the last day, Bangkok time) unless the service's payment terms (admin) say otherwise.
PAYMENT_INVOICE_DAYS = int(env("PAYMENT_INVOICE_DAYS", "15"))
# The sandbox bank retries a notification the biller did not take (network error, 5xx,
# 429) after 1, 2, 4 ... times this many seconds, at most this many attempts in all.
PAYMENT_SANDBOX_WEBHOOK_BACKOFF_SECONDS = int(env("PAYMENT_SANDBOX_WEBHOOK_BACKOFF_SECONDS", "30"))
PAYMENT_SANDBOX_WEBHOOK_MAX_ATTEMPTS = int(env("PAYMENT_SANDBOX_WEBHOOK_MAX_ATTEMPTS", "8"))
# Payment channels (issue 10): the provider plugins payers may choose from, in the order
# the pay page offers them; a service may accept fewer (ServicePaymentOptions, in the
# admin). PAYMENT_PROVIDER is always enabled and is the default channel. The demo
# enables every sandbox channel; production lists the ones it has contracts for.
PAYMENT_PROVIDERS = tuple(
    dict.fromkeys(
        [PAYMENT_PROVIDER]
        + [
            name.strip()
            for name in env(
                "PAYMENT_PROVIDERS",
                (
                    "sandbox,sandbox_promptpay,sandbox_counter,sandbox_card,sandbox_cgd"
                    if DEMO_MODE
                    else PAYMENT_PROVIDER
                ),
            ).split(",")
            if name.strip()
        ]
    )
)
# PromptPay (tag 29): the proxy of the collection account (a 13-digit tax ID, a mobile
# number or a 15-digit e-wallet ID) that credit transfers are paid to.
PAYMENT_PROMPTPAY_ID = env("PAYMENT_PROMPTPAY_ID", "0994000165501")
# The card gateway (hosted payment page, signed links and webhooks) and the CGD
# e-Payment route; their keys are required only when the channel is enabled.
PAYMENT_CARD_URL = env("PAYMENT_CARD_URL", f"{BASE_URL}/sandbox/card").rstrip("/")
PAYMENT_CARD_MERCHANT_ID = env("PAYMENT_CARD_MERCHANT_ID", "BIZPORTAL0001")
PAYMENT_CARD_SECRET = (
    secret("PAYMENT_CARD_SECRET", "sandbox-card-gateway-secret")
    if "sandbox_card" in PAYMENT_PROVIDERS
    else ""
)
PAYMENT_CGD_URL = env("PAYMENT_CGD_URL", f"{BASE_URL}/sandbox/cgd").rstrip("/")
PAYMENT_CGD_AGENCY_CODE = env("PAYMENT_CGD_AGENCY_CODE", "0000990001")
PAYMENT_CGD_SECRET = (
    secret("PAYMENT_CGD_SECRET", "sandbox-cgd-epayment-secret")
    if "sandbox_cgd" in PAYMENT_PROVIDERS
    else ""
)

# Notifications (issue 27): the channels sent on, retries, and the providers behind SMS
# and LINE. The demo sends SMS and LINE to the sandboxes under /sandbox/sms and
# /sandbox/line; production enables them by naming them in NOTIFICATION_CHANNELS and
# pointing SMS_GATEWAY_URL / LINE_API_URL at the provider, with its own keys (which are
# then required: no demo key is accepted in production). See docs/operator-guide.md.
NOTIFICATION_CHANNELS = tuple(
    name.strip()
    for name in env(
        "NOTIFICATION_CHANNELS", "email,inbox,sms,line" if DEMO_MODE else "email,inbox"
    ).split(",")
    if name.strip()
)
NOTIFICATION_MAX_ATTEMPTS = int(env("NOTIFICATION_MAX_ATTEMPTS", "8"))
NOTIFICATION_RETRY_BASE_SECONDS = int(env("NOTIFICATION_RETRY_BASE_SECONDS", "30"))
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", f"{BASE_URL}/sandbox/sms").rstrip("/")
SMS_SENDER = env("SMS_SENDER", "BizPortal")
SMS_GATEWAY_API_KEY = (
    secret("SMS_GATEWAY_API_KEY", "sandbox-sms-api-key") if "sms" in NOTIFICATION_CHANNELS else ""
)
SMS_WEBHOOK_SECRET = (
    secret("SMS_WEBHOOK_SECRET", "sandbox-sms-receipt-secret")
    if "sms" in NOTIFICATION_CHANNELS
    else ""
)
LINE_API_URL = env("LINE_API_URL", f"{BASE_URL}/sandbox/line").rstrip("/")
LINE_LOGIN_URL = env("LINE_LOGIN_URL", f"{BASE_URL}/sandbox/line/login")
LINE_CHANNEL_TOKEN = (
    secret("LINE_CHANNEL_TOKEN", "sandbox-line-channel-token")
    if "line" in NOTIFICATION_CHANNELS
    else ""
)
LINE_CHANNEL_SECRET = (
    secret("LINE_CHANNEL_SECRET", "sandbox-line-channel-secret")
    if "line" in NOTIFICATION_CHANNELS
    else ""
)

# Signing keys for e-licences: the embedded development CA unless a key store is set.
LICENCE_KEY_DIR = Path(env("LICENCE_KEY_DIR", str(VAR_DIR / "dev_ca")))
# Which signer plugin (bizportal.licences.signers) holds the agencies' keys; "dev_ca" is
# the embedded development CA above, production registers an HSM-backed plugin.
LICENCE_SIGNER = env("LICENCE_SIGNER", "dev_ca")
# LICENCE_SIGNER="pkcs11": the agencies' keys in an HSM (any PKCS#11 module; SoftHSM2 for
# tests). The agency "bma-health" signs with the key and certificate labelled
# LICENCE_PKCS11_KEY_LABEL with {agency} replaced: "licence-bma-health". The user PIN
# is read from the environment only, LICENCE_PKCS11_PIN or LICENCE_PKCS11_PIN_FILE, when
# a session is opened (not kept in settings, which Django may print).
LICENCE_PKCS11_MODULE = env("LICENCE_PKCS11_MODULE")
LICENCE_PKCS11_TOKEN = env("LICENCE_PKCS11_TOKEN")
LICENCE_PKCS11_KEY_LABEL = env("LICENCE_PKCS11_KEY_LABEL", "licence-{agency}")
# PEM root certificates verifiers trust for HSM-signed licences (required outside the demo
# profile, where the development CA's root is trusted), and PEM intermediates embedded in
# every signature.
LICENCE_TRUST_ROOTS_FILE = env("LICENCE_TRUST_ROOTS_FILE")
LICENCE_CA_CHAIN_FILE = env("LICENCE_CA_CHAIN_FILE")
# How long a published Bitstring Status List (revocation, suspension) stays valid, in
# seconds: its validUntil, its ttl and its HTTP max-age. Short, so a verifier that
# caches it learns of a revocation within minutes; the list is cached server-side too
# and rebuilt at once after any lifecycle change.
LICENCE_STATUS_LIST_TTL = int(env("LICENCE_STATUS_LIST_TTL", "300"))
# Base URL of the trust services the licence signatures rely on: the RFC 3161 TSA at
# /tsa, OCSP at /ocsp, the root's CRL at /crl/root.crl. The dev CA writes these URLs into
# its certificates and the sandbox (python -m bizportal.sandbox_trust) serves them;
# production points a signer plugin at a qualified TSA and CA instead.
LICENCE_TRUST_URL = env("LICENCE_TRUST_URL", "http://127.0.0.1:8767").rstrip("/")
# A licence valid longer than this many years (or without an end date) is signed
# PAdES B-LTA (archive time stamp over the validation data), shorter ones B-LT.
LICENCE_LTA_AFTER_YEARS = int(env("LICENCE_LTA_AFTER_YEARS", "2"))
# Written mandates (a service's law needs a written power of attorney) are signed with
# the licence signer plugin by this agency (its code: the portal operator's); empty: the
# agency of the first covered service that needs one.
MANDATE_SIGNING_AGENCY = env("MANDATE_SIGNING_AGENCY", "")

# --- Input limits and abuse (issue 16 item 4) -------------------------------------
# Kept in one block: bounds on what outsiders may send, and business-level rate limits.
# Every JSON body (API parser, payment callbacks) is bounded in size and depth.
BIZPORTAL_JSON_MAX_BYTES = int(env("BIZPORTAL_JSON_MAX_BYTES", str(1024 * 1024)))
BIZPORTAL_JSON_MAX_DEPTH = int(env("BIZPORTAL_JSON_MAX_DEPTH", "32"))
# A payment callback body is kept (signed ones only) up to this size; larger: 413.
PAYMENT_CALLBACK_MAX_BYTES = int(env("PAYMENT_CALLBACK_MAX_BYTES", str(64 * 1024)))
# A bank statement file (camt.053 XML or CSV) a finance officer imports; larger: refused.
PAYMENT_STATEMENT_MAX_BYTES = int(env("PAYMENT_STATEMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Draft answers: a text answer is at most this long when the form schema sets no
# maxLength, a number at most this large in magnitude when it sets no bounds.
FORM_DEFAULT_MAX_LENGTH = int(env("FORM_DEFAULT_MAX_LENGTH", "2000"))
FORM_DEFAULT_MAX_NUMBER = float(env("FORM_DEFAULT_MAX_NUMBER", "1e12"))
# Open drafts (not yet submitted) one party may hold at a time.
MAX_OPEN_DRAFTS_PER_PARTY = int(env("MAX_OPEN_DRAFTS_PER_PARTY", "20"))
# Business-level rate limits ("count/period", period s, m, h or d), counted in the cache
# named by RATELIMIT_USE_CACHE. Keys: verify and verify-upload per IP address, upload
# and draft per user, callback per IP address.
BIZPORTAL_RATE_LIMITS = {
    "verify": env("RATE_LIMIT_VERIFY", "60/m"),
    "verify-upload": env("RATE_LIMIT_VERIFY_UPLOAD", "20/m"),
    "upload": env("RATE_LIMIT_UPLOAD", "60/h"),
    "draft": env("RATE_LIMIT_DRAFT", "30/h"),
    "callback": env("RATE_LIMIT_CALLBACK", "600/m"),
    # One-time codes to a new email or mobile, per account (besides 5 an hour per medium).
    "contact-code": env("RATE_LIMIT_CONTACT_CODE", "10/h"),
    # Complaints, enquiries and thread messages, per IP address (anonymous filing too).
    "contact": env("RATE_LIMIT_CONTACT", "30/h"),
}
RATELIMIT_USE_CACHE = "default"
# An unreachable cache lets calls through (logged) rather than refusing everyone.
RATELIMIT_FAIL_OPEN = True
# A plain view over a limit raises RateLimited; this answers 429 with Retry-After.
MIDDLEWARE += ["bizportal.core.ratelimits.RateLimitMiddleware"]
# Behind a reverse proxy set RATELIMIT_IP_META_KEY (e.g. HTTP_X_REAL_IP) to the header
# the proxy sets; the default REMOTE_ADDR is right when clients connect directly.
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY") or None
# The counts must be shared by all web processes: in production set
# CACHE_URL=redis://127.0.0.1:6379/1 (Django's RedisCache), or db://<table> for the
# database cache (run `manage.py createcachetable`). The default, local memory, is
# right for the one-process demo (`manage.py serve`) and tests; with several processes
# each counts on its own (the deploy check warns, see bizportal.core.checks).
# Without CACHE_URL, a configured REDIS_URL (the cluster's Redis) is the shared cache.
CACHE_URL = env("CACHE_URL", env("REDIS_URL", "locmem://"))
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
elif CACHE_URL.startswith("db://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_URL.removeprefix("db://") or "bizportal_cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# --- end of input limits and abuse --------------------------------------------------

# Audit checkpoints (manage.py anchor_audit) are signed with this PEM Ed25519 or ECDSA
# P-256 private key (the file form suits container secrets). Public keys of earlier
# keys, comma-separated PEM files, keep older checkpoints verifiable after a rotation.
# Without a key only the demo profile (or DJANGO_DEBUG) signs, with a generated key in
# BIZPORTAL_VAR_DIR; in production anchor_audit refuses to run.
BIZPORTAL_DEMO = DEMO_MODE
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY", "")
AUDIT_SIGNING_KEY_FILE = env("AUDIT_SIGNING_KEY_FILE", "")
AUDIT_VERIFY_KEY_FILES = [p for p in env("AUDIT_VERIFY_KEY_FILES", "").split(",") if p]

# Forwarding applications to agencies' own systems (integrations): the Ed25519 key the
# requests are signed with (RFC 9421; generated in BIZPORTAL_VAR_DIR only in the demo
# profile), earlier public keys still published after a rotation, and the delivery
# policy (timeout, attempts, first backoff), document link lifetime, batch hour.
FORWARDING_SIGNING_KEY = env("FORWARDING_SIGNING_KEY", "")
FORWARDING_SIGNING_KEY_FILE = env("FORWARDING_SIGNING_KEY_FILE", "")
FORWARDING_VERIFY_KEY_FILES = [p for p in env("FORWARDING_VERIFY_KEY_FILES", "").split(",") if p]
FORWARDING_TIMEOUT_SECONDS = float(env("FORWARDING_TIMEOUT_SECONDS", "10"))
FORWARDING_MAX_ATTEMPTS = int(env("FORWARDING_MAX_ATTEMPTS", "8"))
FORWARDING_BACKOFF_SECONDS = float(env("FORWARDING_BACKOFF_SECONDS", "15"))
FORWARDING_BACKOFF_MAX_SECONDS = float(env("FORWARDING_BACKOFF_MAX_SECONDS", "3600"))
FORWARDING_LINK_SECONDS = int(env("FORWARDING_LINK_SECONDS", "3600"))
FORWARDING_BATCH_HOUR = int(env("FORWARDING_BATCH_HOUR", "18"))
# The demo's sandbox agency system (its own process, started by manage.py serve).
SANDBOX_AGENCY_URL = env("SANDBOX_AGENCY_URL", "http://127.0.0.1:8766").rstrip("/")

# LOG_FORMAT=json writes one JSON object per line (for a log collector); text for people.
LOG_FORMAT = env("LOG_FORMAT", "text")
# Security events as JSON lines in SECURITY_LOG_DIR, one file a day, kept
# SECURITY_LOG_RETENTION_DAYS (the Computer Crime Act asks for traffic data kept at least
# 90 days), readable by the service's group only. SECURITY_SYSLOG_ADDRESS (host:port)
# forwards them to a SIEM as CEF in RFC 5424 syslog frames, over SECURITY_SYSLOG_PROTOCOL
# udp (default) or tcp.
SECURITY_LOG_DIR = Path(env("SECURITY_LOG_DIR", str(VAR_DIR / "log")))
SECURITY_LOG_RETENTION_DAYS = int(env("SECURITY_LOG_RETENTION_DAYS", "180"))
if SECURITY_LOG_RETENTION_DAYS < 90:
    raise ImproperlyConfigured(
        "SECURITY_LOG_RETENTION_DAYS must be at least 90 (Computer Crime Act s. 26)"
    )
SECURITY_SYSLOG_ADDRESS = env("SECURITY_SYSLOG_ADDRESS")
SECURITY_SYSLOG_PROTOCOL = env("SECURITY_SYSLOG_PROTOCOL", "udp")
if SECURITY_SYSLOG_PROTOCOL not in ("udp", "tcp"):
    raise ImproperlyConfigured("SECURITY_SYSLOG_PROTOCOL must be udp or tcp")
SECURITY_LOG_DIR.mkdir(parents=True, exist_ok=True)
# Health of every connection (bizportal.monitoring.connections): each agency endpoint,
# identity provider ... is probed every CONNECTION_PROBE_INTERVAL seconds (by the sweep
# and manage.py probe_connections); failing for CONNECTION_DOWN_AFTER seconds opens an
# incident and tells the agency's IT contact, once, and again on recovery.
CONNECTION_PROBE_INTERVAL = int(env("CONNECTION_PROBE_INTERVAL", "30"))
CONNECTION_DOWN_AFTER = int(env("CONNECTION_DOWN_AFTER", "60"))
CONNECTION_PROBE_TIMEOUT = float(env("CONNECTION_PROBE_TIMEOUT", "5"))
if CONNECTION_PROBE_INTERVAL < 1 or CONNECTION_DOWN_AFTER < 0:
    raise ImproperlyConfigured(
        "CONNECTION_PROBE_INTERVAL must be at least 1 and CONNECTION_DOWN_AFTER at least 0"
    )
# Detection rules (bizportal.monitoring.detection): per rule, the count that raises an
# alert within the window (seconds). SECURITY_ALERT_EMAILS (comma-separated) are told.
SECURITY_DETECTION = {
    "password_spraying": {
        "threshold": int(env("SECURITY_SPRAYING_ACCOUNTS", "20")),
        "window": int(env("SECURITY_SPRAYING_WINDOW", "900")),
    },
    "identifier_enumeration": {
        "threshold": int(env("SECURITY_ENUMERATION_LOOKUPS", "300")),
        "window": int(env("SECURITY_ENUMERATION_WINDOW", "600")),
    },
    "mass_record_access": {
        "threshold": int(env("SECURITY_RECORDS_PER_OFFICER", "200")),
        "window": int(env("SECURITY_RECORDS_WINDOW", "3600")),
    },
    "exchange_volume_spike": {
        "threshold": int(env("SECURITY_EXCHANGE_PER_SYSTEM", "5000")),
        "window": int(env("SECURITY_EXCHANGE_WINDOW", "3600")),
    },
}
SECURITY_ALERT_EMAILS = [
    address.strip()
    for address in env(
        "SECURITY_ALERT_EMAILS", "security@bizportal.example" if DEMO_MODE else ""
    ).split(",")
    if address.strip()
]
SECURITY_LOG_HANDLERS = ["security_file"] + (["security_syslog"] if SECURITY_SYSLOG_ADDRESS else [])


def _syslog_handler() -> dict[str, Any]:
    import socket

    host, _, port = SECURITY_SYSLOG_ADDRESS.rpartition(":")
    if not host or not port.isdigit():
        raise ImproperlyConfigured("SECURITY_SYSLOG_ADDRESS must be host:port")
    return {
        "class": "rfc5424logging.Rfc5424SysLogHandler",
        "address": (host, int(port)),
        "socktype": socket.SOCK_STREAM if SECURITY_SYSLOG_PROTOCOL == "tcp" else socket.SOCK_DGRAM,
        "appname": "bizportal",
        "formatter": "cef",
        "filters": ["request_id"],
    }


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "django_guid.log_filters.CorrelationId"}},
    "formatters": {
        "cef": {"()": "bizportal.core.security_events.CefFormatter"},
        "security_json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(message)s %(security)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "message": "event",
                "correlation_id": "request_id",
            },
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "correlation_id": "request_id",
            },
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id"],
        },
        "security_file": {
            "class": "bizportal.core.security_events.ProtectedTimedRotatingFileHandler",
            "filename": str(SECURITY_LOG_DIR / "security.jsonl"),
            "when": "midnight",
            "backupCount": SECURITY_LOG_RETENTION_DAYS,
            "encoding": "utf-8",
            "delay": True,
            "formatter": "security_json",
            "filters": ["request_id"],
        },
        **({"security_syslog": _syslog_handler()} if SECURITY_SYSLOG_ADDRESS else {}),
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Security events (bizportal.core.security_events): the console like every log,
        # JSON lines on disk, and CEF over syslog when SECURITY_SYSLOG_ADDRESS is set.
        "bizportal.security": {"handlers": SECURITY_LOG_HANDLERS, "level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        # SpiffWorkflow logs every task state change at INFO.
        "spiff": {"level": "WARNING"},
        # One INFO line per request saying it made an id: the id is on every line anyway.
        "django_guid": {"level": "WARNING"},
        # WeasyPrint logs each of its seven steps for every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
    },
}

# Sarabun, the Thai government font, for pages (served as static files) and PDFs.
import fontpkg_sarabun  # noqa: E402

SARABUN_DIR = Path(fontpkg_sarabun.ROOT) / "files"
STATICFILES_DIRS = [("fonts", str(SARABUN_DIR))]
