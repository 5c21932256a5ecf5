"""Settings for Biz Portal.

Everything that differs between a laptop demo and production comes from the
environment, with an embedded default that works on a fresh machine: SQLite, local
files, the database task worker, console email, and the sandbox providers (Digital ID,
registries, payment) served by this same process over real HTTP.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


VAR_DIR = Path(env("BIZPORTAL_VAR_DIR", str(PROJECT_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)
# The default key is only for the embedded demo; `check --deploy` and the
# production checklist in docs/operator-guide.md require DJANGO_SECRET_KEY.
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", "bizportal-demo-only-secret-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = [
    h for h in env("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]

# The public address of this deployment. Sandbox providers are reached through it
# over HTTP, exactly as a real provider at another address would be.
BASE_URL = env("BIZPORTAL_BASE_URL", f"http://127.0.0.1:{env('PORT', '8000')}").rstrip("/")

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
    "django_tasks",
    "django_tasks_db",
    "bizportal.core",
    "bizportal.identity",
    "bizportal.sandbox_idp",
    "bizportal.registries",
    "bizportal.catalog",
    "bizportal.forms",
    "bizportal.rules",
    "bizportal.workflow",
    "bizportal.applications",
    "bizportal.inspections",
    "bizportal.payments",
    "bizportal.payments.contrib.sandbox",
    "bizportal.licences",
    "bizportal.notifications",
    "bizportal.portal",
    "bizportal.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "bizportal.identity.middleware.ActingMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
            ],
            "builtins": [
                "bizportal.core.templatetags.thai",
                "django.templatetags.i18n",
                "django.templatetags.static",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'bizportal.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Reuse connections: a pool per process (psycopg_pool) when DATABASE_POOL_SIZE is set
    # (size it so web processes x size stays under PostgreSQL's max_connections), else
    # persistent connections per thread for DATABASE_CONN_MAX_AGE seconds (default 60).
    POOL_SIZE = int(env("DATABASE_POOL_SIZE", "0"))
    if POOL_SIZE > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, POOL_SIZE),
            "max_size": POOL_SIZE,
            "timeout": 10,
        }
    elif "DATABASE_CONN_MAX_AGE" not in os.environ:
        DATABASES["default"]["CONN_MAX_AGE"] = 60
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "portal:account"
LOGOUT_REDIRECT_URL = "portal:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 15 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
BIZPORTAL_UPLOAD_MAX_BYTES = int(env("BIZPORTAL_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = Path(env("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Biz Portal <no-reply@bizportal.example>")

TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
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

SPECTACULAR_SETTINGS = {
    "TITLE": "Biz Portal API",
    "DESCRIPTION": "Find services, apply, pay and verify electronic licences.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # "status" names two choice sets (applications, invoices): name each explicitly.
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "bizportal.applications.models.Status",
        "InvoiceStatusEnum": "bizportal.payments.models.Invoice.Status",
        "ApplicationKindEnum": "bizportal.applications.models.Kind",
        "HolderKindEnum": "bizportal.licences.models.HolderKind",
    },
}

# --- Providers -----------------------------------------------------------------
# Digital ID (OpenID Connect). The default is the embedded sandbox provider.
OIDC_ISSUER = env("OIDC_ISSUER", f"{BASE_URL}/sandbox/idp")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", "bizportal-demo")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", "bizportal-demo-client-secret")

# Civil registry (sandbox registry by default), reached over HTTP.
CIVIL_REGISTRY_URL = env("CIVIL_REGISTRY_URL", f"{BASE_URL}/sandbox/registries/civil")
CIVIL_REGISTRY_TOKEN = env("CIVIL_REGISTRY_TOKEN", "sandbox-registry-token")
# Juristic-person registry (DBD-like; sandbox by default), also over HTTP.
JURISTIC_REGISTRY_URL = env("JURISTIC_REGISTRY_URL", f"{BASE_URL}/sandbox/registries/juristic")
JURISTIC_REGISTRY_TOKEN = env("JURISTIC_REGISTRY_TOKEN", CIVIL_REGISTRY_TOKEN)
# Which identity-provider plugin signs entrepreneurs in (bizportal.identity.providers).
IDENTITY_PROVIDER = env("IDENTITY_PROVIDER", "digital_id")

# Payment provider (sandbox bank by default).
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", "sandbox")
PAYMENT_WEBHOOK_SECRET = env("PAYMENT_WEBHOOK_SECRET", "sandbox-payment-webhook-secret")
PAYMENT_BILLER_ID = env("PAYMENT_BILLER_ID", "099400016550101")
PAYMENT_SANDBOX_URL = env("PAYMENT_SANDBOX_URL", f"{BASE_URL}/sandbox/bank")

# Signing keys for e-licences: the embedded development CA unless a key store is set.
LICENCE_KEY_DIR = Path(env("LICENCE_KEY_DIR", str(VAR_DIR / "dev_ca")))
# Which signer plugin (bizportal.licences.signers) holds the agencies' keys; "dev_ca" is
# the embedded development CA above, production registers an HSM-backed plugin.
LICENCE_SIGNER = env("LICENCE_SIGNER", "dev_ca")

# --- Input limits and abuse (issue 16 item 4) -------------------------------------
# Kept in one block: bounds on what outsiders may send, and business-level rate limits.
# Every JSON body (API parser, payment callbacks) is bounded in size and depth.
BIZPORTAL_JSON_MAX_BYTES = int(env("BIZPORTAL_JSON_MAX_BYTES", str(1024 * 1024)))
BIZPORTAL_JSON_MAX_DEPTH = int(env("BIZPORTAL_JSON_MAX_DEPTH", "32"))
# A payment callback body is kept (signed ones only) up to this size; larger: 413.
PAYMENT_CALLBACK_MAX_BYTES = int(env("PAYMENT_CALLBACK_MAX_BYTES", str(64 * 1024)))
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
CACHE_URL = env("CACHE_URL", "locmem://")
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # SpiffWorkflow logs every task state change at INFO.
        "spiff": {"level": "WARNING"},
    },
}

# Sarabun, the Thai government font, for pages (served as static files) and PDFs.
import fontpkg_sarabun  # noqa: E402

SARABUN_DIR = Path(fontpkg_sarabun.ROOT) / "files"
STATICFILES_DIRS = [("fonts", str(SARABUN_DIR))]
