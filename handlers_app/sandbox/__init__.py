"""The Soclook sandbox: a local emulator of the notification-handlers API.

DEVELOPMENT AND TEST TOOL ONLY, never production: a Django app of its own (with the `demo` and
`soclook_sandbox` commands), installed only with DEBUG or in tests, and imported by nothing in
the dashboard itself. See `server.py` for what it reproduces and the choices it makes where the
API contract (docs/soclook-api.md) is silent, and `faults.py` for the faults a test can inject.

    from handlers_app.sandbox import Sandbox, Fault

    sb = Sandbox()
    key = sb.add_account(seed=40)
    sb.start()  # sb.base_url == "http://127.0.0.1:<port>/api/"
    sb.add_fault(Fault("html_500", method="GET"))
    sb.stop()
"""

from __future__ import annotations

from .faults import FAULT_KINDS, Fault, RecordedRequest
from .server import DEMO_API_KEY, Sandbox

__all__ = ["DEMO_API_KEY", "FAULT_KINDS", "Fault", "RecordedRequest", "Sandbox"]
