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
    "ninja",  # serves the API documentation's scripts from our static files, not a CDN
    "xinbao.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "xinbao.web.middleware.UserLanguageMiddleware",
    "xinbao.web.middleware.PasswordChangeRequiredMiddleware",
    "xinbao.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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

SESSION_COOKIE_AGE = 12 * 60 * 60
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
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
