"""Settings for the test suite: the project's own settings with fixed test-only secrets."""

from __future__ import annotations

import os

os.environ.setdefault("DASHBOARD_TESTING", "1")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(name, "0")
# The sandbox listens on 127.0.0.1; tests of the guard's refusals turn this off for themselves.
os.environ.setdefault("SOCLOOK_ALLOW_PRIVATE_ADDRESSES", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "xNiyzypylWQj-ckgOJeF-iOaU50OEMlS9LVcsoO3aFs=")

from dashboard.settings import *  # noqa: E402, F403
