# Quick start: `make run` then `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# test files run on this many processes (pytest-xdist); most tests wait on servers,
# dbt and subprocesses, so 2 halves the wall time on a 2-core machine
TEST_WORKERS ?= 2
STAMP   = $(VENV)/.installed-stamp

export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120
export DO_NOT_TRACK ?= 1
export DBT_SEND_ANONYMOUS_USAGE_STATS ?= false

.PHONY: run test lint serve bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/dxplan run

test: $(STAMP)
	$(BIN)/ruff check flows tests
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# ruff check only: the code is wrapped by hand at 100 columns, not by `ruff format`
# (which would rewrap ~3,200 lines and push modules past the 600-line limit)
lint: $(STAMP)
	$(BIN)/ruff check flows tests bench

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py

serve: $(STAMP)
	$(BIN)/dxplan serve

clean:
	rm -rf warehouse/*.duckdb warehouse/.dbt warehouse/exports warehouse/dashboard warehouse/data_docs
