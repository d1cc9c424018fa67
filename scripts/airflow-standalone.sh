#!/usr/bin/env bash
# Local Airflow for aidwatch in one command: `make airflow` (or `bash scripts/airflow-standalone.sh HOME`).
#
# Runs `airflow standalone` (api-server, scheduler, dag-processor, triggerer; SQLite metadata
# database; LocalExecutor) with:
#   - the project's dags/ folder,
#   - AIRFLOW_HOME = HOME/airflow (config, SQLite database, logs, generated admin password),
#   - the aidwatch HOME and inbox the DAGs read ($AIDWATCH_HOME, $AIDWATCH_INBOX),
#   - a demo inbox simulated into HOME/inbox when it is missing or empty,
#   - the one-slot pool `aidwatch_warehouse` that serialises warehouse builds.
# Development only: production runs the docker-compose stack (docs/airflow.md).
#
# Environment knobs: AIRFLOW_PORT (default 8080), AIRFLOW_HOST (default localhost),
# AIDWATCH_INBOX (default HOME/inbox),
# AIDWATCH_SIMULATE_ARGS (extra arguments for `aidwatch simulate`, e.g. "--scale 0.2").
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home_arg="${1:-${AIDWATCH_HOME:-data}}"
mkdir -p "$home_arg"
home="$(cd "$home_arg" && pwd)"
port="${AIRFLOW_PORT:-8080}"

# The venv's bin first: standalone starts its components as `airflow ...` from PATH.
export PATH="$repo/.venv/bin:$PATH"
export AIDWATCH_HOME="$home"
export AIDWATCH_INBOX="${AIDWATCH_INBOX:-$home/inbox}"
export AIRFLOW_HOME="$home/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$repo/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__API__PORT="$port"
# Listen on this machine only (a development server with a generated password); AIRFLOW_HOST to change.
export AIRFLOW__API__HOST="${AIRFLOW_HOST:-localhost}"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://localhost:$port/execution/"
# The project's packages (ingestion, warehouse, exports) for the DAGs, even without `pip install -e`.
export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"

if ! command -v airflow >/dev/null 2>&1; then
    echo "airflow not found in $repo/.venv/bin: run 'make setup' first" >&2
    exit 1
fi

mkdir -p "$AIRFLOW_HOME"
if [ ! -d "$AIDWATCH_INBOX" ] || [ -z "$(ls -A "$AIDWATCH_INBOX" 2>/dev/null)" ]; then
    echo "aidwatch: no deliveries in $AIDWATCH_INBOX; simulating a demo inbox"
    # shellcheck disable=SC2086  # AIDWATCH_SIMULATE_ARGS is a list of words on purpose
    aidwatch simulate --out "$AIDWATCH_INBOX" ${AIDWATCH_SIMULATE_ARGS:-}
fi

airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || {
    echo "airflow db migrate failed; see $AIRFLOW_HOME/db-migrate.log" >&2
    exit 1
}
airflow pools set aidwatch_warehouse 1 "aidwatch: one warehouse writer at a time (DuckDB has one writer)" \
    >/dev/null

# The same environment for a second shell (CLI triggers, `airflow tasks test`, ...).
env_file="$AIRFLOW_HOME/aidwatch-env.sh"
{
    echo "# written by scripts/airflow-standalone.sh: source it to use this local Airflow"
    for name in PATH PYTHONPATH AIDWATCH_HOME AIDWATCH_INBOX AIRFLOW_HOME AIRFLOW__CORE__DAGS_FOLDER \
        AIRFLOW__CORE__LOAD_EXAMPLES AIRFLOW__API__PORT AIRFLOW__API__HOST \
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL; do
        printf 'export %s=%q\n' "$name" "${!name}"
    done
} >"$env_file"

manifest="$AIDWATCH_INBOX/_truth/manifest.json"
as_of=""
if [ -f "$manifest" ]; then
    as_of="$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["as_of"])' "$manifest")"
fi
logical_date="${as_of:-$(date +%F)}"

cat <<EOF

aidwatch local Airflow
  URL:       http://localhost:$port
  login:     admin; the password is generated on first start and kept in
             $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated
  HOME:      $AIDWATCH_HOME
  inbox:     $AIDWATCH_INBOX
  DAGs:      $AIRFLOW__CORE__DAGS_FOLDER (paused at creation)
  Run the demo day from another shell (trigger first: unpausing also schedules today's run):
    source $env_file
    airflow dags trigger aidwatch_daily --logical-date ${logical_date}T06:00:00+08:00
    airflow dags unpause aidwatch_daily
  or in the UI: Dags > aidwatch_daily > Trigger (logical date $logical_date), then unpause.
  Stop with Ctrl-C.

EOF

exec airflow standalone
