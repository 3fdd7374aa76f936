# The commands a newcomer runs: `make run` serves the app, `make test` checks it.
VENV ?= .venv
PYTHON ?= python3
PORT ?= 5000
HOST ?= 127.0.0.1
THREADS ?= 8
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app timetics

.PHONY: run test lint clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python setup.cfg pyproject.toml
	$(PY) -m pip install --quiet --editable .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet --editable '.[test]'
	touch $@

# One process with threads: the in-memory rate limits are then shared by every request.
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(VENV)/bin/gunicorn --worker-class gthread --workers 1 --threads $(THREADS) \
		--bind $(HOST):$(PORT) --access-logfile - wsgi:app

lint: $(VENV)/.installed-test
	$(PY) -m ruff check timetics tests wsgi.py

test: lint
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
