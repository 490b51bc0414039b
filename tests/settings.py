"""Settings for the test suite: the project's own settings with fixed test-only secrets."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("DASHBOARD_TESTING", "1")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(name, "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "xNiyzypylWQj-ckgOJeF-iOaU50OEMlS9LVcsoO3aFs=")

from dashboard.settings import *  # noqa: E402, F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's shared in-memory database: there a second connection that meets a
    # lock fails at once instead of waiting, so tests with threads would not see what a server
    # sees. One file per test process, removed by the test run.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"dashboard-test-{os.getpid()}.sqlite3")
    }
