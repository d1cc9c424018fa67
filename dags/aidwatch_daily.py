"""aidwatch_daily: ingest new deliveries, build and publish the warehouse, export, check feed health.

Why this shape: ingestion writes only Parquet and the ledger, so feeds are ingested in parallel
(one task whose feed workers fork after a single Great Expectations import); DuckDB has one writer,
so the build runs alone in the one-slot pool `aidwatch_warehouse` and only one run is active at a
time; the export reads the published file.

Two signals, kept apart: the run's state says whether the *pipeline* worked; the *data's* health
(held or rejected files, overdue feeds, quarantine share, loose permissions) goes to the health
report, the workspace's banner and the operator's notifier (aidwatch/health_signal.py), never
to the run state. So `check_data_quality` never fails for a data problem, and it runs on its own
branch after the build whatever the build did (trigger rule all_done): a failed build still
gets its health report. Airflow sets a run's state from its leaf tasks, so the export stays a
leaf and a failed ingest or build (export upstream_failed) still fails the run. A failed run
is notified by the DAG's on_failure_callback through the same channels.

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
from airflow.sdk import Asset, Context, Param, TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from aidwatch.home import Home
from aidwatch.league_calendar import LEAGUE_ZONE
from aidwatch.permissions import use_private_umask

#: The league's time zone: a logical date is turned into as_of on the local calendar.
LEAGUE_TZ = pendulum.timezone(LEAGUE_ZONE.key)
#: One-slot pool that serialises every writer of the warehouse (created by the standalone
#: script and the compose init job: `airflow pools set aidwatch_warehouse 1 ...`).
WAREHOUSE_POOL = "aidwatch_warehouse"
#: Environment variable naming the inbox when the run's `inbox` param is empty.
INBOX_ENV = "AIDWATCH_INBOX"
#: How many feeds one run ingests at once, in worker processes of its one ingest task (CPU-bound).
INGEST_PARALLELISM = 4
#: Environment variable with the address(es) data-quality and failure e-mails go to (comma-separated).
ALERT_EMAIL_ENV = "AIDWATCH_ALERT_EMAIL"

#: execution_timeout per task, from the measured durations at scale 1 (docs/performance.md):
#: ingest 65 s quiet, 129 s at load 20 with a 57 s Great Expectations import; the daily build
#: 47.5 s quiet, a full dbt parse 122 s at load 19, plus up to BUILD_LOCK_TIMEOUT_SECONDS (20 min)
#: waiting for another build; the whole first Airflow run of the demo took 416 s. Each bound is
#: roughly ten times the loaded figure: a task past it is hung, not slow. The data-quality check
#: reads the ledger (under a second) and walks HOME's modes, then posts to the notifier (10 s).
#: Larger leagues (docs/scale.md) need larger bounds.
TASK_TIMEOUTS = {
    "find_pending_feeds": timedelta(minutes=10),
    "ingest_feeds": timedelta(minutes=45),
    "deliver_feedback": timedelta(minutes=15),
    "build_warehouse": timedelta(minutes=60),
    "export_warning_lists": timedelta(minutes=20),
    "check_data_quality": timedelta(minutes=10),
}

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
        description="Alert on a feed above this share of quarantined rows; "
        "empty: $AIDWATCH_MAX_QUARANTINE_SHARE, else 0.05",
    ),
}


def run_home(params: dict[str, Any]) -> Home:
    """HOME of this run: the `home` param, else $AIDWATCH_HOME, else ./data.

    Every task asks for HOME first, so here its process gets the private umask
    (aidwatch/permissions.py): what the task writes into HOME is 0600/0700.
    """
    use_private_umask()
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


def send_email(subject: str, html: str) -> bool:
    """E-mail through Airflow's SMTP notifier (connection `smtp_default`) when $AIDWATCH_ALERT_EMAIL is set.

    A failure to send is logged, never raised: the run's state must not depend on the mail server.
    Subject and body are final text, so the notifier gets no context to render them with (a DAG
    callback's context may carry a DAG without a template environment).
    """
    import logging

    to = os.environ.get(ALERT_EMAIL_ENV)
    if not to:
        return False
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    try:
        SmtpNotifier(to=[a.strip() for a in to.split(",") if a.strip()], subject=subject,
                     html_content=html).notify({})
    except Exception as error:  # any SMTP, connection or configuration error: the alert is logged anyway
        logging.getLogger(__name__).error("alert e-mail to %s could not be sent: %s", to, error)
        return False
    return True


def notify_failed_run(context: Context) -> None:
    """DAG on_failure_callback: the pipeline failed; tell the operator by webhook and e-mail."""
    from html import escape

    from aidwatch.alerts import notify_pipeline_failure

    as_of = run_as_of(context) if context.get("logical_date") or context.get("dag_run") else None
    ti = context.get("ti")
    failed_task = ti.task_id if ti is not None else None
    run_id = str(context.get("run_id") or "")
    reason = str(context.get("reason") or "failed")
    notify_pipeline_failure(as_of, run_id, failed_task, reason)
    subject = f"aidwatch: pipeline run {run_id} failed" + (f" at {failed_task}" if failed_task else "")
    send_email(subject, f"<p>{escape(subject)} ({escape(reason)}). See the task's log in "
                        "Airflow; the published warehouse is the one before.</p>")


@dag(
    dag_id="aidwatch_daily",
    description="Ingest departmental feeds, build and publish the warehouse, export warning lists",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz=LEAGUE_TZ),
    catchup=False,
    max_active_runs=1,
    params=PARAMS,
    # Retries only where one can help (a crash, a lock held by a hung process, a file system
    # hiccup): each task sets its own; none on the data-quality check or a failing dbt test.
    default_args={"retries": 1, "retry_delay": timedelta(minutes=2)},
    dagrun_timeout=timedelta(hours=6),
    on_failure_callback=notify_failed_run,
    tags=["aidwatch"],
    doc_md=__doc__,
)
def aidwatch_daily() -> None:
    @task(retries=2, execution_timeout=TASK_TIMEOUTS["find_pending_feeds"])
    def find_pending_feeds() -> list[str]:
        """Feeds whose inbox folder holds files the ledger has not seen (none on a rerun)."""
        from ingestion.pipeline import pending_feeds

        params = get_current_context()["params"]
        home = run_home(params)
        return list(pending_feeds(run_inbox(params, home), home))

    @task(execution_timeout=TASK_TIMEOUTS["ingest_feeds"])
    def ingest_feeds(feed_ids: list[str]) -> list[dict[str, Any]]:
        """Land the pending feeds' new files as raw Parquet + ledger entries (a rejected file is recorded).

        One task, not one mapped task per feed: Great Expectations takes 7-13 s to import, and
        27 mapped tasks paid it 27 times (issue 14). `ingest_inbox` imports it once and forks
        INGEST_PARALLELISM feed workers after the import.
        """
        from airflow.sdk.exceptions import AirflowSkipException

        from ingestion.pipeline import ingest_inbox

        if not feed_ids:
            raise AirflowSkipException("no feed has a file the ledger has not seen")
        params = get_current_context()["params"]
        home = run_home(params)
        entries = ingest_inbox(run_inbox(params, home), home, workers=INGEST_PARALLELISM)
        keep = ("batch_id", "file", "status", "rows_read", "rows_loaded", "rows_quarantined", "reasons")
        return [{k: json_summary(entry.get(k)) for k in keep} for entry in entries]

    @task(trigger_rule=TriggerRule.NONE_FAILED, execution_timeout=TASK_TIMEOUTS["deliver_feedback"])
    def deliver_feedback() -> list[dict[str, Any]]:
        """Deliver the officials' feedback (workspace) as the feed warning_feedback, before the build."""
        from warehouse.pipeline import deliver_officials_feedback

        context = get_current_context()
        entries = deliver_officials_feedback(run_home(context["params"]), run_as_of(context))
        keep = ("batch_id", "file", "status", "rows_read", "rows_loaded", "rows_quarantined", "reasons")
        return [{k: json_summary(entry.get(k)) for k in keep} for entry in entries]

    @task(pool=WAREHOUSE_POOL, outlets=[WAREHOUSE_ASSET], trigger_rule=TriggerRule.NONE_FAILED,
          execution_timeout=TASK_TIMEOUTS["build_warehouse"])
    def build_warehouse() -> Any:
        """Build the warehouse as a copy with dbt, test it, and publish it (the only writer)."""
        from warehouse.build import BuildFailed, PublishRefused, build

        context = get_current_context()
        home = run_home(context["params"])
        as_of = run_as_of(context)
        try:
            result = build(home, as_of)
        except BuildFailed as exc:
            if not exc.failures and not isinstance(exc, PublishRefused):
                raise  # dbt crashed or another build held the lock past its timeout: worth a retry
            # A failing model or test fails the same way on a retry: stop now (the old warehouse stays).
            raise AirflowFailException(f"warehouse build for as_of {as_of} failed: {exc}") from exc
        context["outlet_events"][WAREHOUSE_ASSET].extra = {
            "as_of": as_of.isoformat(),
            "warehouse": str(result.warehouse),
        } | ({"replay": True} if result.replay else {})
        if result.replay:  # an earlier as_of than the published one (backfill, cleared old run)
            print(f"as_of {as_of} replayed into {result.warehouse}; the published warehouse "
                  f"(as_of {result.published_as_of}) is unchanged")
        return json_summary(result)

    @task(execution_timeout=TASK_TIMEOUTS["export_warning_lists"])
    def export_warning_lists() -> Any:
        """Write the officials' warning lists of as_of from the published warehouse."""
        from airflow.sdk.exceptions import AirflowSkipException

        from exports.officials import export_warning_lists as export
        from warehouse.build import published_as_of

        context = get_current_context()
        home, as_of = run_home(context["params"]), run_as_of(context)
        published = published_as_of(home)
        if published is not None and as_of < published:
            raise AirflowSkipException(f"as_of {as_of} was a replay (result {home.replay_warehouse(as_of)}); "
                                       f"officials' lists come from the published as_of {published}")
        return json_summary(export(home, as_of, None))

    @task(retries=0, trigger_rule=TriggerRule.ALL_DONE, execution_timeout=TASK_TIMEOUTS["check_data_quality"])
    def check_data_quality() -> dict[str, Any]:
        """Write the health report and alert on every problem not acknowledged; never fails for data.

        Runs whatever the build did (all_done). No retry: a retry cannot make a feed arrive.
        """
        from aidwatch.health_signal import check_and_alert, email_text

        context = get_current_context()
        home = run_home(context["params"])
        signal = check_and_alert(home, run_as_of(context), context["params"].get("max_quarantine_share"))
        if signal.alerting and send_email(*email_text(signal)):
            signal.channels.append("email")
        return signal.summary()

    ingested = ingest_feeds(find_pending_feeds())
    built = ingested >> deliver_feedback() >> build_warehouse()
    built >> export_warning_lists()  # a leaf: a failed build or export fails the run
    built >> check_data_quality()  # a leaf on its own branch: succeeds whatever the data looks like


aidwatch_daily()
