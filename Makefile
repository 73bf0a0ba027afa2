# Two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

# The test suite uses the machine's PostgreSQL and Redis (CI has both); override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/storefront
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test test-pgbouncer bench bench-full install install-dev browser pgbouncer lint worker beat clean
# Static security scan: any medium or high finding fails (a medium one kept says why: `# nosec BXXX # reason`).
BANDIT := $(BIN)/bandit -q -r shop catalog inventory orders payments fulfillment returns marketing reviews customers privacy kernel -x '*/migrations/*' --severity-level medium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, migrate, load the demo catalog (idempotent) and serve on http://127.0.0.1:$(PORT),
## with the periodic jobs running beside the server (deadlines, sweeps, nightly checks):
## no broker configured: `manage.py run_scheduler` runs CELERY_BEAT_SCHEDULE in process;
## REDIS_URL or CELERY_BROKER_URL set: a Celery worker (every queue of shop/queues.py) and beat.
## Both stop with the server.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo_catalog
	@set -e; \
	if [ -n "$$REDIS_URL$$CELERY_BROKER_URL" ]; then \
	  $(BIN)/celery -A shop worker --loglevel=info & worker=$$!; \
	  $(BIN)/celery -A shop beat --loglevel=info --schedule $(VENV)/celerybeat-schedule & beat=$$!; \
	  trap 'kill $$worker $$beat 2>/dev/null || true' EXIT INT TERM; \
	else \
	  $(BIN)/python manage.py run_scheduler & scheduler=$$!; \
	  trap 'kill $$scheduler 2>/dev/null || true' EXIT INT TERM; \
	fi; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core) >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium (browser tests will skip outside CI)"; fi; }

## Debian's PgBouncer for the pooler tests (tests/shop/test_pgbouncer.py, pytest --pgbouncer).
pgbouncer:
	@command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer) >/dev/null; \
	  else echo "pgbouncer is missing: sudo apt-get install pgbouncer (pooler tests will skip outside CI)"; fi; }

## make test: the whole suite on PostgreSQL + Redis + a real Celery worker, plus the layer contract and lint
test: install-dev browser pgbouncer
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BANDIT)
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest
	$(MAKE) test-pgbouncer

## make test-pgbouncer: the checkout and concurrency tests again, every connection through
## PgBouncer in transaction pooling mode (started by the tests; docs/SCALING.md)
test-pgbouncer: install-dev pgbouncer
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest --pgbouncer -q \
	  tests/checkout tests/orders/test_concurrency.py tests/orders/test_cart_and_checkout_services.py

## make bench: every figure in one table, each beside its baseline (tests/benchmarks/README.md):
## the catalog pages (10,000 products), the HTTP checkout (orders/s, hot SKU, sold-out race),
## paid-to-label/shipped-email latency with a real worker, a soak (browsing + checkouts with
## worker and beat), the KPI dashboards and a 10,000-row product import, on PostgreSQL;
## written to bench-results.json. Sized for about 15 minutes with the short defaults below; `make
## bench-full` runs the soak for 10 minutes and the dashboards at 1,000,000 orders (~40 min).
BENCH_SOAK_ARGS ?= --minutes 2
BENCH_DASHBOARD_ARGS ?= --orders 200000 --customers 20000 --requests 10
BENCH_IMPORT_ARGS ?= --rows 10000
bench: install-dev
	-DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python tests/benchmarks/run_catalog_bench.py --output bench-results.json
	-DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python tests/benchmarks/run_checkout_bench.py --output bench-results.json
	-DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python tests/benchmarks/run_fulfillment_bench.py --output bench-results.json
	-DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python tests/benchmarks/run_soak_bench.py $(BENCH_SOAK_ARGS) --output bench-results.json
	-$(BIN)/python tests/benchmarks/run_dashboard_bench.py $(BENCH_DASHBOARD_ARGS) --output bench-results.json
	-DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python tests/benchmarks/run_import_bench.py $(BENCH_IMPORT_ARGS) --output bench-results.json
	$(BIN)/python tests/benchmarks/results.py bench-results.json

bench-full:
	$(MAKE) bench BENCH_SOAK_ARGS="--minutes 10" BENCH_DASHBOARD_ARGS="--orders 1000000 --customers 100000 --requests 30"

lint: install-dev
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BANDIT)

worker: install
	$(BIN)/celery -A shop worker --loglevel=info

beat: install
	$(BIN)/celery -A shop beat --loglevel=info

clean:
	rm -rf $(VENV) db.sqlite3 media .pytest_cache
