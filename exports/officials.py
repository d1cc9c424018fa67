"""Officials' warning lists: one workbook per banner, per township and for the league.

Why per area: a township official opens the list on Monday and sees whom to visit
in their township only (§20, §21); personal data goes to no one who does not need
it (PIPL art. 28, 51), and what they see is masked.
The Airflow DAG and `aidwatch export` both call `export_warning_lists`.
"""

from __future__ import annotations

import getpass
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from aidwatch.home import Home
from exports.audit import append_audit_record, sha256_of
from exports.evidence import render_evidence
from exports.labels import CATEGORY_ZH, SEVERITY_ZH, STATUS_ZH, SUBJECT_TYPE_ZH
from exports.masking import mask_id_number, mask_name
from exports.published import (
    Area,
    load_areas,
    load_history_counts,
    load_history_rows,
    load_rule_names,
    load_warnings,
    open_published,
    published_as_of,
    region_names,
)
from exports.report_html import render_report
from exports.summary import AreaCounts, count_area
from exports.workbook import build_workbook, save_deterministic

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


class ExportAsOfMismatch(ValueError):
    """The published warehouse was built for another as_of than the one asked for."""


@dataclass
class ExportResult:
    """What one export wrote."""

    as_of: date
    out_dir: Path
    workbooks: dict[str, Path] = field(default_factory=dict)  # area label -> file
    rows_by_area: dict[str, int] = field(default_factory=dict)
    report: Path | None = None
    audit_record: dict = field(default_factory=dict)

    @property
    def files(self) -> list[Path]:
        return [*self.workbooks.values(), *([self.report] if self.report else [])]


def workbook_name(area: Area) -> str:
    return f"{area.code}_{area.name}_预警清单.xlsx"


def report_name(league: Area) -> str:
    return f"{league.code}_{league.name}_预警分析报告.html"


def rows_of_area(area: Area, rows: list[dict]) -> list[dict]:
    """Only the area's own rows (the league sees every row)."""
    if area.level == "league":
        return list(rows)
    key = "banner_code" if area.level == "banner" else "township_code"
    return [row for row in rows if row.get(key) == area.code]


def display_row(row: dict, names: dict[str, tuple[str, str]]) -> dict:
    """A warning as an official sees it: Chinese labels, masked person, readable evidence."""

    def name_of(code: str | None) -> str:
        return names.get(code, ("", ""))[1] if code else ""

    region = row.get("region_code")
    village = names.get(region) if region else None
    first_seen = row.get("first_seen_on")
    return {
        **{key: row.get(key) for key in ("rule_id", "severity", "status", "banner_code", "township_code")},
        "priority_rank": row.get("priority_rank"),
        "severity_zh": SEVERITY_ZH.get(row.get("severity"), row.get("severity")),
        "status_zh": STATUS_ZH.get(row.get("status"), row.get("status")),
        "days_open": row.get("days_open"),
        "rule_name_zh": row.get("rule_name_zh"),
        "category_zh": CATEGORY_ZH.get(row.get("category"), row.get("category")),
        "policy_clause": row.get("policy_clause"),
        "subject_type_zh": SUBJECT_TYPE_ZH.get(row.get("subject_type"), row.get("subject_type")),
        "name_masked": mask_name(row.get("person_name")),
        "id_number_masked": mask_id_number(row.get("id_number")),
        "household_id": row.get("household_id"),
        "banner_name": name_of(row.get("banner_code")),
        "township_name": name_of(row.get("township_code")),
        "village_name": village[1] if village and village[0] == "village" else "",
        "evidence_zh": render_evidence(str(row.get("rule_id")), row.get("evidence")),
        "suggested_action_zh": row.get("suggested_action_zh"),
        "first_seen_on": first_seen.isoformat() if hasattr(first_seen, "isoformat") else first_seen,
        "warning_key": row.get("warning_key"),
    }


def previous_export(home: Home, as_of: date) -> tuple[str, dict] | None:
    """The manifest of the latest earlier export under HOME/exports, if any."""
    if not home.exports.exists():
        return None
    earlier = []
    for folder in home.exports.iterdir():
        try:
            folder_date = date.fromisoformat(folder.name)
        except ValueError:
            continue
        if folder_date < as_of and (folder / MANIFEST).exists():
            earlier.append(folder_date)
    if not earlier:
        return None
    chosen = max(earlier)
    manifest = json.loads((home.exports / chosen.isoformat() / MANIFEST).read_text(encoding="utf-8"))
    return f"上期导出（{chosen.isoformat()}）", manifest


def previous_counts(
    home: Home, con: duckdb.DuckDBPyConnection, as_of: date, areas: list[Area]
) -> tuple[str | None, dict[str, AreaCounts]]:
    """Each area's counts at the previous export, else at the previous run of warning_history."""
    found = previous_export(home, as_of)
    if found:
        label, manifest = found
        return label, {
            key: AreaCounts.from_json(value["counts"]) for key, value in manifest.get("areas", {}).items()
        }
    history = load_history_rows(con, as_of)
    if not history:
        return None, {}
    label = f"上次运行（{history[0]['as_of']}，预警历史）"
    return label, {area.label: count_area(rows_of_area(area, history)) for area in areas}


def remove_stale_files(out: Path, keep: set[str]) -> None:
    """Files an earlier export of the same folder wrote that this one does not (an area gone)."""
    manifest_path = out / MANIFEST
    if not manifest_path.exists():
        return
    old = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name in old.get("files", []):
        if name not in keep and (out / name).exists():
            (out / name).unlink()


def export_warning_lists(home: Home, as_of: date | None = None, out: Path | None = None) -> ExportResult:
    """Write every area's workbook, the league report and the manifest; log the export.

    `as_of` defaults to the as_of of the published warehouse; asking for another
    one is an error (the published warnings are that day's). Running it twice for
    the same as_of gives byte-identical files.
    """
    with open_published(home) as con:
        built_for = published_as_of(con)
        if as_of is None:
            if built_for is None:
                raise ExportAsOfMismatch(f"{home.warehouse}: marts.warnings is empty; pass --as-of")
            as_of = built_for
        elif built_for is not None and built_for != as_of:
            raise ExportAsOfMismatch(
                f"{home.warehouse}: warnings are for {built_for}, not {as_of}; build for {as_of} first"
            )
        raw_rows = load_warnings(con)
        names = region_names(con)
        areas = load_areas(con, raw_rows)
        previous_label, previous = previous_counts(home, con, as_of, areas)
        history = load_history_counts(con, as_of)
        rows = [display_row(row, names) for row in raw_rows]
        rule_names = load_rule_names(con)
        township_names = {a.code: a.name for a in areas if a.level == "township"}
        banner_names = {a.code: a.name for a in areas if a.level == "banner"}
        target = out or home.exports / as_of.isoformat()
        target.mkdir(parents=True, exist_ok=True)
        result = ExportResult(as_of=as_of, out_dir=target)
        manifest_areas: dict[str, dict] = {}
        for area in areas:
            area_rows = rows_of_area(area, rows)
            counts = count_area(area_rows)
            workbook = build_workbook(
                area, area_rows, as_of, counts, previous.get(area.label), previous_label,
                rule_names, township_names,
            )
            path = target / workbook_name(area)
            save_deterministic(workbook, path, as_of)
            result.workbooks[area.label] = path
            result.rows_by_area[area.label] = len(area_rows)
            manifest_areas[area.label] = {
                "level": area.level, "code": area.code, "name": area.name,
                "rows": len(area_rows), "file": path.name, "counts": counts.to_json(),
            }
        league = areas[0]
        report = target / report_name(league)
        html = render_report(con, league, as_of, count_area(rows), rule_names, banner_names, history)
        report.write_text(html, encoding="utf-8")
        result.report = report
    file_names = sorted(path.name for path in result.files)
    remove_stale_files(target, set(file_names))
    manifest = {"as_of": as_of.isoformat(), "areas": manifest_areas, "files": file_names}
    manifest_text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True)
    (target / MANIFEST).write_text(manifest_text, encoding="utf-8")
    result.audit_record = {
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "user": getpass.getuser(),
        "warehouse": str(home.warehouse),
        "out_dir": str(target),
        "rows_total": len(rows),
        "areas": [
            {"level": v["level"], "code": v["code"], "name": v["name"], "rows": v["rows"]}
            for v in manifest_areas.values()
        ],
        "files": [
            {"file": path.name, "sha256": sha256_of(path), "bytes": path.stat().st_size}
            for path in sorted(result.files)
        ],
    }
    append_audit_record(home, result.audit_record)
    log.info("exported %d warnings for %s into %s (%d files)", len(rows), as_of, target, len(result.files))
    return result
