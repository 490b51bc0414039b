"""Settings for the test suite: the project's own settings with fixed test-only secrets, plus
what only tests need (the sandbox app, static files from the source folders, a fast hasher)."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(name, "0")
# The sandbox listens on 127.0.0.1; tests of the guard's refusals turn this off for themselves.
os.environ.setdefault("SOCLOOK_ALLOW_PRIVATE_ADDRESSES", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "xNiyzypylWQj-ckgOJeF-iOaU50OEMlS9LVcsoO3aFs=")

from dashboard.settings import *  # noqa: E402, F403
from dashboard.settings import INSTALLED_APPS, STORAGES  # noqa: E402

# Tests run with DEBUG off, as production does, yet drive the sandbox and its commands.
if "handlers_app.sandbox" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "handlers_app.sandbox"]

# Pages render {% static %} without a collectstatic manifest.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's shared in-memory database: there a second connection that meets a
    # lock fails at once instead of waiting, so tests with threads would not see what a server
    # sees. One file per test process, removed by the test run.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"dashboard-test-{os.getpid()}.sqlite3")
    }
