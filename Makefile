# Canopy: `make run` serves a demo, `make test` runs the whole suite.
# Without DATABASE_URL / CELERY_BROKER_URL: SQLite and in-process tasks. With them: PostgreSQL and a real broker.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve migrate seed score test lint typecheck format worker beat bench clean

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_demo

score: install
	@if $(BIN)/python manage.py help score_transactions >/dev/null 2>&1; then \
		$(BIN)/python manage.py score_transactions; fi

run: seed score
	@echo ""
	@echo "  Canopy is serving on http://$(HOST):$(PORT)/"
	@echo "  API docs (Swagger): http://$(HOST):$(PORT)/api/docs/"
	@echo "  OpenAPI schema:     http://$(HOST):$(PORT)/api/schema/"
	@echo "  Partner portal:     http://$(HOST):$(PORT)/partners/"
	@echo "  Admin:              http://$(HOST):$(PORT)/admin/"
	@echo "  Demo accounts: see above (docs/demo.md); one day on: $(BIN)/python manage.py demo_advance"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Celery defaults to production settings (config/celery_app.py); these targets are for development.
worker: install
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.local} $(BIN)/celery -A config worker --loglevel=INFO

beat: install
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.local} $(BIN)/celery -A config beat --loglevel=INFO

bench: install
	$(BIN)/python benchmarks/import_bench.py
	$(BIN)/python benchmarks/scoring_bench.py
	$(BIN)/python benchmarks/certificate_bench.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
