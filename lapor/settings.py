"""LAPOR Daerah settings.

Every knob comes from the environment (see README, "Environment variables"). With no environment
at all the portal runs on the embedded default: a SQLite file and a filesystem Celery broker
under ``DATA_DIR``, mail and SMS to the console.
"""

import importlib.util
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name, default=False):
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = env(name)
    return default if value is None else int(value)


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key():
    """SECRET_KEY from the environment; otherwise one random key kept in the data folder, so the
    embedded default needs no configuration and no key is ever written in code."""
    key = env("SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A form sent without a valid token: a page that says what to do (lapor.views.csrf_failure).
CSRF_FAILURE_VIEW = "lapor.views.csrf_failure"
# Unset, the address `make demo` and `make run` serve on (their PORT), so links in mail open.
SITE_URL = env("SITE_URL", f"http://127.0.0.1:{env('PORT', '8000')}").rstrip("/")
# seed_demo writes the demo accounts here; `make demo` prints them last.
DEMO_ACCOUNTS_FILE = DATA_DIR / "demo-accounts.txt"
SITE_NAME = env("SITE_NAME", "LAPOR Daerah")
REGION_NAME = env("REGION_NAME", "Kabupaten Contoh")
# The license of the open data at /data/ (docs/product.md §8): its name and the URL of its text.
OPEN_DATA_LICENSE = env("OPEN_DATA_LICENSE", "CC BY 4.0")
OPEN_DATA_LICENSE_URL = env("OPEN_DATA_LICENSE_URL", "https://creativecommons.org/licenses/by/4.0/")

# HTTPS hardening is one switch so the same build also runs on plain HTTP on loopback.
SECURE_HTTPS = env_bool("SECURE_HTTPS", False)
SECURE_SSL_REDIRECT = SECURE_HTTPS
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
# The preload directive only asks browsers' preload lists to accept the domain if its owner submits
# it; it changes nothing until then. SECURE_HSTS_PRELOAD=false leaves it out (check --deploy warns).
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HTTPS)
if env_bool("SECURE_PROXY_SSL_HEADER", SECURE_HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Staff sessions end after this many seconds without a request (a working day); each request pushes
# the end forward (lapor.security). Citizens keep SESSION_COOKIE_AGE (two weeks).
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 8 * 60 * 60)

# The maps' base layer (docs/product.md §9: zero services by default): a tile URL template such as
# https://tile.example.go.id/{z}/{x}/{y}.png and its attribution. Unset, every map draws the area
# outlines alone (/peta/wilayah.geojson), which is enough to place a pin or read a report's place.
MAP_TILE_URL = env("MAP_TILE_URL", "").strip()
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", "").strip()


def _tile_origin(url):
    """The scheme and host the tiles come from (a `{s}` subdomain placeholder becomes a wildcard),
    for the policy's img-src; None without a tile URL."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


MAP_TILE_ORIGIN = _tile_origin(MAP_TILE_URL)

# Content-Security-Policy on every answer (django-csp): no inline script or style anywhere, so an
# injected tag cannot run. Attachments set their own, stricter sandbox policy, which is kept.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *([MAP_TILE_ORIGIN] if MAP_TILE_ORIGIN else [])],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

INSTALLED_APPS = [
    # The Django admin on its own site class: its login asks for the second factor (accounts.admin_site).
    "accounts.admin_apps.LaporAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "agencies",
    "complaints",
]

MIDDLEWARE = [
    # Outermost: a request the database cannot serve answers 503, not 500.
    "lapor.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "lapor.textgate.TextGateMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # After the view: they see the caller as the view authenticated them (API tokens too).
    "lapor.security.PrivateResponseMiddleware",
    "lapor.security.StaffSessionMiddleware",
    # Staff who must use a second factor and have not (yet) reach only enrolment (docs/product.md §9);
    # inside the two above, so its answers get their headers too.
    "accounts.second_factor.SecondFactorMiddleware",
    "complaints.audit.ClientMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "lapor.urls"

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
                "lapor.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "lapor.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'lapor.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # A kept connection is checked before a request uses it, so that after a database restart
        # each process reconnects on its own instead of failing one request first.
        conn_health_checks=True,
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"].endswith(("postgresql", "postgis")):
    # No JIT compilation: it added 60–120 ms to each of the few queries costly enough to trigger
    # it (a head's list totals, the dashboards' live counts) and saved nothing measurable on the
    # rollup rebuilds (docs/operations.md, "PostgreSQL"). `?options=...` in DATABASE_URL replaces it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default serves a web server and a worker at once: wait for the write lock
    # instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # The covering index's INCLUDE columns are a PostgreSQL feature; SQLite builds the index
    # without them, which is all the embedded default needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]


def _replicas(default, urls):
    """PostgreSQL streaming replicas as aliases replica_1, replica_2, … with the primary's connection
    options (docs/architecture.md, "Read replicas"). Only pages marked replica-safe read from them
    (complaints.common.replicas); in a test run each mirrors the test database."""
    postgres = ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis")
    if urls and default["ENGINE"] not in postgres:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS: read replicas need PostgreSQL, and DATABASE_URL is not; "
            "unset DATABASE_REPLICA_URLS or set DATABASE_URL to postgres://…"
        )
    replicas = {}
    for number, url in enumerate(urls, start=1):
        replica = dj_database_url.parse(
            url, conn_max_age=default["CONN_MAX_AGE"], conn_health_checks=default["CONN_HEALTH_CHECKS"]
        )
        if replica["ENGINE"] not in postgres:
            raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS: replica {number} is not a postgres:// URL.")
        # An unreachable replica costs a request at most this many seconds once per pause
        # (complaints.common.replicas); `?connect_timeout=` in the URL sets another.
        options = replica.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", 2)
        options.setdefault("options", default.get("OPTIONS", {}).get("options", "-c jit=off"))
        # A replica that stops answering without refusing (a frozen host, dropped packets) fails
        # its connection within seconds instead of holding the worker until TCP gives up: the
        # request is then answered again by the primary.
        options.setdefault("keepalives", 1)
        options.setdefault("keepalives_idle", 5)
        options.setdefault("keepalives_interval", 2)
        options.setdefault("keepalives_count", 3)
        options.setdefault("tcp_user_timeout", 5000)
        # Reads only: a transaction around each request would be two more round trips for nothing.
        replica["ATOMIC_REQUESTS"] = False
        replica["TEST"] = {"MIRROR": "default"}
        replicas[f"replica_{number}"] = replica
    return replicas


DATABASES.update(_replicas(DATABASES["default"], env_list("DATABASE_REPLICA_URLS")))
DATABASE_REPLICAS = [alias for alias in DATABASES if alias != "default"]
DATABASE_ROUTERS = ["complaints.common.replicas.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/akun/masuk/"
LOGIN_REDIRECT_URL = "/akun/"
LOGOUT_REDIRECT_URL = "/"
# Brute-force protection on every way in (web login, Django admin login, API token, password reset
# request; one shared count): after LOGIN_LOCKOUT_ATTEMPTS failures for one account from one client
# address, that pair is locked for LOGIN_LOCKOUT_SECONDS; one address failing on many accounts is
# locked after LOGIN_LOCKOUT_IP_ATTEMPTS failures. The address is the proxy-aware one (NUM_PROXIES).
LOGIN_LOCKOUT_ATTEMPTS = env_int("LOGIN_LOCKOUT_ATTEMPTS", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
LOGIN_LOCKOUT_IP_ATTEMPTS = env_int("LOGIN_LOCKOUT_IP_ATTEMPTS", 50)
# Each further lock of the same account+address (or address) within this many seconds lasts twice
# as long as the one before, up to this many seconds.
LOGIN_LOCKOUT_MAX_SECONDS = env_int("LOGIN_LOCKOUT_MAX_SECONDS", 24 * 60 * 60)
# Second factor (docs/product.md §9): TOTP (RFC 6238, SHA-1, 6 digits, 30 s) for operators, auditors
# and superadmins. The issuer is the name authenticator apps show next to the account.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", SITE_NAME)
# Seconds the web login keeps the password step while it waits for the code.
SECOND_FACTOR_PENDING_SECONDS = env_int("SECOND_FACTOR_PENDING_SECONDS", 5 * 60)

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: attachments go through a view that checks access
STORAGES = {
    "default": {"BACKEND": "complaints.evidence.storage.AtomicFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# Cache: Redis when configured, otherwise a file cache shared by the web server and the worker.
# Redis only accelerates: with it down or hung every cache call is a miss within
# REDIS_SOCKET_TIMEOUT seconds, and then at once for a few seconds (lapor.cache).
REDIS_URL = env("REDIS_URL")
REDIS_SOCKET_TIMEOUT = float(env("REDIS_SOCKET_TIMEOUT", "0.5"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                "CONNECTION_POOL_CLASS": "lapor.cache.ConnectionPool",
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False  # lapor.cache logs one line per outage instead
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# Celery: Redis in production, kombu's filesystem transport on the embedded default.
CELERY_BROKER_DIR = DATA_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # A hung Redis must not hold a request: a publish gives up after these seconds.
        "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
    }
else:
    # A host name, although the transport ignores it: without one kombu warns at every start.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 3)
# A web request hands a task over after its commit; with the broker down or hung it gives up after
# one quick retry (a pooled connection may be stale after a Redis restart) and the outbox rows,
# pending SMS replies and pending monthly reports wait for the beat's retry.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# The worker waits for the broker as long as it takes (default: gives up after 100 attempts).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TIMEZONE = TIME_ZONE
# What a task prints (the console mail backend of the demo) is information, not a warning.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Three queues by kind of work, so that a flood of one kind never holds up another (a day's
# notifications never delay the sweep); docs/operations.md says how to run a worker per queue.
# Every task of the project is routed here, by name, beat's entries included. A worker started
# without -Q consumes all three (`make demo`, scripts/runtime-check.sh); anything unrouted (Celery's
# own tasks) goes to the default queue, `reports`.
TASKS_BY_QUEUE = {
    # The clocks: the SLA sweep, the TPP sanctions, deadlines moved by a holiday change, the
    # holiday calendar itself.
    "deadlines": [
        "complaints.tasks.sla_sweep",
        "complaints.tasks.tpp_sanctions",
        "complaints.tasks.recompute_deadlines",
        "agencies.tasks.sync_holidays",
        # Beat sends the heartbeat to every queue by name (lapor.celery); a plain call goes here.
        "lapor.tasks.heartbeat",
    ],
    # Delivery: the outbox (mail, SMS, in-app), SMS replies, the daily digests.
    "notifications": [
        "complaints.tasks.deliver_notification",
        "complaints.tasks.deliver_notifications",
        "complaints.tasks.flush_outbox",
        "complaints.tasks.send_sms_reply",
        "complaints.tasks.flush_sms_replies",
        "complaints.tasks.send_area_digests",
        "complaints.tasks.flush_area_digests",
    ],
    # The reports' content: the monthly PDF reports, attachment files, filings' one-time keys.
    "reports": [
        "complaints.tasks.build_monthly_report",
        "complaints.tasks.refresh_figures",
        "complaints.tasks.rebuild_figures",
        "complaints.tasks.retry_monthly_reports",
        "complaints.tasks.clean_media",
        "complaints.tasks.purge_submission_keys",
    ],
}
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name) for name in TASKS_BY_QUEUE]
CELERY_TASK_DEFAULT_QUEUE = "reports"
CELERY_TASK_ROUTES = {task: {"queue": queue} for queue, tasks in TASKS_BY_QUEUE.items() for task in tasks}
SLA_SWEEP_INTERVAL = env_int("SLA_SWEEP_INTERVAL", 300)  # seconds between sweeps
OUTBOX_RETRY_INTERVAL = env_int("OUTBOX_RETRY_INTERVAL", 60)
# Seconds a list's total (pagination, the home page counters) is cached (complaints.common.pagination); 0: never.
LIST_COUNT_CACHE_SECONDS = env_int("LIST_COUNT_CACHE_SECONDS", 30)
# Seconds the dashboards' figures (/audit/, the head's panel, /statistik/) are kept once computed.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 300)
# Dashboard figures read from per-month rollups (complaints/dashboards/rollups.py), refreshed by beat
# every DASHBOARD_ROLLUP_INTERVAL seconds from the events since the last refresh and rebuilt nightly.
DASHBOARD_ROLLUPS = env_bool("DASHBOARD_ROLLUPS", True)
DASHBOARD_ROLLUP_INTERVAL = env_int("DASHBOARD_ROLLUP_INTERVAL", 300)
# Seconds an anonymous visitor's copy of a public page is kept (complaints.common.pagecache): a
# change the public can see ends it at once, so this bounds only what moves with the clock; 0: never.
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", 60)
# Whether a public page says `X-Page-Cache: hit|miss`: off, since a hit tells anyone that another
# visitor opened the page within the last minute; the tests and drills turn it on.
PAGE_CACHE_HEADER = env_bool("PAGE_CACHE_HEADER", False)
# Days a filing's one-time key is kept (complaints.common.idempotency): a retry within them finds the
# first report; beat deletes older keys daily.
SUBMISSION_KEY_DAYS = env_int("SUBMISSION_KEY_DAYS", 30)
# Local hour (CELERY_TIMEZONE) of the daily digest to those who follow an area or a category.
AREA_DIGEST_HOUR = env_int("AREA_DIGEST_HOUR", 7)


# Mail: EMAIL_URL (smtp://user:pass@host:587/?tls=1, console://) or the usual Django settings.
def _email_settings():
    url = env("EMAIL_URL")
    if not url:
        backend = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
        return {
            "EMAIL_BACKEND": backend,
            "EMAIL_HOST": env("EMAIL_HOST", "localhost"),
            "EMAIL_PORT": env_int("EMAIL_PORT", 25),
            "EMAIL_HOST_USER": env("EMAIL_HOST_USER", ""),
            "EMAIL_HOST_PASSWORD": env("EMAIL_HOST_PASSWORD", ""),
            "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS", False),
            "EMAIL_USE_SSL": env_bool("EMAIL_USE_SSL", False),
        }
    parsed = urlparse(url)
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parsed.scheme not in backends:
        # Falling back to SMTP on localhost would lose every mail without a word: refuse to start.
        raise ImproperlyConfigured(
            f"EMAIL_URL: unknown scheme {parsed.scheme + '://' if parsed.scheme else '(none)'}; "
            f"use one of {', '.join(f'{name}://' for name in backends)}."
        )
    return {
        "EMAIL_BACKEND": backends[parsed.scheme],
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": query.get("tls", "0") in {"1", "true"},
        "EMAIL_USE_SSL": parsed.scheme == "smtps" or query.get("ssl", "0") in {"1", "true"},
    }


globals().update(_email_settings())
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "LAPOR Daerah <noreply@lapor.example.go.id>")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))  # for EMAIL_BACKEND=...filebased.EmailBackend

# SMS: console (log), file (one line per message under DATA_DIR/sms), or http (a gateway).
SMS_BACKEND = env("SMS_BACKEND", "console")
SMS_WEBHOOK_SECRET = env("SMS_WEBHOOK_SECRET", "")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", "")


def _check_sms_backend(name, gateway_url):
    """Refuse to start with an SMS backend that would fail at the first message."""
    if name in ("console", "file"):
        return
    if name == "http":
        if not gateway_url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_GATEWAY_URL (https://…).")
        return
    module, _dot, cls = name.rpartition(".")
    if not (module and cls.isidentifier() and all(part.isidentifier() for part in module.split("."))):
        raise ImproperlyConfigured(
            f"SMS_BACKEND: unknown backend {name!r}; use console, file, http or a dotted path to a class."
        )
    try:
        found = importlib.util.find_spec(module)
    except ImportError:
        found = None
    if found is None:
        raise ImproperlyConfigured(f"SMS_BACKEND: no module {module!r} for {name!r}.")


_check_sms_backend(SMS_BACKEND, SMS_GATEWAY_URL)
SMS_FILE_PATH = env("SMS_FILE_PATH", str(DATA_DIR / "sms" / "outbox.log"))
SMS_RATE_LIMIT_PER_HOUR = env_int("SMS_RATE_LIMIT_PER_HOUR", 10)  # inbound messages per number and hour

# Uploads, set for slow links.
UPLOAD_MAX_FILE_BYTES = env_int("UPLOAD_MAX_FILE_BYTES", 5 * 1024 * 1024)
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 5)
UPLOAD_MAX_REPORT_BYTES = env_int("UPLOAD_MAX_REPORT_BYTES", 15 * 1024 * 1024)
# Images are decoded within these bounds (complaints/evidence/uploads.py) and stored at most this long side.
UPLOAD_IMAGE_MAX_SIDE = env_int("UPLOAD_IMAGE_MAX_SIDE", 2048)
UPLOAD_MAX_IMAGE_PIXELS = env_int("UPLOAD_MAX_IMAGE_PIXELS", 16_000_000)  # PNG/WebP, and a JPEG once drafted
UPLOAD_MAX_JPEG_PIXELS = env_int("UPLOAD_MAX_JPEG_PIXELS", 64_000_000)  # a JPEG's declared size (48 MP phones)
UPLOAD_MAX_COMPRESSION_RATIO = env_int("UPLOAD_MAX_COMPRESSION_RATIO", 200)  # decoded bytes per file byte
UPLOAD_RATE_PER_HOUR = env_int("UPLOAD_RATE_PER_HOUR", 60)  # files per account and hour
# PDFs are rebuilt as page pictures in a child process with these bounds (complaints/evidence/pdfraster.py).
PDF_MAX_PAGES = env_int("PDF_MAX_PAGES", 10)
PDF_RENDER_DPI = env_int("PDF_RENDER_DPI", 150)
PDF_MAX_PAGE_PIXELS = env_int("PDF_MAX_PAGE_PIXELS", 4_500_000)  # A3 at 150 dpi; larger pages are drawn smaller
PDF_JPEG_QUALITY = env_int("PDF_JPEG_QUALITY", 75)
PDF_MAX_CPU_SECONDS = env_int("PDF_MAX_CPU_SECONDS", 3)
PDF_MAX_MEMORY_MB = env_int("PDF_MAX_MEMORY_MB", 512)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)

API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 24 * 30)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # JSON only: errors are JSON whatever the client accepts (docs/product.md §8).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "lapor.api.parsers.JSONParser",
        "lapor.api.parsers.FormParser",
        "lapor.api.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "lapor.api.exceptions.exception_handler",
    # Anonymous callers per address, signed-in callers per account, and stricter scopes on the
    # token and registration endpoints. NUM_PROXIES: trusted proxies in front (0: REMOTE_ADDR).
    "DEFAULT_THROTTLE_CLASSES": ["lapor.api.throttles.AnonThrottle", "lapor.api.throttles.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", "120/min"),
        "user": env("API_THROTTLE_USER", "600/min"),
        "auth_token": env("API_THROTTLE_TOKEN", "10/min"),
        "auth_register": env("API_THROTTLE_REGISTER", "20/hour"),
    },
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LAPOR Daerah API",
    "DESCRIPTION": (
        "REST API LAPOR Daerah untuk aplikasi seluler dan klien lain. Masuk dengan `POST /api/v1/auth/token/` "
        'lalu kirim `Authorization: Token <token>` pada setiap panggilan. Kesalahan selalu JSON: `{"detail": …}` '
        "atau kesalahan per isian (400). Laporan yang tidak ada dan yang tidak boleh Anda lihat sama-sama 404."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ComplaintKindEnum": "complaints.models.Kind",
        "AgencyKindEnum": "agencies.models.AgencyKind",
        "IdentityAccessKindEnum": "complaints.models.IdentityAccess.Kind",
        "ComplaintStatusEnum": "complaints.models.Status",
        "DispositionStatusEnum": "complaints.models.DispositionStatus",
        "SanctionStatusEnum": "complaints.models.Sanction.Status",
        "ChannelEnum": "complaints.models.Channel",
        "FilingChannelEnum": "complaints.channels.api.serializers.FILING_CHANNELS",
        "InstitutionEnum": "complaints.models.Institution",
        "RoleEnum": "accounts.models.Role",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lapor.api.schema.declare_unauthorized",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
