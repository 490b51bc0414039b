"""Settings for the Soclook handlers dashboard, read from the environment (and `.env` if present).

Every variable is documented in README.md. With DEBUG off, a missing SECRET_KEY or
FIELD_ENCRYPTION_KEYS stops start-up: a production server must never invent its own secrets.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _required_secret(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. With DEBUG off it must come from the environment or .env; "
            f"see README.md, 'Configuration'. For local development run `make run`, which "
            f"writes a .env with generated values."
        )
    return value


SECRET_KEY = _required_secret("SECRET_KEY")
FIELD_ENCRYPTION_KEYS = [k.strip() for k in _required_secret("FIELD_ENCRYPTION_KEYS").split(",")]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks_db",
    "axes",
    "handlers_app",
]
if DEBUG:
    # The Soclook sandbox and the `demo` command: development tools, never on a production server.
    INSTALLED_APPS.append("handlers_app.sandbox")

MIDDLEWARE = [
    "handlers_app.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "handlers_app.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "handlers_app.service_time.ViewerTimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "handlers_app.middleware.SessionRefreshMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "handlers_app.middleware.HtmxLoginRedirectMiddleware",
    "handlers_app.middleware.HtmxMessagesMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "dashboard.wsgi.application"
ASGI_APPLICATION = "dashboard.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# SQLite lets one writer in at a time. A transaction that reads and then writes (two owners
# demoting each other at once) would fail at once with "database is locked": IMMEDIATE takes the
# write lock as the transaction begins, and the others wait for it up to the busy timeout.
SQLITE_BUSY_TIMEOUT_SECONDS = 20
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "handlers_app.redis_backend.ReusingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="dashboard"),
            # A stalled Redis must fail fast (the health check reports it) rather than hang.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "dashboard",
        }
    }

# Sessions are read from the cache and written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling: lock a user name from one address after five failures, for 15 minutes;
# and the name from every address after 20 failures from addresses that failed in the last 5
# minutes, for those 5 minutes (handlers_app.throttle).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "handlers_app.throttle.SignInThrottle"
AXES_NAME_FAILURE_LIMIT = env.int("AXES_NAME_FAILURE_LIMIT", default=20)
AXES_NAME_COOLOFF_MINUTES = env.float("AXES_NAME_COOLOFF_MINUTES", default=5)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "handlers_app.throttle.lockout_response"
# The same counters pause the password change, the reset pages and the first-run setup code
# (handlers_app.throttle); none of their typed values may be kept in the attempt log.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "old_password",
    "new_password1",
    "new_password2",
    "password1",
    "password2",
    "email",
    "setup_code",
    "csrfmiddlewaretoken",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Behind N proxies that append to X-Forwarded-For, the client's address is the N-th from the right.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "handlers_app.observability.client_ip"
AXES_USERNAME_CALLABLE = "handlers_app.observability.signin_username"

# Idle sessions end after two hours without a request.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=2 * 60 * 60)
# Saving the session on every request would cost a write per page view; it is refreshed at most
# this often instead (handlers_app.middleware.SessionRefreshMiddleware).
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Русский"))]
LOCALE_PATHS = [BASE_DIR / "handlers_app" / "locale"]
LANGUAGE_COOKIE_NAME = "dashboard_language"
# Only the server reads it (the language switch is a form).
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
# One date format per language on every page (dashboard/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["dashboard.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# Development serves static files straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}

# The Soclook API.
SOCLOOK_DEFAULT_BASE_URL = env.str("SOCLOOK_DEFAULT_BASE_URL", default="https://soclook.ru/api/")
SOCLOOK_TIMEOUT = env.float("SOCLOOK_TIMEOUT", default=10.0)
SOCLOOK_CONNECT_TIMEOUT = env.float("SOCLOOK_CONNECT_TIMEOUT", default=3.05)
SOCLOOK_CACHE_SECONDS = env.int("SOCLOOK_CACHE_SECONDS", default=30)
# An API address on a private or loopback network is refused (a person could otherwise point the
# server at its own network) unless the instance is on the installation's own network, or in
# development, where the sandbox listens on 127.0.0.1.
SOCLOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("SOCLOOK_ALLOW_PRIVATE_ADDRESSES", default=DEBUG)
# Outbound TLS (the API and test sends) trusts the system's store (OpenSSL's default paths, which
# honour SSL_CERT_FILE and SSL_CERT_DIR) and, with this, a PEM file of further certificates: a
# company's own CA, or the one of a proxy that inspects TLS (handlers_app.wire).
SOCLOOK_CA_BUNDLE = env.str("SOCLOOK_CA_BUNDLE", default="")
if SOCLOOK_CA_BUNDLE and not Path(SOCLOOK_CA_BUNDLE).is_file():
    raise ImproperlyConfigured(f"SOCLOOK_CA_BUNDLE names no file: {SOCLOOK_CA_BUNDLE}")

# Who may create a team: "anyone" signed in, or "staff" only (others join by invitation).
TEAM_CREATION = env.str("TEAM_CREATION", default="anyone")
if TEAM_CREATION not in ("anyone", "staff"):
    raise ImproperlyConfigured("TEAM_CREATION must be 'anyone' or 'staff'.")

# Test sends (handlers_app.testsend): the dashboard sends a test message to a handler's
# destination itself, through the outbound guard.
TEST_SEND_ENABLED = env.bool("TEST_SEND_ENABLED", default=True)
# Private and loopback destinations, for an installation that delivers into its own network.
# SOCLOOK_ALLOW_PRIVATE_ADDRESSES is about API addresses and does not open this.
TEST_SEND_ALLOW_PRIVATE_ADDRESSES = env.bool("TEST_SEND_ALLOW_PRIVATE_ADDRESSES", default=DEBUG)
TEST_SEND_ALLOWED_PORTS = env.list("TEST_SEND_ALLOWED_PORTS", cast=int, default=[80, 443])
if not TEST_SEND_ALLOWED_PORTS or not all(0 < port < 65536 for port in TEST_SEND_ALLOWED_PORTS):
    raise ImproperlyConfigured("TEST_SEND_ALLOWED_PORTS must list ports from 1 to 65535.")

# Content-Security-Policy: no inline scripts or styles anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    # The language choice rides with the session's cookie: only over HTTPS.
    LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # A load balancer probes the health check over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Errors e-mailed to ADMINS (comma-separated addresses) when DEBUG is off; the reports hide
# keys, secrets, connection URLs and every submitted form value.
ADMINS = env.list("ADMINS", default=[])
SERVER_EMAIL = env.str("SERVER_EMAIL", default="dashboard@localhost")
DEFAULT_FROM_EMAIL = SERVER_EMAIL
# The dashboard's own address (https://dashboard.example.com), for links in e-mails sent outside
# a request (the health checks' e-mails to owners); without it, the first of ALLOWED_HOSTS.
DASHBOARD_URL = env.str("DASHBOARD_URL", default="")
# In development mail (test sends to e-mail handlers included) is printed to the console.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_smtp_options = {
    "host": _email["EMAIL_HOST"],
    "port": _email["EMAIL_PORT"],
    "username": _email["EMAIL_HOST_USER"],
    "password": _email["EMAIL_HOST_PASSWORD"],
    "use_tls": _email.get("EMAIL_USE_TLS", False),
    "use_ssl": _email.get("EMAIL_USE_SSL", False),
    "timeout": 10,
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": _smtp_options if _email["EMAIL_BACKEND"].endswith(".smtp.EmailBackend") else {},
    }
}
DEFAULT_EXCEPTION_REPORTER_FILTER = "handlers_app.observability.SecretsHiddenReporterFilter"

# Logs go to standard error, one line per record: plain text, or JSON with LOG_FORMAT=json.
# Every line carries the request id; Soclook calls are also counted for the /ops/ page. No line
# or error e-mail carries the token of an invitation or password-reset link.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'plain' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "handlers_app.observability.RequestIdFilter"},
        "link_tokens": {"()": "handlers_app.observability.LinkTokenFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "handlers_app.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "link_tokens"],
            "level": LOG_LEVEL,
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "link_tokens"],
        },
        "call_stats": {"class": "handlers_app.observability.CallStatsHandler"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
        "django.server": {"level": "WARNING"},
        # Bots probing with a foreign Host header are logged, not e-mailed.
        "django.security.DisallowedHost": {"handlers": ["console"], "propagate": False},
        # INFO whatever LOG_LEVEL says: every call is counted, even when not printed.
        "handlers_app.soclook": {"handlers": ["call_stats"], "level": "INFO"},
        # It signs test sends to X, and at DEBUG logs the keys and tokens it signs with.
        "oauthlib": {"level": "WARNING"},
    },
}
