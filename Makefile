# Two commands on a fresh machine with Python 3.11: `make run` and `make test` (README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export SWPS_DATA_DIR ?= $(CURDIR)/data/raw
export SWPS_OUTPUT_DIR ?= $(CURDIR)/data/warehouse

.PHONY: install run test ui lab kernel bench generate system-deps clean serve backup

$(BIN)/swps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

## install: the virtual environment, then the package's bytecode: where PYTHONDONTWRITEBYTECODE is set (as on
## this project's machines) Python would otherwise compile its hundred modules at every start of swps (0.3 s);
## compileall writes only what changed, and Python ignores a .pyc older than its source
install: $(BIN)/swps
	@mkdir -p $(DAGSTER_HOME)
	@$(BIN)/python -m compileall -q swps_pipeline >/dev/null

## run: set up, then materialise every asset on the bundled data into the DuckDB warehouse
run: install
	$(BIN)/swps run

## system-deps: the Debian programs the tests start (browsers and servers cannot be downloaded here):
## Chromium (UI), LibreOffice Calc + poppler (workbook printing), PostgreSQL and nginx (team deployment)
SYSTEM_PACKAGES := chromium libreoffice-calc-nogui poppler-utils postgresql nginx apache2-utils openssl
SYSTEM_COMMANDS := chromium soffice pdftotext nginx htpasswd openssl
system-deps:
	@for c in $(SYSTEM_COMMANDS); do command -v $$c >/dev/null 2>&1 || [ -x /usr/sbin/$$c ] || missing=1; done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing=1; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; fi

## test: set up, then run the whole test suite (CI runs exactly this)
test: install system-deps
	$(BIN)/pytest -q

## ui: the Dagster UI on http://127.0.0.1:3000, with the runs of `make run`
ui: install
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000

## kernel: register the Jupyter kernel "swps-pipeline" (this .venv's Python) inside .venv
kernel: install
	$(BIN)/python -m ipykernel install --sys-prefix --name swps-pipeline --display-name "Python (swps-pipeline)" >/dev/null

## lab: JupyterLab on notebooks/ with the project's kernel (they read the marts of `make run`); LAB_PORT, LAB_ARGS
LAB_PORT ?= 8888
lab: kernel
	$(BIN)/jupyter lab --notebook-dir notebooks --ip 127.0.0.1 --port $(LAB_PORT) \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

## serve: the team deployment from deploy/server.env (README, "Deploying for a team"): Dagster webserver on
## 127.0.0.1 and dagster-daemon (and nginx when SWPS_PROXY_LISTEN is set); PostgreSQL when configured, else SQLite
serve: install
	$(BIN)/swps serve

## backup: the instance (pg_dump, or its SQLite files) and the outputs into SWPS_BACKUP_DIR/<date>/
backup: install
	$(BIN)/swps backup

## bench: 1x, 10x, 100x data; writes bench/results.md
bench: install
	$(BIN)/python bench/benchmark.py

## generate: rewrite data/raw from the seeded generator
generate: install
	$(BIN)/swps generate --out data/raw

clean:
	rm -rf data/warehouse .dagster_home
