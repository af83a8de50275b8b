# LAPOR Daerah — everyday commands. `make demo` runs the portal with no services at all;
# `make test` runs the suite (on PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000
# Exported: settings take SITE_URL's default (the links in mail) from it.
export PORT
# Two xdist workers: the browser and worker tests are safe in parallel (each has its own
# database, live server and broker folder). `make test PYTEST_ARGS=` runs in one process.
PYTEST_ARGS ?= -p xdist -n 2 --screenshot=only-on-failure --output=test-results

.DEFAULT_GOAL := help
.PHONY: help venv install demo test fmt lint migrations-check run bench clean messages compilemessages

help:
	@echo "make demo    migrate, seed the demo region, run the web server and the Celery worker (Ctrl-C stops)"
	@echo "make test    makemigrations --check, then the test suite"
	@echo "make lint    ruff format --check, ruff check, makemigrations --check"
	@echo "make fmt     ruff format and ruff check --fix"
	@echo "make run     gunicorn on 127.0.0.1:\$$PORT (no worker; DEBUG off)"
	@echo "make bench   load SCALE (default full: 1,000,000 reports) into a fresh PostgreSQL database, measure, write docs/benchmarks.md"
	@echo "make clean   remove the virtualenv, caches and collected static files (keeps data/)"
	@echo "make messages  makemessages (new strings into locale/en) and compilemessages"

venv install: $(VENV)/.installed

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Translations: every build compiles locale/*/django.po into the .mo files Django reads. That
# needs GNU gettext (msgfmt); a machine without it uses the committed .mo files.
I18N_IGNORE := -i $(VENV) -i data -i bench -i test-results

compilemessages: install
	@if command -v msgfmt >/dev/null 2>&1; then \
		$(PY) manage.py compilemessages $(I18N_IGNORE) -v 0; \
	else \
		echo "gettext (msgfmt) is not installed: using the committed locale/*/django.mo"; \
	fi

messages: install
	$(PY) manage.py makemessages -l en --no-obsolete $(I18N_IGNORE) -i tests
	$(PY) manage.py compilemessages $(I18N_IGNORE) -v 0

demo: install compilemessages
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py collectstatic --noinput -v 0
	PORT=$(PORT) VENV_BIN=$(BIN) DEBUG=true bash scripts/demo.sh

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

test: install compilemessages migrations-check
	$(PY) -m pytest $(PYTEST_ARGS)

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: install migrations-check
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

run: install compilemessages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(BIN)/gunicorn lapor.wsgi:application --bind 127.0.0.1:$(PORT) --access-logfile -

# The benchmark (README, "Benchmark"): SCALE is a number (1 = a million reports) or smoke, small,
# medium, large, full. Needs PostgreSQL (BENCH_DATABASE_URL) and wrk (installed if missing and
# possible; otherwise a Python load generator is used).
SCALE ?= full
bench: install
	@command -v wrk >/dev/null 2>&1 || bash scripts/install-wrk.sh || echo "wrk unavailable: using the Python load generator"
	SCALE=$(SCALE) $(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-results data/static
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
