"""gunicorn's access log without the token of an invitation or password-reset link.

`make prod` runs gunicorn with `--logger-class handlers_app.access_log.AccessLogger`. Kept
apart from handlers_app.observability so that nothing but gunicorn itself imports gunicorn.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from handlers_app.observability import hide_link_tokens


class AccessLogger(Logger):
    """gunicorn's logger with link tokens hidden from every field an access-log format can name:
    the path, the request line, the Referer, any header or environment value."""

    def atoms(
        self, resp: object, req: object, environ: dict[str, Any], request_time: object
    ) -> dict[str, Any]:
        return {
            name: hide_link_tokens(value) if isinstance(value, str) else value
            for name, value in super().atoms(resp, req, environ, request_time).items()
        }
