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
    if key := os.environ.get("XINBAO_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


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
    "ninja",  # serves the API documentation's scripts from our static files, not a CDN
    "xinbao.api",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "xinbao.security",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "xinbao.web.middleware.UserLanguageMiddleware",
    "xinbao.security.middleware.SessionLimitsMiddleware",
    "xinbao.security.middleware.OTPRequiredMiddleware",
    "xinbao.web.middleware.PasswordChangeRequiredMiddleware",
    "xinbao.audit.middleware.AuditContextMiddleware",
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
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run while one writer commits; IMMEDIATE makes a writer take the lock
        # when its transaction starts, so concurrent writers queue instead of failing mid-way.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000;"
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
    "django.contrib.auth.backends.ModelBackend",
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

# Lockout (django-axes): 5 failures for one username within 15 minutes lock that username for
# 15 minutes, whatever address they come from; a locked sign-in looks like a wrong password.
AXES_ENABLED = env_flag("XINBAO_AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = int(os.environ.get("XINBAO_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("XINBAO_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for the address as a lockout parameter too. Offices sit behind one NAT address,
# so five typos anywhere in the building would lock everyone out; the username is the account.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
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
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
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

if PRODUCTION:
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_flag("XINBAO_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("XINBAO_LOG_LEVEL", "INFO")},
    # axes logs every successful sign-in at INFO; failures and lockouts stay (WARNING).
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
