# KCC Live — the README's two commands, and the benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test install lint bench bench-ingest bench-live bench-reports bench-wfm bench-ramp clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Start the whole product with demo data: embedded Redis (unless REDIS_URL is set), daphne on $(PORT),
# a Celery worker, Celery beat and the simulator. Ctrl-C stops them all.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "KCC Live on http://127.0.0.1:$(PORT)/  (admin: /admin/, API docs: /api/docs/, live: /api/v1/live/)"
	@procs="web publisher worker beat simulator"; [ -n "$$REDIS_URL" ] || procs="redis $$procs"; \
	  KCC_PORT=$(PORT) exec $(BIN)/honcho -f Procfile start $$procs

test: install
	PYTHONPATH=. $(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	PYTHONPATH=. $(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: bench-ingest bench-live bench-reports bench-wfm

bench-ingest: install
	$(BIN)/python tests/bench/bench_ingest.py $(BENCH_ARGS)

bench-live: install
	$(BIN)/python tests/bench/bench_live.py $(BENCH_ARGS)

bench-reports: install
	$(BIN)/python tests/bench/bench_reports.py $(BENCH_ARGS)

bench-wfm: install
	$(BIN)/python tests/bench/bench_wfm.py $(BENCH_ARGS)

# The events API under a rising offered load (200 → 4,000 events/s): accepted/s, p50/p99, errors by code.
bench-ramp: install
	$(BIN)/python tests/bench/ramp_ingest.py $(BENCH_ARGS)

clean:
	rm -rf var/*.sqlite3* var/demo-users.json
