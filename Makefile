# The two set-up commands: `make run` and `make test`. Both need only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.PHONY: run test test-e2e bench install migrate lint clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runserver 127.0.0.1:8000

# Every test on every core (pytest-xdist); the tests that start a Celery worker or gunicorn share one
# worker, one after the other (tests/conftest.py).
test: install
	$(PY) -m pytest -n auto --dist loadgroup

# Browser journeys in Debian's Chromium (apt-get install -y chromium fonts-noto-cjk); screenshots in var/screenshots/.
E2E_STAMP := $(VENV)/.installed-e2e-$(shell cat requirements-e2e.txt | cksum | cut -d' ' -f1)

$(E2E_STAMP): requirements-e2e.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements-e2e.txt
	touch $(E2E_STAMP)

test-e2e: install $(E2E_STAMP)
	@test -x /usr/bin/chromium || { echo "/usr/bin/chromium is missing: apt-get install -y chromium fonts-noto-cjk"; exit 1; }
	$(PY) -m pytest tests/e2e -s

# Issue 2 and 3 figures (seeding, roster, import, check-in), then issue 4's (health checks and
# reports at a quarter of a city, city and 4x city; BENCH_HEALTH_ARGS="--scales city" for a shorter run).
BENCH_HEALTH_ARGS ?=
bench: install
	$(PY) bench/run.py; a=$$?; $(PY) bench/health_reports.py $(BENCH_HEALTH_ARGS); b=$$?; exit $$((a | b))

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) var/partysite.sqlite3*
