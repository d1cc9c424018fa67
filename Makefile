# The interface between ingestion, dbt, Airflow and the outputs.
# `make demo` and `make test` work on a fresh machine: they run `setup` first.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
HOME_DIR ?= data
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint bench airflow docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Simulate the league at scale 1 and run the whole pipeline into $(HOME_DIR)/
demo: setup
	$(BIN)/aidwatch demo --home $(HOME_DIR)

## Lint and run every test (what CI runs)
test: setup lint
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check .

## Benchmarks: print figures, assert nothing
bench: setup
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_build.py

## dbt docs for analysts (after a build)
docs: setup
	$(BIN)/aidwatch docs --home $(HOME_DIR)

clean:
	rm -rf $(VENV) $(HOME_DIR) dbt_project/target dbt_project/logs

## Local Airflow (standalone, SQLite) with the DAGs and the demo inbox
airflow: setup
	bash scripts/airflow-standalone.sh $(HOME_DIR)
