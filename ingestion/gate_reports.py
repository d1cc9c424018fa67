"""The data team's gate reports: a page per file, an index per ingest run, in the department's terms.

Why: the gate writes one JSON result per batch; hundreds of pages without an index,
no page for a rejected file and samples in the gate's internal columns do not tell
the data team what to send back to a department. Here:

- `department_samples` rewrites a batch report's samples into what the department
  sent: the delivered header texts and the cell texts as delivered, and row numbers
  counted as the quarantine counts them (`_source_row`: data rows from 1 after the
  header), so the report, the quarantine Parquet and the file agree;
- `batch_page` renders one batch's report (no JavaScript, no network);
- `entry_page` renders a file the gate never validated (rejected, ignored, held,
  duplicate ...) from its ledger entry, so every file of a run has a page;
- `write_run_reports` writes the run's index (by feed and outcome, with links) and
  refreshes `reports/gate/index.html`, which lists every run.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from aidwatch.home import Home
from ingestion.headers import HeaderMapping
from ingestion.landing import write_atomic_bytes
from ingestion.readers import RawTable

RUNS_FOLDER = "runs"
INDEX = "index.html"
ERROR_SUFFIX = "__error"
OUTCOME_ZH = {
    "loaded": "已入库",
    "loaded_with_quarantine": "已入库（部分行隔离）",
    "unchanged": "与上次相同",
    "held": "暂扣待确认",
    "accepted": "人工放行",
    "rejected": "拒收",
    "duplicate": "重复文件",
    "ignored": "未处理",
}
OUTCOME_ORDER = ["rejected", "held", "loaded_with_quarantine", "ignored", "duplicate", "unchanged",
                 "accepted", "loaded"]
STYLE = """body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}th{background:#ddebf7}
tr.bad td{background:#fde2e2}tr.warn td{background:#fff2cc}.n{text-align:right}code{font-size:12px}"""


def _contract_column(gate_column: str) -> str:
    """The contract column a gate-frame column checks (`id_number__error` -> `id_number`)."""
    return gate_column[: -len(ERROR_SUFFIX)] if gate_column.endswith(ERROR_SUFFIX) else gate_column


def _checked_positions(expectation: dict, mapping: HeaderMapping) -> list[int]:
    """Delivered column positions an expectation is about (all mapped ones for a row-level check)."""
    names: list[str] = []
    if expectation.get("column"):  # a compound key is named "a+b"
        names += str(expectation["column"]).split("+")
    kwargs = expectation.get("kwargs") or {}
    for key in ("column", "column_A", "column_B"):
        if isinstance(kwargs.get(key), str):
            names.append(_contract_column(kwargs[key]))
    names += [_contract_column(c) for c in kwargs.get("column_list") or [] if isinstance(c, str)]
    positions = [mapping.positions[n] for n in dict.fromkeys(names) if n in mapping.positions]
    return positions or sorted(mapping.positions.values())


def department_samples(report: dict, table: RawTable, mapping: HeaderMapping, reasons: pd.Series) -> dict:
    """The report with every sample in the delivered headers and texts, rows numbered as the quarantine.

    `sample_rows` in the gate's result are 0-based positions in the batch; they become
    the file's data-row numbers (`_source_row` of the quarantine, 1 = first row after the
    header; blank lines are not counted). `sample_reasons` are the rows' reasons as the
    quarantine records them (`reasons`: per batch row, null when it passed).
    """
    for expectation in report.get("expectations", []):
        _department_sample(expectation, table, mapping, reasons)
    report["note"] = ("sample_rows are the file's data rows counted from 1 after the header, as _source_row "
                      "in the quarantine; sample_values are the delivered headers and cell texts")
    return report


def _department_sample(expectation: dict, table: RawTable, mapping: HeaderMapping,
                       reasons: pd.Series) -> None:
    """One expectation's samples (0-based batch positions) rewritten in the department's terms."""
    positions = [int(p) for p in expectation.get("sample_rows", [])]
    columns = _checked_positions(expectation, mapping)
    expectation["sample_rows"] = [int(table.source_rows.iloc[p]) for p in positions]
    expectation["sample_values"] = [
        {table.headers[c] or f"第{c + 1}列": _cell(table, p, c) for c in columns} for p in positions
    ]
    expectation["sample_reasons"] = [
        None if reasons.iloc[p] is None or reasons.iloc[p] != reasons.iloc[p] else str(reasons.iloc[p])
        for p in positions
    ]


def add_check_beyond_the_file(report: dict, check: dict, positions: np.ndarray, table: RawTable,
                              mapping: HeaderMapping, reasons: pd.Series, sample: int) -> dict:
    """The batch's report with a failed check the gate could not make from the file alone.

    Why: a check that needs the raw zone (`ingestion.same_day`) quarantines rows after GX
    has validated the file; without this the report said "passed, 0 rows failing" of a file
    the ledger records as loaded with quarantine, and the department's samples left those
    rows out. `check`: the entry's `expectation`, `column`, `reason` and `kwargs`;
    `positions`: the newly failing rows (0-based in the batch), `reasons` their texts per
    batch row. GX's own part of the report (`validation`) is left as GX returned it.
    """
    rows = int(report.get("rows") or len(table.source_rows))
    entry = {**check, "success": False, "unexpected_count": int(len(positions)),
             "unexpected_percent": round(100 * len(positions) / rows, 4) if rows else 0.0,
             "sample_rows": [int(p) for p in positions[:sample]],
             "checked_by": "aidwatch, against the batches already in the raw zone (not GX)"}
    _department_sample(entry, table, mapping, reasons)
    report["expectations"].append(entry)
    report["success"] = False
    report["rows_failing"] = int(report.get("rows_failing") or 0) + int(len(positions))
    return report


def _cell(table: RawTable, row: int, column: int) -> str | None:
    value = table.cells[str(column)].iloc[row]
    return None if value is None or value != value else str(value)


def _page(title: str, body: str) -> str:
    esc = html.escape
    return (f'<!doctype html>\n<html lang="zh"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")


def batch_page(report: dict) -> str:
    """One validated batch: verdict, every expectation, samples as the department sent them."""
    esc = html.escape
    rows = []
    for e in report["expectations"]:
        status = "通过 pass" if e["success"] else "未通过 FAIL"
        reasons = e.get("sample_reasons") or [None] * len(e.get("sample_rows", []))
        samples = "".join(
            f"<div>第{row}行 row {row}: {esc(json.dumps(values, ensure_ascii=False)[:300])}"
            + (f" — {esc(reason)}" if reason else "") + "</div>"
            for row, values, reason in zip(e.get("sample_rows", []), e.get("sample_values", []), reasons,
                                           strict=False)
        )
        rows.append(
            f"<tr class={'ok' if e['success'] else 'bad'}><td>{esc(str(e['column']))}</td>"
            f"<td>{esc(e['expectation'])}</td><td>{esc(str(e['reason']))}</td><td>{status}</td>"
            f"<td class=n>{e['unexpected_count']}</td><td>{samples}</td></tr>"
        )
    verdict = "通过 passed" if report["success"] else "未通过 failed"
    body = (
        f"<p><a href=\"{INDEX}\">所有运行 All runs</a></p>"
        f"<h1>数据质量校验 Data-quality gate: {esc(report['batch_id'])}</h1>"
        f"<p>Feed <b>{esc(report['feed_id'])}</b>, suite <code>{esc(report['suite'])}</code>, "
        f"extract date {esc(report['extract_date'])}: <b>{verdict}</b>. "
        f"Rows {report['rows']}, rows failing {report['rows_failing']} "
        "(quarantined rows: HOME/quarantine/&lt;feed&gt;/&lt;batch&gt;.parquet, same row numbers).</p>"
        f"<p>{esc(report.get('note', ''))}</p>"
        "<table><tr><th>column</th><th>expectation</th><th>reason</th><th>result</th><th>failing</th>"
        f"<th>sample rows as delivered</th></tr>{''.join(rows)}</table>"
    )
    return _page(f"Gate {report['batch_id']}", body)


def entry_page(entry: dict) -> str:
    """A file the gate did not validate (or did not load): what happened and why, from its ledger entry."""
    esc = html.escape
    status = entry.get("status", "")
    reasons = "".join(f"<li>{esc(str(r))}</li>" for r in entry.get("reasons") or []) or "<li>—</li>"
    facts = "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(str(entry.get(k)))}</td></tr>"
        for k in ("feed_id", "file", "extract_date", "format", "encoding", "sha256", "size_bytes",
                  "rows_read", "rows_loaded", "rows_quarantined", "started_at")
        if k in entry
    )
    body = (
        f"<p><a href=\"{INDEX}\">所有运行 All runs</a></p>"
        f"<h1>{esc(OUTCOME_ZH.get(status, status))} {esc(status)}: {esc(entry.get('file', ''))}</h1>"
        f"<h2>原因 Reasons</h2><ul>{reasons}</ul><table>{facts}</table>"
    )
    return _page(f"Gate {entry.get('batch_id', '')}", body)


def page_name(entry: dict) -> str:
    """The page of a ledger entry: its batch's report page, or one of its own for an unvalidated file."""
    batch = str(entry.get("batch_id") or "")
    safe = re.sub(r"[^\w.-]", "_", batch or str(entry.get("file", "unknown")))
    return f"{safe}.html"


def run_id(entries: list[dict]) -> str:
    """A run's name: when its first file started (UTC), safe for a file name."""
    started = min((str(e.get("started_at") or "") for e in entries), default="") or "unknown"
    return re.sub(r"[^0-9A-Za-z]", "", started.split(".")[0].replace("+00:00", ""))[:15] or "unknown"


def run_page(run: str, entries: list[dict]) -> str:
    """The index of one run: outcome counts, then every file by feed and outcome with a link."""
    esc = html.escape
    outcomes = Counter(e.get("status", "") for e in entries)
    summary = "".join(
        f"<tr><td>{esc(OUTCOME_ZH.get(s, s))} {esc(s)}</td><td class=n>{outcomes[s]}</td></tr>"
        for s in sorted(outcomes, key=lambda s: OUTCOME_ORDER.index(s) if s in OUTCOME_ORDER else 99)
    )
    by_feed: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        by_feed[str(entry.get("feed_id", ""))].append(entry)
    lines = []
    for feed in sorted(by_feed):
        ordered = sorted(by_feed[feed], key=lambda e: (
            OUTCOME_ORDER.index(e.get("status")) if e.get("status") in OUTCOME_ORDER else 99,
            str(e.get("file"))))
        for entry in ordered:
            status = entry.get("status", "")
            css = "bad" if status in ("rejected", "held") else ""
            css = "warn" if status == "loaded_with_quarantine" else css
            reasons = "; ".join(str(r) for r in entry.get("reasons") or [])
            lines.append(
                f"<tr class='{css}'><td>{esc(feed)}</td><td>{esc(OUTCOME_ZH.get(status, status))}</td>"
                f"<td><a href=\"../{esc(page_name(entry))}\">{esc(str(entry.get('file', '')))}</a></td>"
                f"<td class=n>{entry.get('rows_read', '')}</td>"
                f"<td class=n>{entry.get('rows_loaded', '')}</td>"
                f"<td class=n>{entry.get('rows_quarantined', '')}</td><td>{esc(reasons[:300])}</td></tr>"
            )
    body = (
        f"<p><a href=\"../{INDEX}\">所有运行 All runs</a></p><h1>入库运行 Ingest run {esc(run)}</h1>"
        f"<p>{len(entries)} files.</p><table><tr><th>结果 outcome</th><th>files</th></tr>{summary}</table>"
        "<table><tr><th>feed</th><th>结果 outcome</th><th>file (report)</th><th>read</th><th>loaded</th>"
        f"<th>quarantined</th><th>reasons</th></tr>{''.join(lines)}</table>"
    )
    return _page(f"Ingest run {run}", body)


def write_run_reports(home: Home, entries: list[dict]) -> Path | None:
    """Pages for the run's unvalidated files, the run's index page and the index of all runs.

    Returns the run page (None when the run recorded nothing). Existing batch pages
    (written by the pipeline for every validated batch) are linked, not rewritten.
    """
    if not entries:
        return None
    folder = home.gate_reports
    (folder / RUNS_FOLDER).mkdir(parents=True, exist_ok=True)
    for entry in entries:
        page = folder / page_name(entry)
        if not page.exists():
            _write(page, entry_page(entry))
    run = run_id(entries)
    run_path = folder / RUNS_FOLDER / f"{run}.html"
    _write(run_path, run_page(run, entries))
    _write(folder / INDEX, runs_index(folder / RUNS_FOLDER))
    return run_path


def runs_index(runs_folder: Path) -> str:
    """Every run page, newest first."""
    esc = html.escape
    pages = sorted(runs_folder.glob("*.html"), reverse=True)
    items = "".join(f'<li><a href="{RUNS_FOLDER}/{esc(p.name)}">{esc(p.stem)}</a></li>' for p in pages)
    return _page("Gate reports", f"<h1>数据质量校验报告 Gate reports</h1><ul>{items}</ul>")


def _write(path: Path, text: str) -> None:
    write_atomic_bytes(path, text.encode("utf-8"))
