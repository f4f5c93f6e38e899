"""Settings of the Kestra Apps portal.

Every value comes from an environment variable with a default that runs locally with no
configuration: SQLite in var/, a file-system Celery broker, a Kestra (or the emulator) on
127.0.0.1:8080. See README.md for the list.
"""

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF

from kestra_apps.env import (
    envbool,
    envcolor,
    envfloat,
    envint,
    envlinks,
    envlist,
    envsecret,
    envstr,
    envtext,
    envurl,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("PORTAL_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    """A random key kept in the data folder: a local set-up needs none, the code holds none."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = envsecret("SECRET_KEY") or _local_secret_key()
# Earlier keys, while rotating: sessions, signed links and sealed values stay readable.
SECRET_KEY_FALLBACKS = envsecret("SECRET_KEY_FALLBACKS").split()
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "kestra_apps",
    "accounts",
    "apps_catalog",
    "executions",
    "notifications",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kestra_apps.middleware.RefuseOversizedBodyMiddleware",
    "kestra_apps.middleware.RejectNullCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the cookie the switcher sets, then Accept-Language, then LANGUAGE_CODE
    # (after sessions, before CommonMiddleware); a signed-in person's saved choice comes first.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kestra_apps.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "kestra_apps.urls"
WSGI_APPLICATION = "kestra_apps.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        # Seconds a process keeps its connection between requests and tasks; 0 under ASGI
        # (kestra_apps/asgi.py), where every request has a connection of its own.
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker share the file: wait for locks instead of failing,
    # and take the write lock when a transaction starts so two writers never deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that a Celery worker started by the tests sees the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_db.sqlite3")}

# Shared by the web processes (rate limits): set CACHE_URL=redis://… when running several.
_cache_url = envstr("CACHE_URL")
CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url.startswith(("redis://", "rediss://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# App thumbnails kept as namespace files (apps_catalog.thumbnails): read from Kestra at most
# THUMBNAIL_MAX_BYTES each, within THUMBNAIL_TIMEOUT seconds, kept THUMBNAIL_CACHE_SECONDS
# (a missing one: THUMBNAIL_RETRY_SECONDS) in a cache of their own, so pictures never push
# the rate limits' counters out; at most THUMBNAIL_CACHE_ENTRIES of them per web process
# without CACHE_URL.
THUMBNAIL_MAX_BYTES = envint("THUMBNAIL_MAX_BYTES", 256 * 1024)
THUMBNAIL_TIMEOUT = envfloat("THUMBNAIL_TIMEOUT", 3.0)
THUMBNAIL_CACHE_SECONDS = envfloat("THUMBNAIL_CACHE_SECONDS", 600.0)
THUMBNAIL_RETRY_SECONDS = envfloat("THUMBNAIL_RETRY_SECONDS", 60.0)
CACHES["thumbnails"] = (
    {**CACHES["default"], "KEY_PREFIX": "thumbnails"}
    if _cache_url.startswith(("redis://", "rediss://"))
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "thumbnails",
        "OPTIONS": {"MAX_ENTRIES": envint("THUMBNAIL_CACHE_ENTRIES", 200)},
    }
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "accounts.backends.LocalPasswordBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "apps_catalog:catalog"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = True
# The portal's languages (docs/i18n.md); their catalogs are in locale/, compiled by
# `manage.py compile_catalogs` (make run and make test do it).
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("pt-br", "Português (Brasil)"),
    ("ja", "日本語"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files from the app folders directly, so no collectstatic step is needed locally.
WHITENOISE_USE_FINDERS = True

# Security. Cookies are secure unless in debug; `make run` serves plain HTTP on loopback
# and says SECURE_COOKIES=false. Behind a TLS proxy, set the SECURE_* variables.
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read by a query written once (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
if envbool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sites allowed to embed the app pages in a frame (e.g. https://intranet.example.org).
EMBED_ALLOWED_ORIGINS = envlist("EMBED_ALLOWED_ORIGINS", [])
# Sites the apps' pictures come from (e.g. https://cdn.example.org); no other picture is
# loaded, so an image a visitor slips into a page tracks nobody (issue 18).
IMAGE_ALLOWED_ORIGINS = envlist("IMAGE_ALLOWED_ORIGINS", [])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *IMAGE_ALLOWED_ORIGINS],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}

# Branding (docs/deployment.md): the portal's name in every page and its <title>, the
# colours of links and buttons (primary) and of the top bar (accent), a logo before the
# name, a line of news under the bar, and links at the foot of every page. Each is checked
# here: a value that is not a colour, a URL or short text stops the start with its name.
PORTAL_TITLE = envtext("PORTAL_TITLE", "Kestra Apps", max_length=80) or "Kestra Apps"
PORTAL_PRIMARY_COLOR = envcolor("PORTAL_PRIMARY_COLOR")
PORTAL_ACCENT_COLOR = envcolor("PORTAL_ACCENT_COLOR")
PORTAL_LOGO_URL = envurl("PORTAL_LOGO_URL")
PORTAL_BANNER = envtext("PORTAL_BANNER", max_length=300)
PORTAL_FOOTER_LINKS = envlinks("PORTAL_FOOTER_LINKS")
if urlsplit(PORTAL_LOGO_URL).netloc:  # a logo from elsewhere: the pages may load it
    _logo = urlsplit(PORTAL_LOGO_URL)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_logo.scheme}://{_logo.netloc}")
TEMPLATES[0]["OPTIONS"]["context_processors"].append("kestra_apps.branding.branding")

# Kestra
KESTRA_URL = envstr("KESTRA_URL", "http://127.0.0.1:8080").rstrip("/")
KESTRA_TENANT = envstr("KESTRA_TENANT", "main")
KESTRA_USERNAME = envstr("KESTRA_USERNAME")
KESTRA_PASSWORD = envsecret("KESTRA_PASSWORD")
KESTRA_API_TOKEN = envsecret("KESTRA_API_TOKEN")
KESTRA_TIMEOUT = envfloat("KESTRA_TIMEOUT", 10.0)
PORTAL_BASE_URL = envstr("PORTAL_BASE_URL").rstrip("/")

# Notifications (docs/notifications.md). Email goes through SMTP when EMAIL_HOST is set;
# otherwise each message is written to a file under var/mail (the admin lists them too).
EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_PORT = envint("EMAIL_PORT", 587 if envbool("EMAIL_USE_TLS") else 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = envfloat("EMAIL_TIMEOUT", 10.0)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Kestra Apps <apps@localhost>")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
# Chat channels apps name (notifications: {chat: [name]}): name=apprise-url pairs, one per
# line or separated by spaces; secrets, so they may come from CHAT_CHANNELS_FILE.
CHAT_CHANNELS = dict(
    pair.split("=", 1) for pair in envsecret("CHAT_CHANNELS").split() if "=" in pair
)
NOTIFY_MAX_ATTEMPTS = envint("NOTIFY_MAX_ATTEMPTS", 12)
NOTIFY_BACKOFF_MAX_SECONDS = envfloat("NOTIFY_BACKOFF_MAX_SECONDS", 300.0)
NOTIFY_LEASE_SECONDS = envfloat("NOTIFY_LEASE_SECONDS", 60.0)
NOTIFY_SEND_SECONDS = envfloat("NOTIFY_SEND_SECONDS", 2.0)
NOTIFY_REMIND_SECONDS = envfloat("NOTIFY_REMIND_SECONDS", 60.0)
# Messages that ask someone to decide carry a signed link of their own, which acts once
# without a login within this many hours (notifications.links).
NOTIFY_DECISION_LINKS = envbool("NOTIFY_DECISION_LINKS", True)
NOTIFY_LINK_HOURS = envfloat("NOTIFY_LINK_HOURS", 72.0)

# Execution tracking (docs/tracking.md): watched executions are polled every
# EXECUTION_POLL_SECONDS, others back off up to EXECUTION_POLL_MAX_SECONDS; due work is
# handed out every EXECUTION_DISPATCH_SECONDS; a submission is retried with backoff
# (at most DELIVERY_BACKOFF_MAX_SECONDS apart) DELIVERY_MAX_ATTEMPTS times.
EXECUTION_POLL_SECONDS = envfloat("EXECUTION_POLL_SECONDS", 1.0)
EXECUTION_POLL_MAX_SECONDS = envfloat("EXECUTION_POLL_MAX_SECONDS", 30.0)
EXECUTION_DISPATCH_SECONDS = envfloat("EXECUTION_DISPATCH_SECONDS", 0.5)
EXECUTION_LEASE_SECONDS = envfloat("EXECUTION_LEASE_SECONDS", 30.0)
EXECUTION_WATCH_SECONDS = envfloat("EXECUTION_WATCH_SECONDS", 10.0)
EXECUTION_DISCOVERY_SECONDS = envfloat("EXECUTION_DISCOVERY_SECONDS", 30.0)
EXECUTION_LOST_AFTER_POLLS = envint("EXECUTION_LOST_AFTER_POLLS", 10)
# Following (`manage.py follow_executions`, docs/tracking.md): a watched execution is followed
# through Kestra's event streams instead of polled, FOLLOW_MAX_STREAMS at most (the others
# are polled); a stream quiet for FOLLOW_QUIET_SECONDS counts as dropped; after a stream
# dropped or was refused, polling carries on and the stream is tried again after
# FOLLOW_RETRY_SECONDS, doubling up to FOLLOW_RETRY_MAX_SECONDS.
FOLLOW_MAX_STREAMS = envint("FOLLOW_MAX_STREAMS", 500)
FOLLOW_SCAN_SECONDS = envfloat("FOLLOW_SCAN_SECONDS", 0.25)
FOLLOW_QUIET_SECONDS = envfloat("FOLLOW_QUIET_SECONDS", 60.0)
FOLLOW_RETRY_SECONDS = envfloat("FOLLOW_RETRY_SECONDS", 2.0)
FOLLOW_RETRY_MAX_SECONDS = envfloat("FOLLOW_RETRY_MAX_SECONDS", 60.0)
DELIVERY_MAX_ATTEMPTS = envint("DELIVERY_MAX_ATTEMPTS", 12)
DELIVERY_BACKOFF_MAX_SECONDS = envfloat("DELIVERY_BACKOFF_MAX_SECONDS", 60.0)
# How often an open execution page asks whether anything changed (an unchanged answer is a
# 204 costing no rendering). With watched executions polled every EXECUTION_POLL_SECONDS,
# a change reaches the browser within about the sum of the two.
LIVE_POLL_SECONDS = envfloat("LIVE_POLL_SECONDS", 0.5)
# How a saved change reaches the open execution pages and API streams (server-sent events,
# docs/architecture.md "Live pages"): "postgres" (LISTEN/NOTIFY on the portal's database), a
# redis:// URL (pub/sub), or "database" (a table the web processes read every
# LIVE_CHANNEL_POLL_SECONDS: works on SQLite, for `make run`). Default: postgres on
# PostgreSQL, else database.
LIVE_CHANNEL = envstr(
    "LIVE_CHANNEL",
    "postgres" if DATABASES["default"]["ENGINE"].endswith("postgresql") else "database",
)
LIVE_CHANNEL_POLL_SECONDS = envfloat("LIVE_CHANNEL_POLL_SECONDS", 0.05)
PORTAL_MAX_UPLOAD_MB = envint("PORTAL_MAX_UPLOAD_MB", 100)
# Submissions per client (IP address) to any form: "count/period" with s, m, h or d; 0 = off.
SUBMISSION_RATE_LIMIT = envstr("SUBMISSION_RATE_LIMIT", "20/m")
# Checks of a form's values as they are typed (each asks Kestra), per client; 0 = off.
VALIDATE_RATE_LIMIT = envstr("VALIDATE_RATE_LIMIT", "120/m")
# The reverse proxies (addresses or networks) whose X-Forwarded-For names the client, for
# the limits per client; empty: the peer's address is the client's.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", [])
MEDIA_ROOT = DATA_DIR / "media"
# Where FILE inputs wait until Kestra has them (docs/deployment.md): "database" (the default:
# every node reads them), "filesystem" (MEDIA_ROOT: one machine only) or "s3" (django-storages,
# installed with the `s3` extra; the bucket in UPLOAD_S3_BUCKET, credentials as boto3 reads them).
UPLOAD_STORAGE = envstr("UPLOAD_STORAGE", "database")
_UPLOAD_STORAGES: dict[str, dict[str, Any]] = {
    "database": {"BACKEND": "executions.file_storage.DatabaseStorage"},
    "filesystem": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "s3": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": envstr("UPLOAD_S3_BUCKET", ""),
            "endpoint_url": envstr("UPLOAD_S3_ENDPOINT_URL", "") or None,
            "location": "uploads",
            "default_acl": "private",
            "querystring_auth": True,
        },
    },
}
STORAGES["uploads"] = _UPLOAD_STORAGES.get(UPLOAD_STORAGE, _UPLOAD_STORAGES["database"])

# REST API (Kestra's Apps API shape, under /api/v1/<tenant>/apps/).
# Basic auth with a username and password is what kestrapy sends; admins may turn it off
# and leave API tokens (Authorization: Bearer) and the browser session.
API_BASIC_AUTH = envbool("API_BASIC_AUTH", True)
# How long one server-sent event stream stays open; clients reconnect for more.
API_STREAM_SECONDS = envfloat("API_STREAM_SECONDS", 300.0)
API_STREAM_POLL_SECONDS = envfloat("API_STREAM_POLL_SECONDS", 0.5)
# Open event streams per web process: per client address, and in all.
API_STREAMS_PER_CLIENT = envint("API_STREAMS_PER_CLIENT", 10)
API_STREAMS_MAX = envint("API_STREAMS_MAX", 500)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The first one names the challenge of a 401 (WWW-Authenticate: Bearer).
        "accounts.authentication.BearerTokenAuthentication",
        "accounts.authentication.SwitchableBasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        # A browser's empty POST is a form; the CSRF check reads it as one.
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.media.LenientNegotiation",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kestra Apps portal API",
    "DESCRIPTION": "Kestra Enterprise's Apps API, served by the portal.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the sidecar package: served here, nothing loaded from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Celery. The default broker keeps its queue in files under var/, so nothing needs a server.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = DATA_DIR / "broker"
    (_queue_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# The hand-out of due work is also the sweep: work a dead worker held is due again once its
# lease ends.
CELERY_BEAT_SCHEDULE = {
    "hand-out-due-work": {
        "task": "executions.tasks.hand_out_due_work",
        "schedule": EXECUTION_DISPATCH_SECONDS,
        "options": {"expires": max(EXECUTION_DISPATCH_SECONDS * 4, 2.0)},
    },
    "send-notifications": {
        "task": "notifications.tasks.send_due",
        "schedule": NOTIFY_SEND_SECONDS,
        "options": {"expires": NOTIFY_SEND_SECONDS * 4},
    },
    "remind-and-escalate": {
        "task": "notifications.tasks.remind",
        "schedule": NOTIFY_REMIND_SECONDS,
        "options": {"expires": NOTIFY_REMIND_SECONDS},
    },
    "discover-paused-executions": {
        "task": "executions.tasks.discover",
        "schedule": EXECUTION_DISCOVERY_SECONDS,
        "options": {"expires": EXECUTION_DISCOVERY_SECONDS},
    },
    # Uploads a submission left behind (executions.uploads.sweep).
    "sweep-uploads": {
        "task": "executions.tasks.sweep_uploads",
        "schedule": envfloat("UPLOAD_SWEEP_SECONDS", 3600.0),
        "options": {"expires": 600},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One line per event; LOG_FORMAT=json for a log collector. Lines about an execution name
    # it, its Kestra id and its app (kestra_apps.logs).
    "formatters": {
        "plain": {
            "()": "kestra_apps.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "kestra_apps.logs.JsonFormatter"},
    },
    "filters": {"context": {"()": "kestra_apps.logs.ContextFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if envstr("LOG_FORMAT", "plain") == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"urllib3": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# Metrics for Prometheus on /metrics (docs/deployment.md): callers from these networks only,
# with the bearer token when one is set. Each process writes its count of requests to
# Kestra to the database at most this often.
METRICS_ALLOWED_NETWORKS = envlist("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = envsecret("METRICS_TOKEN")
METRICS_FLUSH_SECONDS = envfloat("METRICS_FLUSH_SECONDS", 10.0)

# Sign-in through the company's identity provider with OpenID Connect (docs/sign-in.md):
# on when OIDC_ISSUER is set; the provider's endpoints come from its discovery document.
# LOCAL_LOGIN=false turns every password check off (the login form, the admin's, basic auth).
LOCAL_LOGIN = envbool("LOCAL_LOGIN", True)
OIDC_ISSUER = envstr("OIDC_ISSUER")
OIDC_RP_CLIENT_ID = envstr("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = envsecret("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = envstr("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = envstr("OIDC_SIGN_ALGO", "RS256")
OIDC_USERNAME_CLAIM = envstr("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = envstr("OIDC_GROUPS_CLAIM", "groups")
OIDC_GROUP_PREFIX = envstr("OIDC_GROUP_PREFIX")
OIDC_GROUPS_ALLOWED = envlist("OIDC_GROUPS_ALLOWED", [])
OIDC_KEEP_MANUAL_GROUPS = envbool("OIDC_KEEP_MANUAL_GROUPS", True)
OIDC_BUTTON_LABEL = envstr("OIDC_BUTTON_LABEL", "SSO")
# A session from the provider ends after this long, so a group revoked there is gone at
# the latest then (the next sign-in reads the groups again).
OIDC_SESSION_MAX_AGE = envint("OIDC_SESSION_MAX_AGE", 8 * 3600)
# The REST API takes the provider's access tokens (JWTs) issued for this audience.
OIDC_API_AUDIENCE = envstr("OIDC_API_AUDIENCE") or OIDC_RP_CLIENT_ID
OIDC_TIMEOUT = envfloat("OIDC_TIMEOUT", 10.0)
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the hint RP-initiated logout sends back to the provider
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
OIDC_OP_LOGOUT_URL_METHOD = "accounts.sign_in.provider_logout_url"
AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "accounts.backends.IdentityProviderBackend"]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("accounts.sign_in.sign_in_options")
if OIDC_ISSUER:
    # Logout is a form post that the portal redirects on to the provider's end-session
    # endpoint (on the issuer's host): form-action must allow that redirect.
    _issuer = urlsplit(OIDC_ISSUER)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        f"{_issuer.scheme}://{_issuer.netloc}"
    )

# Sign-in throttling (django-axes), on the login form and the API's Basic auth: after
# LOGIN_FAILURE_LIMIT failures from one client, or for one user name, sign-ins are refused
# (429, Retry-After) until LOGIN_LOCKOUT_SECONDS after the last counted failure. Failures
# during a lockout do not lengthen it, so nobody keeps a real user out for longer than that;
# a refused sign-in checks no password.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS.insert(0, "axes.backends.AxesStandaloneBackend")
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(seconds=envint("LOGIN_LOCKOUT_SECONDS", 300))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # failures are counted; successful sign-ins are not logged
AXES_VERBOSE = False  # no start-up banner: every process would log one
AXES_CLIENT_IP_CALLABLE = "executions.throttle.client_id"
AXES_LOCKOUT_CALLABLE = "accounts.views.signin_locked_out"
