# LAPOR Daerah — everyday commands. `make demo` runs the portal with no services at all;
# `make test` runs the suite (on PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000
# Two xdist workers: the browser and worker tests are safe in parallel (each has its own
# database, live server and broker folder). `make test PYTEST_ARGS=` runs in one process.
PYTEST_ARGS ?= -p xdist -n 2 --screenshot=only-on-failure --output=test-results

.DEFAULT_GOAL := help
.PHONY: help venv install demo test fmt lint migrations-check run clean

help:
	@echo "make demo    migrate, seed the demo region, run the web server and the Celery worker (Ctrl-C stops)"
	@echo "make test    makemigrations --check, then the test suite"
	@echo "make lint    ruff format --check, ruff check, makemigrations --check"
	@echo "make fmt     ruff format and ruff check --fix"
	@echo "make run     gunicorn on 127.0.0.1:\$$PORT (no worker; DEBUG off)"
	@echo "make clean   remove the virtualenv, caches and collected static files (keeps data/)"

venv install: $(VENV)/.installed

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

demo: install
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py collectstatic --noinput -v 0
	PORT=$(PORT) VENV_BIN=$(BIN) DEBUG=true bash scripts/demo.sh

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

test: install migrations-check
	$(PY) -m pytest $(PYTEST_ARGS)

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: install migrations-check
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(BIN)/gunicorn lapor.wsgi:application --bind 127.0.0.1:$(PORT) --access-logfile -

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-results data/static
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
