"""How gunicorn serves the dashboard. gunicorn reads ./gunicorn.conf.py by itself, so any gunicorn
started from this folder (`make prod`, a container, a systemd unit) serves alike; options given on
its command line still win.

Threads (`gthread`): a request that waits on the network (Soclook, a test send's destination)
holds one thread, not a whole worker, so the other threads keep answering pages and /healthz.
What a person may keep waiting at once is bounded too (handlers_app/in_flight.py).
"""

from __future__ import annotations

import os

wsgi_app = "dashboard.wsgi:application"
# BIND=0.0.0.0:8000 in a container; `make prod` passes its HOST and PORT.
bind = [os.environ.get("BIND", "127.0.0.1:8000")]
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A thread waits at most SOCLOOK_TIMEOUT on Soclook; past this the worker is restarted.
timeout = 60
# Browsers and the proxy in front reuse their connections between pages.
keepalive = 5
# The proxy whose X-Forwarded-* headers are believed.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log on standard output (ACCESS_LOG=path elsewhere, ACCESS_LOG= for none), with link
# tokens hidden (handlers_app/access_log.py) and the request id of the application's log lines.
accesslog = os.environ.get("ACCESS_LOG", "-") or None
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'
logger_class = "handlers_app.access_log.AccessLogger"
