# Coldstart's one command runner. README.md names these targets; CI calls `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: install install-dev run serve-prod test lint format bench import check-content chromium clean

# Runtime dependencies; the stamp makes a second run a no-op until pyproject.toml changes.
install: $(VENV)/.installed-runtime

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: pyproject.toml | $(VENV)/bin/python
	$(PY) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	touch $@

install-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: $(VENV)/.installed-runtime
	$(PY) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["dev"]))' > $(VENV)/requirements-dev.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements-dev.txt
	touch $@

# Debian's Chromium for the browser tests (Playwright's own browser download does not work here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Set up (install, migrate, import content/, demo accounts) and serve web + worker; Ctrl-C stops both.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py import_content
	$(PY) manage.py setup_demo
	PORT=$(PORT) $(PY) -m config.launch

# Production on this machine (docs/DEPLOY.md): PostgreSQL and Redis (DATABASE_URL, CACHE_URL,
# CELERY_BROKER_URL; default the local servers, the database is created if missing), migrate,
# cache table, collectstatic, content, demo accounts, then gunicorn (WEB_WORKERS), WORKERS
# Celery workers (WORKER_CONCURRENCY each) and one beat; Ctrl-C stops them all.
serve-prod: install
	PORT=$(PORT) $(PY) -m config.launch production

import: install
	$(PY) manage.py import_content

check-content: install
	$(PY) manage.py import_content --check

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The whole suite on the embedded default (SQLite), then the database tests again on the
# real PostgreSQL (same code path as production) together with the production tests
# (tests/production: gunicorn, Celery workers and Redis under fault injection, which need
# PostgreSQL). Under CI=true a missing PostgreSQL fails.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

test: install-dev chromium lint
	$(VENV)/bin/pytest -m "not production"
	@if $(PY) -c 'import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=3).close()' '$(TEST_POSTGRES_URL)' 2>/dev/null; then \
		echo "Database tests on PostgreSQL ($(TEST_POSTGRES_URL))"; \
		DATABASE_URL='$(TEST_POSTGRES_URL)' COLDSTART_DB_TESTS_ONLY=1 $(VENV)/bin/pytest -m "not browser" -p no:cacheprovider; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is not reachable at $(TEST_POSTGRES_URL); CI requires it" >&2; exit 1; \
	else \
		echo "warning: PostgreSQL is not reachable at $(TEST_POSTGRES_URL); ran on SQLite only"; \
	fi

bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) var
