"""Run the Soclook sandbox in the foreground: a fake Soclook API for local development.

DEVELOPMENT ONLY. Without --api-key the account's key is the fixed demo key `sandbox-demo-key`
(DEMO_API_KEY), so `make demo` and the README can rely on it.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from handlers_app.sandbox import DEMO_API_KEY, RecordedRequest, Sandbox

# Long-running demos should not grow the request log without bound.
_REQUEST_LOG_LIMIT = 1000


class Command(BaseCommand):
    help = (
        "Run the Soclook SANDBOX, a local fake of the notification-handlers API "
        "(development only). Ctrl-C stops it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--seed", type=int, default=40, help="handlers in the account")
        parser.add_argument("--latency", type=int, default=0, help="milliseconds per request")
        parser.add_argument(
            "--api-key", default=DEMO_API_KEY, help=f"account key (default {DEMO_API_KEY})"
        )
        parser.add_argument("--variant", choices=("live", "seed"), default="live")
        parser.add_argument("--rate-limit", type=int, default=60, help="requests per window")
        parser.add_argument("--window", type=float, default=60, help="rate-limit window, s")
        parser.add_argument("--quiet", action="store_true", help="do not print each request")

    def handle(self, *args: Any, **options: Any) -> None:
        sandbox = Sandbox(
            latency_ms=options["latency"],
            rate_limit=options["rate_limit"],
            window_seconds=options["window"],
            variant=options["variant"],
            request_log_limit=_REQUEST_LOG_LIMIT,
        )
        api_key = sandbox.add_account(seed=options["seed"], api_key=options["api_key"])
        if not options["quiet"]:
            sandbox.on_request = self._print_request
        sandbox.start(host=options["host"], port=options["port"])
        self.stdout.write(
            self.style.WARNING(
                f"Soclook SANDBOX (development only) at {sandbox.base_url} — API key: {api_key}"
            )
        )
        self.stdout.write(
            f"{options['seed']} handlers, variant {options['variant']}, "
            f"{options['rate_limit']} requests per {options['window']:g} s, "
            f"latency {options['latency']} ms. Ctrl-C stops it."
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stdout.write("Stopping the sandbox.")
        finally:
            sandbox.stop()

    def _print_request(self, request: RecordedRequest) -> None:
        status = "dropped" if request.status is None else str(request.status)
        fault = f" (fault: {request.fault})" if request.fault else ""
        self.stdout.write(f"{request.method} {request.path} -> {status}{fault}")
