# Vigie — `make help` lists the targets.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help run prod test test-fast lint format typecheck messages install install-test clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python ## Create the virtualenv and install Vigie
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python ## Install Vigie with test and dev tools, and axe-core for browser tests
	$(BIN)/pip install --quiet -e '.[test,dev]'
	npm install --no-audit --no-fund --silent
	@command -v chromium >/dev/null || (echo "Installing Debian's chromium for the browser tests…" && \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)
	@command -v xmlsec1 >/dev/null || (echo "Installing Debian's xmlsec1 (SAML signatures)…" && \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q xmlsec1)

run: install ## Set up everything and serve on http://127.0.0.1:8000 (SQLite, demo data)
	$(BIN)/python manage.py check
	$(BIN)/python manage.py migrate --noinput
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py demo
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/uvicorn vigie.asgi:application --host $(HOST) --port $(PORT) --ws-per-message-deflate false

prod: install ## Production: checks, migrate, collectstatic, WORKERS uvicorn workers (needs SECRET_KEY, DATABASE_URL, REDIS_URL)
	DEBUG=$${DEBUG:-false} $(BIN)/python scripts/serve.py --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: install-test ## Run the whole test suite (browser tests included)
	$(BIN)/python -m pytest

test-fast: install-test ## Run the suite without the browser tests
	$(BIN)/python -m pytest -m "not browser"

lint: ## ruff check + format check + the layers contract (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

format: ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: ## mypy with django-stubs
	$(BIN)/mypy .

messages: ## Update the English catalogue after changing French strings
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=node_modules --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

clean: ## Remove the virtualenv, the SQLite database and caches
	rm -rf $(VENV) vigie.sqlite3 staticfiles node_modules .pytest_cache .ruff_cache .mypy_cache
