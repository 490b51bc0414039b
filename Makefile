# The Soclook handlers dashboard. `make run` sets everything up and serves it; `make test` runs
# the whole suite. Both work on a fresh clone.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
VPY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SANDBOX_PORT ?= 8765
# Background workers for imports, started beside the server by run, demo and prod. An import
# runs in short slices queued one after another, so each worker soon moves on to the next team's
# job; several keep every team's imports going while one meets a slow Soclook (README,
# "Production").
IMPORT_WORKERS ?= 3

# Django 6 needs Python 3.12 or newer. PYTHON=... overrides; otherwise the first suitable
# interpreter on PATH, then in pyenv's versions folder.
PYTHON ?= $(shell for c in python3.13 python3.12 python3 \
	$$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV); do \
	  command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	  && { command -v $$c; break; }; done)

.PHONY: help run test demo bench prod lint format audit messages browser vnu clean check-python

help:
	@echo "make run    set up (virtualenv, .env, database) and serve on http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite"
	@echo "make demo   the dashboard on http://$(HOST):$(PORT) beside a local Soclook sandbox"
	@echo "            with seeded handlers on port $(SANDBOX_PORT)"
	@echo "Change the ports with PORT=... and SANDBOX_PORT=..., e.g. make demo PORT=8001 SANDBOX_PORT=8766"
	@echo "make bench  the request-budget and speed benchmark (not part of the tests)"
	@echo "make prod   gunicorn and the import workers (set DATABASE_URL, REDIS_URL, ...)"
	@echo "make lint   ruff;  make audit  pip-audit (needs the internet)"

check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: no Python 3.12 or newer found (Django 6 needs it)." >&2; \
	  echo "  Install one (e.g. 'pyenv install 3.12' or your system's python3.12 package)," >&2; \
	  echo "  or point to it: make run PYTHON=/path/to/python3.12" >&2; exit 1; \
	elif ! "$(PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  echo "error: PYTHON=$(PYTHON) is not a Python 3.12 or newer (Django 6 needs it)." >&2; \
	  echo "  Point to one: make run PYTHON=/path/to/python3.12" >&2; exit 1; fi

$(VENV)/.installed: requirements.txt | check-python
	@test -x $(VPY) || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@$(VPY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { \
	  echo "error: $(VENV) uses Python < 3.12; remove it (rm -rf $(VENV)) and run make again." >&2; exit 1; }
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements.txt
	@touch $@

.env: | $(VENV)/.installed
	$(VPY) -m dashboard.devenv

# Compiled without the project's settings, so it needs no .env.
messages: $(VENV)/.installed
	@cd handlers_app && env -u DJANGO_SETTINGS_MODULE ../$(VENV)/bin/django-admin compilemessages -v 0

# The background workers (imports, bulk actions, copies), and the housekeeping that queues again
# the jobs whose worker went away and throws away old previews (each minute), in the background
# of the recipe line that starts the server, and stopped when it stops.
WORKERS = $(foreach n,$(shell seq $(IMPORT_WORKERS)),$(VPY) manage.py db_worker --no-reload &) \
	$(VPY) manage.py jobs_housekeeping --every 60 & \
	trap 'kill $$(jobs -p) 2>/dev/null' EXIT;

run: $(VENV)/.installed .env messages
	$(VPY) manage.py migrate --noinput
	$(WORKERS) $(VPY) manage.py runserver $(HOST):$(PORT)

demo: $(VENV)/.installed .env messages
	$(VPY) manage.py migrate --noinput
	$(WORKERS) $(VPY) manage.py demo --sandbox-port $(SANDBOX_PORT) --addr $(HOST):$(PORT)

# Debian's chromium for the browser tests (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: chromium could not be installed; browser tests will be skipped" >&2; }

# The Nu HTML checker (W3C's vnu) for the markup test, from npm into .tools/; it runs on Java.
VNU_JAR := .tools/node_modules/vnu-jar/build/dist/vnu.jar
vnu:
	@test -f $(VNU_JAR) || { command -v npm >/dev/null 2>&1 \
	  && npm install --silent --no-save --no-audit --no-fund --prefix .tools vnu-jar >/dev/null; } \
	  || echo "warning: the Nu HTML checker could not be installed; its test will be skipped" >&2

test: $(VENV)/.installed messages browser vnu
	$(VPY) -m pytest $(PYTEST_ARGS)

# wrk, when it can be had, generates the load without taking the CPU from gunicorn.
bench: $(VENV)/.installed messages
	@command -v wrk >/dev/null 2>&1 || (apt-get install -y -qq wrk >/dev/null 2>&1) \
	  || echo "note: wrk not installed; the bench generates its load itself" >&2
	$(VPY) -m tests.bench

prod: $(VENV)/.installed messages
	$(VPY) manage.py check --deploy --fail-level $${DEPLOY_CHECK_FAIL_LEVEL:-WARNING}
	$(VPY) manage.py migrate --noinput
	$(VPY) manage.py collectstatic --noinput -v 0
	$(VPY) manage.py setup_code
	$(WORKERS) $(VENV)/bin/gunicorn dashboard.wsgi --workers $${WEB_CONCURRENCY:-3} --bind $(HOST):$(PORT) \
	  --access-logfile - --logger-class handlers_app.access_log.AccessLogger \
	  --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
	  --access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

audit: $(VENV)/.installed
	$(VPY) -m pip install --quiet pip-audit bandit
	$(VENV)/bin/pip-audit --strict -r requirements.txt
	$(VENV)/bin/bandit -q -r dashboard handlers_app -ll

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache .tools
