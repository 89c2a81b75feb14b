"""Vigie settings: read from the environment only (see README, « Configuration »)."""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lib.env import envbool, envint, envints, envlist, envsecret, envstr
from lib.identity_providers import read_clock_skew, read_oidc_providers, read_saml_providers

BASE_DIR = Path(__file__).resolve().parent.parent

DEFAULT_SECRET_KEY = "insecure-dev-key-change-me"  # noqa: S105 - refused when DEBUG is off
DEBUG = envbool("DEBUG", True)
SECRET_KEY = envsecret("SECRET_KEY", DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
FIELD_ENCRYPTION_KEYS = envlist("FIELD_ENCRYPTION_KEYS", [])

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Named in the consent text candidates accept before their test (seed 001, seed 003: « en
# envoyant un mail à dpd@… »): the deployment's data protection officer (an e-mail address
# or a postal address). Empty: the text points to the centre's officer.
DATA_PROTECTION_CONTACT = envstr("DATA_PROTECTION_CONTACT", "").strip()
# Where candidates install the Vigie Companion extension (the store pages of the package
# built for this deployment's origin, extension/package.py); shown with « Extension
# obligatoire » when a session requires it.
COMPANION_CHROME_URL = envstr("COMPANION_CHROME_URL", "").strip()
COMPANION_FIREFOX_URL = envstr("COMPANION_FIREFOX_URL", "").strip()

# Vigie's apps, from the bottom layer up (each imports only from those above it here; `lib`
# is plain modules): see the layers contract in pyproject.toml.
VIGIE_APPS = [
    "live",
    "audit",
    "accounts",
    "exams",
    "certification",
    "invigilation",
    "finalization",
    "results",
    "jury",
]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    *VIGIE_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the workers: from the source folders in DEBUG,
    # compressed and cache-busted from STATIC_ROOT (collectstatic) otherwise.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A multipart body Django cannot parse: 400 before the CSRF check reads it (vigie/body.py).
    "vigie.body.UnreadableBodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vigie.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "vigie.urls"
ASGI_APPLICATION = "vigie.asgi.application"

TEMPLATES = [
    {
        # Django's, without the reference cycles a render leaves behind (lib/templates.py).
        "BACKEND": "lib.templates.Templates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
            # `{% icon %}` everywhere without a `{% load %}` (lib/icons.py).
            "builtins": ["lib.icons"],
        },
    },
]

# SQLite file by default (one process, nothing to install); PostgreSQL when DATABASE_URL is set.
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'vigie.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
if _db["ENGINE"] == "django.db.backends.postgresql":
    _prepared = envbool("DB_PREPARED", True)
    # Under ASGI each request may run on a new thread: a pool bounds the connections where
    # persistent per-thread connections would exhaust PostgreSQL ("too many clients").
    _db["OPTIONS"] = {
        "pool": {
            "min_size": envint("DB_POOL_MIN", 1, minimum=0),
            "max_size": envint("DB_POOL_MAX", 10, minimum=1),
            "timeout": envint("DB_POOL_TIMEOUT", 10, minimum=1),
        },
        # Parameters bound by the server, and statements run five times prepared on their
        # connection: PostgreSQL's CPU per answer went from 1.9 to 1.2 ms
        # (bench/cpu_per_answer.py). Off behind a transaction-mode pgbouncer, which does
        # not keep a connection's prepared statements: DB_PREPARED=false.
        "server_side_binding": _prepared,
        "prepare_threshold": 5 if _prepared else None,
    }
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing with "database is locked"; WAL lets
    # readers (the live pages) go on while a candidate's answer is written.
    _db["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not the shared in-memory database: the browser tests' server thread writes
    # concurrently, and shared-cache memory databases lock whole tables.
    # One file per test process, so two test runs on one machine do not share it.
    _db["TEST"] = {"NAME": str(BASE_DIR / f".test-vigie-{os.getpid()}.sqlite3")}
else:
    raise ImproperlyConfigured(f"DATABASE_URL: unsupported engine {_db['ENGINE']}")
DATABASES = {"default": _db}
# Threads per worker serving HTTP requests (vigie/handler.py). On PostgreSQL one per pooled
# connection: a request never holds a thread while it waits for a connection.
HTTP_THREADS = envint("HTTP_THREADS", _db["OPTIONS"].get("pool", {}).get("max_size", 8), minimum=1)
# Admission under overload (vigie/admission.py, issue 17): at most ADMISSION_STARTS_AT_ONCE
# starts of tests hold one of a worker's threads at a time (0 turns admission off), in order
# of arrival; a start waits in that lane up to ADMISSION_START_WAIT seconds, and is answered
# at once with 503 and Retry-After (ADMISSION_RETRY_AFTER seconds) when ADMISSION_START_QUEUE
# starts are already waiting or its wait is over; the candidate's page says « patientez »
# and tries again by itself. Answers and everything else never wait behind more than
# ADMISSION_STARTS_AT_ONCE starts. A start the page has been trying for ADMISSION_MAX_WAIT
# seconds is served as any other request. The lane holds 40 % of the threads (4 of 10;
# vigie/admission.py says why).
ADMISSION_STARTS_AT_ONCE = envint(
    "ADMISSION_STARTS_AT_ONCE", max(1, 2 * HTTP_THREADS // 5), minimum=0
)
ADMISSION_START_QUEUE = envint("ADMISSION_START_QUEUE", 4 * HTTP_THREADS, minimum=0)
ADMISSION_START_WAIT = envint("ADMISSION_START_WAIT", 5, minimum=0)
ADMISSION_RETRY_AFTER = envint("ADMISSION_RETRY_AFTER", 2, minimum=1)
ADMISSION_MAX_WAIT = envint("ADMISSION_MAX_WAIT", 15, minimum=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The garbage collector of each serving process, set once the application is loaded:
# GC_FREEZE freezes everything loaded out of the collections, GC_THRESHOLDS is
# gc.set_threshold(). vigie/collector.py says why these defaults (not Python's 700,10,10).
GC_FREEZE = envbool("GC_FREEZE", True)
GC_THRESHOLDS = envints("GC_THRESHOLDS", (10_000, 10, 10), minimum=1)

# Live updates: in-memory for one process, Redis so several workers share events.
REDIS_URL = envstr("REDIS_URL", "")
# Which of channels-redis's two layers carries them (issue 17):
# - "pubsub" (RedisPubSubChannelLayer): a group is a Redis pub/sub channel each worker
#   subscribes to once; an event is one PUBLISH, and a worker reads every event of its
#   groups from one connection as Redis pushes them.
# - "core" (RedisChannelLayer): each worker pops its messages one at a time, four Redis
#   round trips each (a clean-up script, BZPOPMIN, and two for its backup queue), every one
#   waiting for a turn of the worker's event loop: under the 9:00 burst the invigilators'
#   events queued there for seconds (docs/scaling.md, « The push path »).
# Neither keeps an event for a page that is not connected: pages resynchronize when their
# link comes back.
CHANNEL_LAYER = envstr("CHANNEL_LAYER", "pubsub")
if CHANNEL_LAYER not in ("pubsub", "core"):
    raise ImproperlyConfigured(f"CHANNEL_LAYER must be pubsub or core, got {CHANNEL_LAYER!r}")
if REDIS_URL:
    # redis-py 8 reads with a 5 s socket timeout by default, which aborts the core layer's
    # blocking BZPOPMIN and drops every idle WebSocket (channels_redis#422).
    # redis-py's pool refuses a 101st connection per worker ("Too many connections"):
    # 2,000 WebSockets closing at once (a network blip) need more, briefly.
    # After a Redis restart the pool's idle connections are dead: without a retry the
    # first command on each failed (a lost event, a push link closed with 4503).
    # Connecting is bounded, so an unreachable Redis fails fast (live/base.py).
    _REDIS_HOST = {
        "address": REDIS_URL,
        "socket_timeout": None,
        "socket_connect_timeout": 2,
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
        "retry": Retry(NoBackoff(), 1),
        "max_connections": envint("REDIS_MAX_CONNECTIONS", 1000, minimum=10),
    }
    if CHANNEL_LAYER == "pubsub":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [_REDIS_HOST]},
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [_REDIS_HOST],
                    # The core layer counts its capacity per worker process, not per
                    # socket: all of a worker's WebSockets share one Redis key, and beyond
                    # 100 waiting messages (the default) it silently drops events. A worker
                    # with a thousand invigilators' and candidates' pages needs far more in a
                    # burst.
                    "capacity": envint("CHANNEL_CAPACITY", 10000, minimum=100),
                },
            }
        }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Issue 17: the rows a live event changed are read and rendered once, after a window that
# coalesces a session's events, and pushed to the invigilators' pages (invigilation/push.py);
# pages in another language than these fetch them.
# Off by default until a quiet load run shows it pays: in the contended runs of 2026-12-05
# the push's runs were slower than the fetch's (docs/scaling.md, « Rows pushed »).
LIVE_ROWS_PUSH = envbool("LIVE_ROWS_PUSH", False)
LIVE_ROWS_WINDOW_MS = envint("LIVE_ROWS_WINDOW_MS", 200, minimum=0)
# Threads per worker reading and rendering them (each holds a pooled connection meanwhile).
LIVE_ROWS_READERS = envint("LIVE_ROWS_READERS", 1, minimum=1)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.EmailBackend",
    # Sessions opened through an identity provider (ENT, GAR): see below.
    "accounts.backends.IdentityProviderBackend",
]
SESSION_ENGINE = "accounts.sessions"  # the database's, read with a compiled query
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.validators.PixLikePasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Identity providers a school signs its people in with (README, « Configuration »):
# OpenID Connect (OIDC_PROVIDERS=ent,… and OIDC_<KEY>_…) and SAML 2.0 (SAML_PROVIDERS=gar,…
# and SAML_<KEY>_…), read by lib/identity_providers.py.
OIDC_PROVIDERS = read_oidc_providers()
SAML_PROVIDERS = read_saml_providers()
IDP_CLOCK_SKEW = read_clock_skew()
# Vigie's entityID as a SAML service provider (its metadata: /compte/saml/metadata/).
SAML_SP_ENTITY_ID = envstr("SAML_SP_ENTITY_ID", f"{SITE_URL}/compte/saml/metadata/")
# pysaml2 checks signatures with xmlsec1 (Debian package `xmlsec1`).
SAML_XMLSEC_BINARY = envstr("SAML_XMLSEC_BINARY", "/usr/bin/xmlsec1")
# A metadata URL is fetched again after this many seconds.
SAML_METADATA_TTL = envint("SAML_METADATA_TTL", 3600, minimum=60)

LANGUAGE_CODE = "fr"
LIVE_ROWS_LANGUAGES = [LANGUAGE_CODE]  # pushed rows' languages (invigilation/push.py)
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = None if DEBUG else BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Vigie <no-reply@vigie.localhost>")

# « Je m'en occupe » on a candidate's alert (issue 16): the claim lapses after this many
# seconds without a decision, and the alert escalates again for every invigilator.
ALERT_CLAIM_LAPSE = dt.timedelta(seconds=envint("ALERT_CLAIM_LAPSE_SECONDS", 180, minimum=30))

# The item bank (format: certification/bank/README.md); replaceable by a centre's own.
ITEM_BANK_DIR = envstr("ITEM_BANK_DIR", str(BASE_DIR / "certification" / "bank"))
# Where the jury's « Recalibration » page writes a new version of the bank (« v2 », …): the
# running bank is never changed; the operator points ITEM_BANK_DIR at the new folder.
BANK_VERSIONS_DIR = envstr("BANK_VERSIONS_DIR", str(BASE_DIR / "var" / "bank-versions"))

# Uploads (candidate lists, bulk sessions): refused above this size with a clear message.
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)
# Every request body is read on the event loop before the request takes a thread
# (vigie/handler.py, docs/security.md « Slow clients »): larger than REQUEST_MAX_BYTES,
# announced or received, it is refused (413) without reading further; not all there after
# REQUEST_BODY_TIMEOUT seconds, it is refused (408). The largest legitimate body is an
# import: the file and its multipart envelope. 30 s lets 2 MiB through a 600 kbit/s uplink.
# Scans of signed documents attached to a session's records (finalization/scans.py).
SCAN_MAX_BYTES = envint("SCAN_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)
REQUEST_MAX_BYTES = envint(
    "REQUEST_MAX_BYTES", max(IMPORT_MAX_BYTES, SCAN_MAX_BYTES) + 64 * 1024, minimum=1024
)
REQUEST_BODY_TIMEOUT = envint("REQUEST_BODY_TIMEOUT", 30, minimum=1)
# uvicorn waits for a request's headers for ever; the production command closes the
# connection after this many seconds (vigie/serving.py). Browsers send them at once.
REQUEST_HEADER_TIMEOUT = envint("REQUEST_HEADER_TIMEOUT", 10, minimum=1)
# Django's own limits, checked when a view parses the body: the same bound (the handler
# has already enforced it), and the body kept in memory (it is at most 2 MiB and change).
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A refused write (no token, or a foreign Origin) answers in French: JSON for the API.
CSRF_FAILURE_VIEW = "vigie.csrf.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# One JSON object per line in production (vigie/logs.py), readable text in development.
LOG_FORMAT = envstr("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "vigie.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {"quiet_pubsub_outage": {"()": "vigie.logs.QuietPubSubOutage"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "channels_redis.pubsub": {"filters": ["quiet_pubsub_outage"]},
        # fpdf2's font subsetting logs ~60 INFO lines per PDF (3 at every finalization).
        "fontTools": {"level": "WARNING"},
    },
}
