# The README's two commands are `make run` and `make test`; CI runs `.ci/run`, which is `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

# Embedded defaults of `make run`: SQLite and Celery's filesystem transport under var/.
RUN_ENV := DEBUG=1

# Tests run against the real PostgreSQL and Redis of this machine. TEST_DB and TEST_REDIS_DB
# let several runs share the machine (pytest-django prefixes the database name with test_).
TEST_DB ?= portal
TEST_REDIS_DB ?= 14
TEST_CACHE_DB ?= 15
TEST_ENV := DEBUG=0 \
	SECRET_KEY=test-only-secret-key-that-is-long-enough-for-django-checks-0123456789 \
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(TEST_DB) \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/$(TEST_REDIS_DB) \
	REDIS_URL=redis://127.0.0.1:6379/$(TEST_CACHE_DB) \
	FIELD_ENCRYPTION_KEYS=test2:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=,test1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8= \
	BLIND_INDEX_KEY=QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8= \
	SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 STATIC_COLLECTED=0

.PHONY: run test lint fmt install check-migrations compose-check messages pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	@mkdir -p var/celery/queue var/celery/processed
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py demo_data
	@echo
	@echo "  Portal: http://127.0.0.1:$(PORT)/   (API docs: http://127.0.0.1:$(PORT)/api/docs/)"
	@echo "  Demo accounts, password portal-demo: admin cadre community leader worker worker2 partner partner2 party secretary member"
	@echo "  Ctrl-C stops the web server, the Celery worker and beat."
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(RUN_ENV) PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

test: install
	bash .ci/prepare-test-machine
	$(MAKE) --no-print-directory lint check-migrations compose-check
	$(TEST_ENV) $(BIN)/python -m pytest --create-db $(PYTEST_ARGS)

pytest: install
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-migrations: install
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

compose-check:
	SECRET_KEY=x FIELD_ENCRYPTION_KEYS=k1:AAAA BLIND_INDEX_KEY=AAAA POSTGRES_PASSWORD=x docker-compose config -q

messages: install
	$(RUN_ENV) $(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore '.venv/*' --ignore 'var/*' --ignore 'static/vendor/*' --ignore 'node_modules/*' --ignore 'test-artifacts/*'
	$(RUN_ENV) $(BIN)/python manage.py compilemessages --ignore '.venv/*'
