# Two commands on a fresh machine with Python 3.11: `make run` and `make test` (README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export SWPS_DATA_DIR ?= $(CURDIR)/data/raw
export SWPS_OUTPUT_DIR ?= $(CURDIR)/data/warehouse

.PHONY: install run test ui bench generate browser clean

$(BIN)/swps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/swps
	@mkdir -p $(DAGSTER_HOME)

## run: set up, then materialise every asset on the bundled data into the DuckDB warehouse
run: install
	$(BIN)/swps run

## browser: Debian's Chromium for the UI test (browsers cannot be downloaded here)
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

## test: set up, then run the whole test suite (CI runs exactly this)
test: install browser
	$(BIN)/pytest -q

## ui: the Dagster UI on http://127.0.0.1:3000, with the runs of `make run`
ui: install
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000

## bench: 1x, 10x, 100x data; writes bench/results.md
bench: install
	$(BIN)/python bench/benchmark.py

## generate: rewrite data/raw from the seeded generator
generate: install
	$(BIN)/swps generate --out data/raw

clean:
	rm -rf data/warehouse .dagster_home
