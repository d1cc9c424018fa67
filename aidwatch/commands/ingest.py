"""`aidwatch ingest`: check every new file in the inbox against its contract and land it as Parquet.

Why a thin command: the work lives in `ingestion.pipeline` (the Airflow DAG calls the same
functions); this module only parses arguments, shows progress and prints the summary.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aidwatch.arguments import existing_folder, positive_int, usable_home

HELP = """\
Ingest the deliveries in INBOX/<feed_id>/ (csv in UTF-8, UTF-8 with BOM or GB18030; xlsx;
json; jsonl). Every file not yet in the ledger (by sha256) is decoded, its headers matched
to the feed contract, its values normalised and the batch validated by the feed's Great
Expectations suite. Good rows land in HOME/raw/<feed_id>/, bad rows in
HOME/quarantine/<feed_id>/ with every reason, and each file gets a ledger entry in
HOME/ledger/ and a gate report in HOME/reports/gate/.

A snapshot whose count of keys moved beyond its contract's bounds against the last accepted
delivery is held (kept out of the raw zone) until `aidwatch accept|reject BATCH_ID --reason`.
A snapshot resent byte for byte under a new date is `unchanged` (that date's delivery, the
same rows). Paths that are not read (hidden names, unsupported types, symlinks leading out
of the inbox) are `ignored`, with the reason. Control files (`*.manifest.json`, format in
ingestion/feeds.yaml) are checked: a listed file whose sha256 or row count differs is rejected.

Exit status: 0 when every file was loaded (possibly with quarantined rows), unchanged, or
skipped as a duplicate or ignored; 1 when any file was rejected (no date in its name,
undecodable, a quote left open, several data sheets, no recognisable header, a required
column missing, empty, or a control-file mismatch) or held; the reason is in its ledger
entry and the summary.
"""

SUMMARY_FIELDS = ("files", "rows_read", "rows_loaded", "rows_quarantined", "rows_held", "rejected", "held",
                  "unchanged", "duplicate", "ignored")
SUMMARY_TITLES = ("files", "read", "loaded", "quarantined", "held rows", "rejected", "held", "unchanged",
                  "duplicates", "ignored")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="check and land the inbox's new files (exit 1 if any file is rejected)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--inbox", type=existing_folder, default=None,
                        help="folder with one sub-folder per feed (default: HOME/inbox)")
    parser.add_argument("--home", default=None, help="aidwatch HOME (default: $AIDWATCH_HOME, else ./data)")
    parser.add_argument(
        "--workers", type=positive_int, default=2,
        help="cores ingestion may use, at least 1 (default 2): feeds ingested in parallel, or a "
             "second thread for a feed that is alone in the inbox",
    )
    parser.set_defaults(func=run)


def summarise(entries: list[dict]) -> dict[str, dict[str, int]]:
    """Per feed: files, rows read / loaded / quarantined, rejected and duplicate files."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUMMARY_FIELDS, 0))
    for entry in entries:
        row = totals[entry["feed_id"]]
        row["files"] += 1
        row["rows_read"] += entry["rows_read"]
        row["rows_loaded"] += entry["rows_loaded"]
        row["rows_quarantined"] += entry["rows_quarantined"]
        row["rows_held"] += entry.get("rows_held", 0)
        for status in ("rejected", "held", "unchanged", "duplicate", "ignored"):
            row[status] += entry["status"] == status
    return dict(sorted(totals.items()))


def summary_table(entries: list[dict]) -> Table:
    table = Table(title="Ingestion summary (rows read = loaded + quarantined + held)")
    table.add_column("feed", no_wrap=True)
    totals = summarise(entries)
    # the four row counts always; a status column only when some file has that status
    shown = [(field, title) for field, title in zip(SUMMARY_FIELDS, SUMMARY_TITLES, strict=True)
             if field in SUMMARY_FIELDS[:4] or any(row[field] for row in totals.values())]
    for _, title in shown:
        table.add_column(title, justify="right", no_wrap=True)
    for feed_id, row in totals.items():
        style = "red" if row["rejected"] or row["held"] else None
        table.add_row(feed_id, *(f"{row[n]:,}" for n, _ in shown), style=style)
    if totals:
        table.add_row("total", *(f"{sum(r[n] for r in totals.values()):,}" for n, _ in shown),
                      style="bold")
    return table


def run(args: argparse.Namespace) -> int:
    from ingestion.pipeline import ingest_inbox, pending_feeds

    home = usable_home(args.home)
    inbox = (args.inbox or home.inbox).resolve()
    console = Console(stderr=True)
    if not inbox.is_dir():
        console.print(f"[red]inbox {escape(str(inbox))} does not exist[/red]")
        return 1
    feeds = pending_feeds(inbox, home)
    entries: list[dict] = []
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"ingesting {len(feeds)} feeds", total=len(feeds))
        files = {"done": 0, "rows": 0}

        def on_file(entry: dict) -> None:
            files["done"] += 1
            files["rows"] += entry["rows_read"]
            progress.update(task, description=f"{files['done']} files, {files['rows']:,} rows; "
                                              f"last {escape(entry['file'])} ({entry['status']})")

        def on_feed(feed_id: str, done: list[dict]) -> None:
            progress.update(task, advance=1)

        entries = ingest_inbox(inbox, home, workers=args.workers, on_feed=on_feed, on_file=on_file,
                               pending=feeds)
    if entries:
        Console().print(summary_table(entries))
    rejected = [e for e in entries if e["status"] == "rejected"]
    for entry in rejected:
        console.print(f"[red]rejected[/red] {escape(entry['file'])}: {escape('; '.join(entry['reasons']))}")
    held = [e for e in entries if e["status"] == "held"]
    for entry in held:
        console.print(f"[red]held[/red] {escape(entry['file'])} (batch {entry['batch_id']}): "
                      f"{escape(entry['reasons'][0])}")
    for entry in entries:
        if entry["status"] == "ignored":
            console.print(f"[yellow]ignored[/yellow] {escape(entry['file'])}: "
                          f"{escape('; '.join(entry['reasons']))}")
        for warning in entry.get("warnings") or []:
            console.print(f"[yellow]warning[/yellow] {escape(entry['file'])}: {escape(warning)}")
    if not entries:
        console.print(f"nothing new in {escape(str(inbox))}")
    return 1 if rejected or held else 0
