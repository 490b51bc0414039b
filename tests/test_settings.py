"""What tests need lives in tests/settings.py: the production settings carry none of it."""

from __future__ import annotations

import json

from tests.test_production import production_env, run_manage

_PRINT = """
import json
from django.conf import settings
print(json.dumps({
    "hasher": settings.PASSWORD_HASHERS[0],
    "static": settings.STORAGES["staticfiles"]["BACKEND"],
    "finders": settings.WHITENOISE_USE_FINDERS,
    "autorefresh": settings.WHITENOISE_AUTOREFRESH,
    "sandbox": "handlers_app.sandbox" in settings.INSTALLED_APPS,
}))
"""


def test_a_production_start_up_carries_nothing_the_tests_need() -> None:
    result = run_manage("shell", "-c", _PRINT, env=production_env())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "hasher": "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "static": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "finders": False,
        "autorefresh": False,
        "sandbox": False,
    }
