# KCC Live — the README's two commands, and the benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test install lint bench bench-ingest bench-live bench-scale bench-reports bench-wfm bench-import bench-reforecast bench-ramp clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Start the whole product with demo data: embedded Redis (unless REDIS_URL is set), daphne on $(PORT),
# a Celery worker, Celery beat and the simulator. Ctrl-C stops them all. EXTRA_PROCS adds Procfile
# entries that are off by default, e.g. `make run EXTRA_PROCS=queue_log` (follows $KCC_QUEUE_LOG).
EXTRA_PROCS ?=
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "KCC Live on http://127.0.0.1:$(PORT)/  (admin: /admin/, API docs: /api/docs/, live: /api/v1/live/)"
	@procs="web publisher worker beat simulator $(EXTRA_PROCS)"; [ -n "$$REDIS_URL" ] || procs="redis $$procs"; \
	  KCC_PORT=$(PORT) exec $(BIN)/honcho -f Procfile start $$procs

test: install
	PYTHONPATH=. $(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	PYTHONPATH=. $(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: bench-ingest bench-live bench-scale bench-reports bench-wfm bench-import

bench-ingest: install
	$(BIN)/python tests/bench/bench_ingest.py $(BENCH_ARGS)

bench-live: install
	$(BIN)/python tests/bench/bench_live.py $(BENCH_ARGS)

# 1, 2 and 4 daphne behind Caddy, 4,000 websocket clients, 200 events/s: p50/p99/max per daphne count.
bench-scale: install
	$(BIN)/python tests/bench/bench_scale.py $(BENCH_ARGS)

bench-reports: install
	$(BIN)/python tests/bench/bench_reports.py $(BENCH_ARGS)

bench-wfm: install
	$(BIN)/python tests/bench/bench_wfm.py $(BENCH_ARGS)

bench-reforecast: install
	$(BIN)/python tests/bench/bench_reforecast.py $(BENCH_ARGS)

# A month of a 300-agent centre (1M contacts; BENCH_ARGS="--contacts 50000" to scale down) through each file
# importer (CSV, queue_log, Connect CTR) into a fresh database: contacts/s, peak RSS, the same daily figures.
bench-import: install
	$(BIN)/python tests/bench/bench_import.py $(BENCH_ARGS)

# The events API under a rising offered load (200 → 4,000 events/s): accepted/s, p50/p99, errors by code.
bench-ramp: install
	$(BIN)/python tests/bench/ramp_ingest.py $(BENCH_ARGS)

clean:
	rm -rf var/*.sqlite3* var/demo-users.json
