"""Settings, driven by environment variables with safe embedded defaults.

The embedded default is one county on one machine: an SQLite file under ``var/`` in WAL mode.
Deployments set ``DATABASE_URL`` (PostgreSQL) and ``XINBAO_PRODUCTION=1``.
"""

from __future__ import annotations

import datetime
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from xinbao.security.keys import local_secret

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("XINBAO_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def load_secret_key() -> str:
    """The key from the environment, else from ``var/secret_key``, generated there when absent."""
    return local_secret(
        "XINBAO_SECRET_KEY", VAR_DIR / "secret_key", lambda: secrets.token_urlsafe(64)
    )


SECRET_KEY = load_secret_key()
DEBUG = env_flag("XINBAO_DEBUG")
PRODUCTION = env_flag("XINBAO_PRODUCTION")
ALLOWED_HOSTS = env_list("XINBAO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("XINBAO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "xinbao.web",
    "xinbao.orgs",
    "xinbao.items",
    "xinbao.audit",
    "xinbao.notify",
    "xinbao.publishing",
    "xinbao.topics",
    "xinbao.search",
    "xinbao.scoring",
    "xinbao.transfer",
    "xinbao.dashboard",
    "ninja",  # serves the API documentation's scripts from our static files, not a CDN
    "xinbao.api",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "xinbao.security",
    "xinbao.ops",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "xinbao.audit.middleware.RequestIdMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "xinbao.security.middleware.SecondFactorMiddleware",
    "xinbao.web.middleware.UserLanguageMiddleware",
    "xinbao.security.middleware.SessionLimitsMiddleware",
    "xinbao.security.middleware.OTPRequiredMiddleware",
    "xinbao.web.middleware.PasswordChangeRequiredMiddleware",
    "xinbao.audit.middleware.AuditContextMiddleware",
    "xinbao.security.middleware.RoleMatrixMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the lockout mark that the sign-in left on the request.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xinbao.urls"
WSGI_APPLICATION = "xinbao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xinbao.web.context_processors.navigation",
                "xinbao.search.context_processors.search_box",
                "xinbao.notify.context_processors.unread_messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'xinbao.sqlite3'}"),
        conn_max_age=int(os.environ.get("XINBAO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept between requests (CONN_MAX_AGE, as on PostgreSQL): opening one costs
    # ≈ 2 ms of CPU (the PRAGMAs, then parsing the 300-odd tables, indexes and triggers of the
    # schema) and a cold page cache; and when the last connection to the file closes, SQLite
    # checkpoints the WAL into the database and deletes the -wal and -shm files: with a
    # connection per request, at the end of every request that found no other one open.
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run while one writer commits; IMMEDIATE makes a writer take the lock
        # when its transaction starts, so concurrent writers queue instead of failing mid-way.
        # synchronous=FULL syncs the WAL at every commit: an acknowledged write survives an OS
        # crash or power loss too (NORMAL may lose the last commits there; R31).
        # mmap_size: reads go through a memory map of the file (up to 1 GiB) instead of a copy
        # into each connection's small page cache: the search's per-match checks cost half
        # (bench/bench_search.py).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000; PRAGMA mmap_size=1073741824;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "orgs.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins for locked-out usernames before the password is checked (R04).
    "xinbao.security.backends.LockoutBackend",
    # ModelBackend whose get_user loads the user's unit with the user (one query per request).
    "xinbao.security.backends.UserBackend",
]

# PBKDF2-HMAC-SM3 first: new passwords use it and older hashes are rewritten at the next login.
PASSWORD_HASHERS = [
    "xinbao.security.hashers.PBKDF2SM3PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "xinbao.security.validators.ComplexityValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "xinbao.security.validators.PasswordHistoryValidator", "OPTIONS": {"keep": 5}},
]
# 等保 requires periodic change (ASVS 2.1.10 disagrees; see docs/security.md): after this many
# days the next page is the password page. 0 turns expiry off.
XINBAO_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("XINBAO_PASSWORD_MAX_AGE_DAYS", "90"))
# SM4 keys for personal data at rest (R27): "v2=<32 hex>,v1=<32 hex>", current first; unset:
# var/field_keys, generated once. Never in the database or the repository.
XINBAO_FIELD_KEYS = os.environ.get("XINBAO_FIELD_KEYS", "")
# SM4 key (32 hex) of sealed backups for off-site copies (R32); unset: var/backup_key, generated
# once. Never inside a backup.
XINBAO_BACKUP_KEY = os.environ.get("XINBAO_BACKUP_KEY", "")
# HMAC-SM3 key (at least 32 characters) signing department archives; the receiving installation
# needs the same one. Unset: var/transfer_key, generated once (copy it to the other side).
XINBAO_TRANSFER_KEY = os.environ.get("XINBAO_TRANSFER_KEY", "")
# Department archives (personal data) are deleted this many days after their export finished or
# failed, by the periodic jobs (`xinbao schedule`); 0 keeps them until the editor deletes them.
XINBAO_EXPORT_RETENTION_DAYS = int(os.environ.get("XINBAO_EXPORT_RETENTION_DAYS", "7"))
# Accounts with no sign-in for this many days are disabled by `xinbao schedule` (R14); 0: never.
XINBAO_INACTIVE_DAYS = int(os.environ.get("XINBAO_INACTIVE_DAYS", "90"))

# Lockout (django-axes): 5 failures for one username within 15 minutes lock that username for
# 15 minutes, whatever address they come from; a locked sign-in looks like a wrong password.
AXES_ENABLED = env_flag("XINBAO_AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = int(os.environ.get("XINBAO_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("XINBAO_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for the address as a lockout parameter too, at the same 5 failures. Offices sit
# behind one NAT address, so five typos anywhere in the building would lock everyone out. The
# address gets its own, higher cap instead (AddressCapHandler): this many failures from one
# address within the cool-off, across any usernames, lock the address for the cool-off (0: off).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_HANDLER = "xinbao.security.lockout.AddressCapHandler"
XINBAO_LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("XINBAO_LOCKOUT_ADDRESS_FAILURES", "30"))
AXES_LOCKOUT_CALLABLE = "xinbao.security.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "xinbao.audit.middleware.request_ip"
AXES_VERBOSE = False

# Second factor (TOTP): required for editors, department leaders and the three administrators
# when on; on by default only in production, so that the demo accounts sign in with a password.
XINBAO_OTP_REQUIRED = env_flag("XINBAO_OTP_REQUIRED", default=env_flag("XINBAO_PRODUCTION"))
OTP_TOTP_ISSUER = "信报"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("zh-hant", _("繁體中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Outside production WhiteNoise serves straight from the apps' static folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(os.environ.get("XINBAO_MEDIA_ROOT", VAR_DIR / "media"))


def default_storage() -> dict[str, object]:
    """Attachments on the local file system, or on an S3-compatible store (MinIO, a cloud's OSS)
    when ``XINBAO_S3_BUCKET`` is set; install the ``s3`` extra (django-storages, boto3) for that.
    Objects stay private: every download goes through the authorizing view."""
    bucket = os.environ.get("XINBAO_S3_BUCKET")
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": os.environ.get("XINBAO_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("XINBAO_S3_REGION") or None,
            "access_key": os.environ.get("XINBAO_S3_ACCESS_KEY"),
            "secret_key": os.environ.get("XINBAO_S3_SECRET_KEY"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


STORAGES = {
    "default": default_storage(),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads: attachments are checked by content, not by name (see items.attachments).
XINBAO_MAX_ATTACHMENT_BYTES = int(os.environ.get("XINBAO_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# R21–R24 (xinbao.uploads): files per item, the zip-bomb cap, stored file modes, virus scanner.
XINBAO_MAX_ATTACHMENTS_PER_ITEM = int(os.environ.get("XINBAO_MAX_ATTACHMENTS_PER_ITEM", "10"))
XINBAO_UPLOAD_QUOTA_BYTES = int(os.environ.get("XINBAO_UPLOAD_QUOTA_BYTES", 2 * 2**30))  # 0: none
XINBAO_ZIP_MAX_UNPACKED_BYTES = int(os.environ.get("XINBAO_ZIP_MAX_UNPACKED_BYTES", 100 * 2**20))
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
XINBAO_VIRUS_SCANNER = os.environ.get("XINBAO_VIRUS_SCANNER", "xinbao.uploads.NoScanner")
XINBAO_CLAMD_SOCKET = os.environ.get("XINBAO_CLAMD_SOCKET", "/run/clamav/clamd.ctl")

# Protected downloads through the reverse proxy: when set (nginx: an ``internal`` location that
# aliases MEDIA_ROOT, e.g. ``/protected/``), an authorized download answers with X-Accel-Redirect
# and nginx sends the file; the app still decides who may have it.
XINBAO_ACCEL_REDIRECT_PREFIX = os.environ.get("XINBAO_ACCEL_REDIRECT_PREFIX", "")


def cache_settings() -> dict[str, dict[str, object]]:
    """Redis when ``XINBAO_REDIS_URL`` is set (shared by every app server: API rate limits,
    dashboard aggregates, search planning answers); otherwise a per-process memory cache, enough
    for one machine. An unreachable Redis answers as an empty cache (``xinbao.ops.cache``), and
    gives up within the socket timeouts rather than holding the request."""
    if url := os.environ.get("XINBAO_REDIS_URL"):
        return {
            "default": {
                "BACKEND": "xinbao.ops.cache.TolerantRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": os.environ.get("XINBAO_CACHE_PREFIX", "xinbao"),
                "TIMEOUT": 300,
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            }
        }
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


CACHES = cache_settings()

# REST API: token lifetime, requests per token per minute, sign-in attempts per address and
# username per minute.
XINBAO_API_TOKEN_DAYS = int(os.environ.get("XINBAO_API_TOKEN_DAYS", "30"))
XINBAO_API_RATE_PER_MINUTE = int(os.environ.get("XINBAO_API_RATE_PER_MINUTE", "600"))
XINBAO_API_LOGIN_RATE_PER_MINUTE = int(os.environ.get("XINBAO_API_LOGIN_RATE_PER_MINUTE", "10"))


def env_minutes(name: str, default: str) -> tuple[datetime.timedelta, datetime.timedelta]:
    """Two minute counts, ``"120,120"``: the time to reach the editor, then to be acted on."""
    submit, act = (int(part) for part in os.environ.get(name, default).split(",", 1))
    return datetime.timedelta(minutes=submit), datetime.timedelta(minutes=act)


# Urgency clocks, by Item.urgency (1 紧急, 2 特急): (event → reaching the editor, reaching the
# editor → the editor's first action). Items reported more than XINBAO_LATE_REPORT_DAYS days after
# the event are 迟报. Key-work areas with no item in the last XINBAO_BLIND_SPOT_MONTHS months
# (the current one included) are shown as 盲区.
XINBAO_URGENCY_LIMITS = {
    1: env_minutes("XINBAO_URGENT_LIMIT_MINUTES", "120,120"),
    2: env_minutes("XINBAO_VERY_URGENT_LIMIT_MINUTES", "30,30"),
}
XINBAO_LATE_REPORT_DAYS = int(os.environ.get("XINBAO_LATE_REPORT_DAYS", "7"))
XINBAO_BLIND_SPOT_MONTHS = int(os.environ.get("XINBAO_BLIND_SPOT_MONTHS", "2"))

# Audit records are kept online at least this many days (网络安全法 21(三): never below 180; a
# system check refuses less, and `xinbao audit purge` refuses younger records).
XINBAO_AUDIT_RETENTION_DAYS = int(os.environ.get("XINBAO_AUDIT_RETENTION_DAYS", "180"))

# Absolute session lifetime 12 hours (also enforced from the login time, see
# xinbao.security.sessions); idle sessions end after XINBAO_IDLE_TIMEOUT_MINUTES.
SESSION_COOKIE_AGE = 12 * 60 * 60
XINBAO_IDLE_TIMEOUT_MINUTES = int(os.environ.get("XINBAO_IDLE_TIMEOUT_MINUTES", "15"))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "xinbao.web.errors.csrf_failure"
# Content-Security-Policy (django-csp 4, R25): only this site's own files; no inline script or
# style, no eval, no framing. Templates keep JS in static files and CSS in classes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

if PRODUCTION:
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_flag("XINBAO_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Background work (Django Tasks API, django-tasks): the database backend by default, whose worker
# is `xinbao worker`; deployments with Redis set XINBAO_TASKS_BACKEND to
# "django_tasks_rq.RQBackend" (docs/deploy.md, 后台任务). Tests use the immediate backend.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("XINBAO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# The department's ledger and dashboard refresh (scoring.pending) runs this many seconds after
# the write that queued it, so the writes of the next moments (an item created, then submitted)
# join the same run instead of each making one, and the run keeps off the path of the writer's
# next request. 0: at once. Backends that cannot defer (the immediate one) always run at once.
XINBAO_REFRESH_DELAY_SECONDS = float(os.environ.get("XINBAO_REFRESH_DELAY_SECONDS", "3"))
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":  # `xinbao worker` runs RQ's worker
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("XINBAO_REDIS_URL", "redis://127.0.0.1:6379/0")}}

# Mail: Django's mail settings. Without XINBAO_EMAIL_HOST mail goes to the console (the demo).
EMAIL_HOST = os.environ.get("XINBAO_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("XINBAO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("XINBAO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("XINBAO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_flag("XINBAO_EMAIL_TLS")
EMAIL_USE_SSL = env_flag("XINBAO_EMAIL_SSL")
EMAIL_TIMEOUT = int(os.environ.get("XINBAO_EMAIL_TIMEOUT", "10"))
EMAIL_BACKEND = os.environ.get(
    "XINBAO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("XINBAO_EMAIL_FROM", "信报 <xinbao@localhost>")
# The address links in mail and group-chat messages start with.
XINBAO_SITE_URL = os.environ.get("XINBAO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Failed mail and webhook deliveries: retried after 1, 2, 4, … minutes (at most 6 hours apart),
# given up after this many attempts.
XINBAO_DELIVERY_MAX_ATTEMPTS = int(os.environ.get("XINBAO_DELIVERY_MAX_ATTEMPTS", "8"))
XINBAO_DELIVERY_BACKOFF_SECONDS = int(os.environ.get("XINBAO_DELIVERY_BACKOFF_SECONDS", "60"))
XINBAO_WEBHOOK_TIMEOUT = float(os.environ.get("XINBAO_WEBHOOK_TIMEOUT", "5"))
# Instructions (领导批示) whose feedback is due: reminded this many days before the due date.
XINBAO_FEEDBACK_REMINDER_DAYS = int(os.environ.get("XINBAO_FEEDBACK_REMINDER_DAYS", "3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "filters": {"request_id": {"()": "xinbao.audit.middleware.RequestIdLogFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("XINBAO_LOG_LEVEL", "INFO")},
    # axes logs every successful sign-in at INFO; failures and lockouts stay (WARNING).
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # Every task's start and end at INFO; `xinbao worker` turns them back on for its output.
        "django_tasks": {"level": "WARNING"},
    },
}

# Dashboards (xinbao.dashboard): cached aggregates in CACHES (Redis with XINBAO_REDIS_URL).
# Monthly report: first working day, skipping weekends and the dates in XINBAO_HOLIDAYS
# (comma-separated ISO dates).
XINBAO_DASHBOARD_CACHE_SECONDS = int(os.environ.get("XINBAO_DASHBOARD_CACHE_SECONDS", "86400"))
XINBAO_HOLIDAYS = tuple(
    d.strip() for d in os.environ.get("XINBAO_HOLIDAYS", "").split(",") if d.strip()
)
