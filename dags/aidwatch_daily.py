"""aidwatch_daily: ingest new deliveries, build and publish the warehouse, export, check feed health.

Why this shape: ingestion writes only Parquet and the ledger, so feeds are ingested in parallel
(one mapped task per feed with new files); DuckDB has one writer, so the build runs alone in the
one-slot pool `aidwatch_warehouse` and only one run is active at a time; the export reads the
published file; the data-quality check runs last so an overdue feed never holds back the
warehouse, yet fails the run loudly.

The DAG stays thin: every task calls the same function as the CLI (docs/design.md). The run's
logical date, taken in the league's time zone (Asia/Shanghai), is the as_of of every step.
HOME and the inbox come from the run's params, else $AIDWATCH_HOME / $AIDWATCH_INBOX, else
./data and HOME/inbox. Every task is idempotent, so retries and reruns are safe.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Asset, Param, TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from aidwatch.home import Home

#: The league's time zone: a logical date is turned into as_of on the local calendar.
LEAGUE_TZ = pendulum.timezone("Asia/Shanghai")
#: One-slot pool that serialises every writer of the warehouse (created by the standalone
#: script and the compose init job: `airflow pools set aidwatch_warehouse 1 ...`).
WAREHOUSE_POOL = "aidwatch_warehouse"
#: Environment variable naming the inbox when the run's `inbox` param is empty.
INBOX_ENV = "AIDWATCH_INBOX"
#: How many feeds one run ingests at once (ingestion is CPU-bound; the executor may cap further).
INGEST_PARALLELISM = 4

#: The published warehouse of the configured HOME; downstream DAGs schedule on it. The event's
#: `extra` carries the as_of and the path actually written (a run may override HOME by param).
WAREHOUSE_ASSET = Asset(name="aidwatch_warehouse", uri=Home.resolve().warehouse.as_uri())

PARAMS = {
    "home": Param(
        None,
        type=["null", "string"],
        title="HOME",
        description="aidwatch HOME folder; empty: $AIDWATCH_HOME, else ./data",
    ),
    "inbox": Param(
        None,
        type=["null", "string"],
        title="Inbox",
        description=f"Folder of deliveries (<feed_id>/...); empty: ${INBOX_ENV}, else HOME/inbox",
    ),
    "max_quarantine_share": Param(
        None,
        type=["null", "number"],
        minimum=0,
        maximum=1,
        title="Quarantine-share limit",
        description="Fail the data-quality check above this share of quarantined rows per feed; "
        "empty: $AIDWATCH_MAX_QUARANTINE_SHARE, else 0.05",
    ),
}


def run_home(params: dict[str, Any]) -> Home:
    """HOME of this run: the `home` param, else $AIDWATCH_HOME, else ./data."""
    return Home.resolve(params.get("home") or None)


def run_inbox(params: dict[str, Any], home: Home) -> Path:
    """Inbox of this run: the `inbox` param, else $AIDWATCH_INBOX, else HOME/inbox."""
    chosen = params.get("inbox") or os.environ.get(INBOX_ENV)
    return Path(chosen).expanduser().resolve() if chosen else home.inbox


def run_as_of(context: dict[str, Any]) -> date:
    """as_of of this run: its logical date (else, for a run without one, its run_after), local calendar."""
    moment = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(moment).in_timezone(LEAGUE_TZ).date()


def json_summary(result: Any) -> Any:
    """A result object as JSON-safe data for XCom (dataclasses, paths and dates become plain values)."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    if isinstance(result, dict):
        return {str(k): json_summary(v) for k, v in result.items()}
    if isinstance(result, list | tuple | set | frozenset):
        return [json_summary(v) for v in result]
    if isinstance(result, str | int | float | bool) or result is None:
        return result
    if isinstance(result, date):
        return result.isoformat()
    return str(result)


@dag(
    dag_id="aidwatch_daily",
    description="Ingest departmental feeds, build and publish the warehouse, export warning lists",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz=LEAGUE_TZ),
    catchup=False,
    max_active_runs=1,
    params=PARAMS,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
    dagrun_timeout=timedelta(hours=6),
    tags=["aidwatch"],
    doc_md=__doc__,
)
def aidwatch_daily() -> None:
    @task
    def find_pending_feeds() -> list[str]:
        """Feeds whose inbox folder holds files the ledger has not seen (none on a rerun)."""
        from ingestion.pipeline import pending_feeds

        params = get_current_context()["params"]
        home = run_home(params)
        return list(pending_feeds(run_inbox(params, home), home))

    @task(max_active_tis_per_dagrun=INGEST_PARALLELISM, map_index_template="{{ feed_id }}")
    def ingest_feed(feed_id: str) -> list[dict[str, Any]]:
        """Land one feed's new files as raw Parquet + ledger entries (a rejected file is recorded)."""
        from ingestion.pipeline import ingest_feed as ingest

        context = get_current_context()
        context["feed_id"] = feed_id  # type: ignore[typeddict-unknown-key]  # for map_index_template
        params = context["params"]
        home = run_home(params)
        entries = ingest(feed_id, run_inbox(params, home), home)
        keep = ("batch_id", "file", "status", "rows_read", "rows_loaded", "rows_quarantined", "reasons")
        return [{k: json_summary(entry.get(k)) for k in keep} for entry in entries]

    @task(pool=WAREHOUSE_POOL, outlets=[WAREHOUSE_ASSET], trigger_rule=TriggerRule.NONE_FAILED)
    def build_warehouse() -> Any:
        """Build the warehouse as a copy with dbt, test it, and publish it (the only writer)."""
        from warehouse.build import BuildFailed, build

        context = get_current_context()
        home = run_home(context["params"])
        as_of = run_as_of(context)
        try:
            result = build(home, as_of)
        except BuildFailed as exc:
            if not exc.failures:
                raise  # dbt crashed or another build held the lock: worth a retry
            # A failing model or test fails the same way on a retry: stop now (the old warehouse stays).
            raise AirflowFailException(f"warehouse build for as_of {as_of} failed: {exc}") from exc
        context["outlet_events"][WAREHOUSE_ASSET].extra = {
            "as_of": as_of.isoformat(),
            "warehouse": str(home.warehouse),
        }
        return json_summary(result)

    @task
    def export_warning_lists() -> Any:
        """Write the officials' warning lists of as_of from the published warehouse."""
        from exports.officials import export_warning_lists as export

        context = get_current_context()
        return json_summary(export(run_home(context["params"]), run_as_of(context), None))

    @task(retries=0)
    def check_data_quality() -> dict[str, Any]:
        """Fail loudly on an overdue feed, a rejected file or too much quarantine (a retry cannot help)."""
        from ingestion.health import (
            check_feed_health,
            format_problems,
            max_quarantine_share,
            write_health_report,
        )

        context = get_current_context()
        home = run_home(context["params"])
        as_of = run_as_of(context)
        limit = max_quarantine_share(context["params"].get("max_quarantine_share"))
        problems = check_feed_health(home, as_of, limit)
        report = write_health_report(home, as_of, problems, limit)
        if problems:
            raise AirflowFailException(
                f"{len(problems)} data-quality problem(s) on as_of {as_of} (report {report}):\n"
                + format_problems(problems)
            )
        return {"as_of": as_of.isoformat(), "problems": 0, "report": str(report)}

    ingested = ingest_feed.expand(feed_id=find_pending_feeds())
    ingested >> build_warehouse() >> export_warning_lists() >> check_data_quality()


aidwatch_daily()
