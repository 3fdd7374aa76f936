# The commands a newcomer runs: `make run` serves the app, `make test` checks it.
VENV ?= .venv
PYTHON ?= python3
PORT ?= 5000
HOST ?= 127.0.0.1
THREADS ?= 8
# Test processes: most tests wait on loopback servers (Zoom sandbox, SMTP, CalDAV, Chromium),
# so more processes than cores pay; each has its own databases, ports and browser.
TEST_WORKERS ?= 4
PYTEST := $(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist worksteal
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app timetics

.PHONY: run test lint clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# caldav talks through niquests, whose urllib3-future otherwise replaces the urllib3 that
# requests (Zoom, calendars, webhooks) and the tests' tools use, in the whole process. Built
# from source with URLLIB3_NO_OVERRIDE it installs beside urllib3 instead (its documented
# "isolation" route): niquests gets urllib3_future and everything else keeps urllib3.
PIP_INSTALL := URLLIB3_NO_OVERRIDE=1 $(PY) -m pip install --quiet --no-binary=urllib3-future

$(VENV)/.installed: $(VENV)/bin/python setup.cfg pyproject.toml
	$(PIP_INSTALL) --editable .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP_INSTALL) --editable '.[test]'
	touch $@

# One process with threads: the in-memory rate limits are then shared by every request.
# gunicorn.conf.py keeps tokens out of the access log (tests/integration/test_access_log.py
# runs this very command).
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(VENV)/bin/gunicorn --config gunicorn.conf.py --worker-class gthread --workers 1 \
		--threads $(THREADS) --bind $(HOST):$(PORT) --access-logfile - wsgi:app

lint: $(VENV)/.installed-test
	$(PY) -m ruff check timetics zoom_sandbox tests scripts wsgi.py gunicorn.conf.py
	$(PY) -m bandit --quiet -c pyproject.toml -r timetics zoom_sandbox

# The browser suite (tests/e2e) drives Debian's Chromium, installed here when it is missing.
INSTALL_CHROMIUM := command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
# The test of rate limits shared by several workers starts a redis-server of its own.
INSTALL_REDIS := command -v redis-server >/dev/null || (apt-get update && apt-get install -y redis-server)

test: lint
	$(INSTALL_CHROMIUM)
	$(INSTALL_REDIS)
	$(PYTEST)

# The whole suite on PostgreSQL, as CI runs it on a fresh machine (as root): Debian's
# postgresql is installed and its cluster started when missing, and a throwaway role and
# database named $(PG_NAME) are made once. pytest then gets TIMETICS_SQLALCHEMY_DATABASE_URI
# pointing there; tests/conftest.py builds a migrated template database beside it and gives
# every test a clone of its own, dropped afterwards. On a server of your own, set that
# variable to a role with CREATEDB and run pytest yourself.
PG_NAME ?= timetics_test
PG_SQL = runuser -u postgres -- psql --quiet --no-psqlrc -p $$3 -v ON_ERROR_STOP=1
PG_URL = postgresql+psycopg://$(PG_NAME):$(PG_NAME)@127.0.0.1:$$3/$(PG_NAME)

.PHONY: test-postgres
test-postgres: $(VENV)/.installed-test
	command -v pg_ctlcluster >/dev/null || (apt-get update && apt-get install -y postgresql)
	$(INSTALL_CHROMIUM)
	$(INSTALL_REDIS)
	set -e; set -- $$(pg_lsclusters --no-header | head -n 1); \
	if [ -z "$$1" ]; then \
		pg_createcluster $$(ls /usr/lib/postgresql | sort -n | tail -n 1) main; \
		set -- $$(pg_lsclusters --no-header | head -n 1); \
	fi; \
	[ "$$4" = online ] || pg_ctlcluster $$1 $$2 start; \
	$(PG_SQL) -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$(PG_NAME)'" | grep -q 1 || \
		$(PG_SQL) -c "CREATE ROLE $(PG_NAME) LOGIN CREATEDB PASSWORD '$(PG_NAME)'"; \
	$(PG_SQL) -tAc "SELECT 1 FROM pg_database WHERE datname = '$(PG_NAME)'" | grep -q 1 || \
		$(PG_SQL) -c "CREATE DATABASE $(PG_NAME) OWNER $(PG_NAME)"; \
	TIMETICS_SQLALCHEMY_DATABASE_URI=$(PG_URL) $(PYTEST)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# The whole flow with no Zoom account: demo data, the Zoom sandbox on its own port, the job
# runner, and the app pointed at the sandbox.
SANDBOX_PORT ?= 5001
MAIL_SINK_PORT ?= 1025
DEMO_URL := http://$(HOST):$(PORT)
DEMO_ENV := TIMETICS_EXTERNAL_URL=$(DEMO_URL) \
	TIMETICS_ZOOM_OAUTH_URL=http://127.0.0.1:$(SANDBOX_PORT) \
	TIMETICS_ZOOM_API_URL=http://127.0.0.1:$(SANDBOX_PORT)/v2 \
	TIMETICS_MAIL_SERVER=127.0.0.1 TIMETICS_MAIL_PORT=$(MAIL_SINK_PORT)

.PHONY: demo
demo: $(VENV)/.installed-test
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(DEMO_ENV) $(FLASK) set-zoom-app --client-id demo-client-id \
		--client-secret demo-client-secret --secret-token demo-secret-token
	@echo
	@echo "  Timetics:      $(DEMO_URL)/login  (admin@example.com / demo-password)"
	@echo "  Booking page:  $(DEMO_URL)/book/intro-call"
	@echo "  Zoom sandbox:  http://127.0.0.1:$(SANDBOX_PORT)  (stands in for zoom.us)"
	@echo "  Emails:        printed below by a mail sink on 127.0.0.1:$(MAIL_SINK_PORT)"
	@echo
	$(DEMO_ENV) sh -c '\
		$(PY) -m zoom_sandbox --host 127.0.0.1 --port $(SANDBOX_PORT) \
			--client-id demo-client-id --client-secret demo-client-secret \
			--redirect-uri $(DEMO_URL)/integrations/zoom/callback \
			--event-url $(DEMO_URL)/webhooks/zoom --secret-token demo-secret-token & \
		sandbox=$$!; \
		$(PY) -m aiosmtpd -n -l 127.0.0.1:$(MAIL_SINK_PORT) -c aiosmtpd.handlers.Debugging & \
		mail=$$!; \
		$(FLASK) run-jobs & jobs=$$!; \
		trap "kill $$sandbox $$mail $$jobs 2>/dev/null" EXIT INT TERM; \
		$(VENV)/bin/gunicorn --worker-class gthread --workers 1 --threads $(THREADS) \
			--bind $(HOST):$(PORT) wsgi:app'

# The benchmark (issue 7): Timetics and a bare Flask baseline under the same gunicorn, loaded
# with wrk (installed from Debian when missing); prints the table and writes bench/RESULTS.md.
# Then the calendars figure (issue 22): slots with 5,000 calendar events, in bench/CALENDARS.md.
.PHONY: bench
bench: $(VENV)/.installed-test
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/run.py
	$(PY) bench/calendars.py

# PNGs of the main pages for the README, from the demo flow in headless Chromium.
.PHONY: screenshots
screenshots: $(VENV)/.installed-test
	$(INSTALL_CHROMIUM)
	$(PY) scripts/screenshots.py docs/screenshots

# Lighthouse's mobile audit of the booking and confirmation pages (issue 24), written to
# bench/LIGHTHOUSE.md. Lighthouse (pinned in bench/lighthouse/package-lock.json) is installed
# there by npm when missing; Node 20 and Debian's Chromium are what it runs on. Not in `make test`.
LIGHTHOUSE_BIN := bench/lighthouse/node_modules/.bin/lighthouse
.PHONY: lighthouse
lighthouse: $(VENV)/.installed-test $(LIGHTHOUSE_BIN)
	$(INSTALL_CHROMIUM)
	CHROME_PATH=$$(command -v chromium || echo /usr/bin/chromium) $(PY) bench/lighthouse.py

$(LIGHTHOUSE_BIN): bench/lighthouse/package.json bench/lighthouse/package-lock.json
	command -v npm >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	cd bench/lighthouse && npm ci --no-audit --no-fund
	touch $@
