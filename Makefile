# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | sha1sum | cut -c1-12)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test build lint fmt migrate seed clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

# The Cython kernel is compiled here, for the CPU of this machine.
build: $(STAMP)
	@if [ -f setup.py ]; then $(PY) setup.py build_ext --inplace -q; fi

migrate: build
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --quiet

# The demo lets each shard last a second so a job's progress can be watched (0 turns it off).
run: seed
	SHARD_MIN_SECONDS=$${SHARD_MIN_SECONDS:-1} IDLE_POLICY=$${IDLE_POLICY:-1} DEMO_DEMAND=$${DEMO_DEMAND:-1} $(PY) manage.py run_all --host $(HOST) --port $(PORT)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(DEV_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: build $(DEV_STAMP) lint
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

clean:
	rm -rf build var/celery innovation_center/kernel/*.so innovation_center/kernel/*.c
