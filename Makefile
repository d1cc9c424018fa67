# The interface between ingestion, dbt, Airflow and the outputs.
# `make demo` and `make test` work on a fresh machine: they run `setup` first.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
HOME_DIR ?= data
STAMP  := $(VENV)/.installed
# The whole dependency tree, pinned with hashes, generated from pyproject.toml by `make lock`;
# `make setup`, CI (.ci/run calls make test) and the Dockerfile install exactly this.
LOCK   := requirements.lock

.PHONY: setup lock demo test lint bench bench-workspace verify airflow docs clean serve

setup: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==26.3"
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	-$(BIN)/python -m warehouse.parse_state  # dbt's parse state for new HOMEs; a failure costs a full parse
	touch $(STAMP)

## Regenerate requirements.lock after a change to pyproject.toml (keeps existing pins where it can)
lock: setup
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra deploy --python-version 3.11 \
		--generate-hashes --no-header --quiet -o $(LOCK)

## Simulate the league at scale 1 and run the whole pipeline into $(HOME_DIR)/
demo: setup
	$(BIN)/aidwatch demo --home $(HOME_DIR)

## Lint and run every test (what CI runs), in one worker process per core (pytest-xdist); a test
## module's fixtures stay in one worker (--dist loadfile), each worker builds the session fixtures
test: setup lint
	$(BIN)/pytest -q --numprocesses auto --dist loadfile

lint: setup
	$(BIN)/ruff check .

## Benchmarks: print figures beside their references (same run), assert nothing.
## Every figure of issue 14, scale 10 and the growth from scale 1 included: ~35 min quiet, ~20 GB
## of disk for the scale-10 inbox and its HOMEs (docs/performance.md). BENCH_SCALES=1 for scale 1
## alone (~8 min). bench_airflow.py is slow (~5 min quiet at scale 1: its own simulation,
## `aidwatch run` as the reference and the DAG's first run through dag.test()).
BENCH_SCALES ?= 1 10
bench: setup
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_pipeline.py --scales $(BENCH_SCALES)
	$(BIN)/python benchmarks/bench_airflow.py --scale 1

## The workspace under 50 concurrent users for 60 s (after `make demo`: it serves $(HOME_DIR))
bench-workspace: setup
	$(BIN)/python benchmarks/bench_workspace.py --home $(HOME_DIR)

## Replay check of the rules: warnings built at 15 dates over a simulated year, each compared
## with that date's truth (recall, precision, severity per rule per date); fails on any wrong one
verify: setup
	$(BIN)/python benchmarks/verify_rules.py

## dbt docs for analysts (after a build)
docs: setup
	$(BIN)/aidwatch docs --home $(HOME_DIR)

clean:
	rm -rf $(VENV) $(HOME_DIR) dbt_project/target dbt_project/logs

## The officials' workspace on http://127.0.0.1:8000/ (SQLite ops database in $(HOME_DIR)/workspace.sqlite),
## with one demo user per role; their passwords are printed once, when first created
serve: setup
	$(BIN)/aidwatch serve --home $(HOME_DIR) --demo-users --workers 2

## Local Airflow (standalone, SQLite) with the DAGs and the demo inbox
airflow: setup
	bash scripts/airflow-standalone.sh $(HOME_DIR)
