"""Officials' warning lists: one workbook per banner, per township and for the league.

Why per area: a township official opens the list on Monday and sees whom to visit
in their township only (§20, §21); personal data goes to no one who does not need
it (PIPL art. 28, 51), and what they see is masked.
The Airflow DAG and `aidwatch export` both call `export_warning_lists`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from aidwatch.feedback.published import OFF_THE_LIST, status_label, verify_limit_label
from aidwatch.home import Home
from exports.audit import audited_write
from exports.evidence import render_evidence
from exports.labels import (
    CATEGORY_ZH,
    REFERENCE_KIND_ZH,
    SEVERITY_ORDER,
    SEVERITY_ZH,
    STATUS_ZH,
    SUBJECT_TYPE_ZH,
)
from exports.masking import mask_id_number, mask_ids_in_text, mask_name
from exports.published import (
    Area,
    first_present,
    load_areas,
    load_history_counts,
    load_history_rows,
    load_rule_names,
    load_warnings,
    open_published,
    published_as_of,
    region_names,
    table_columns,
    tables_like,
)
from exports.report_html import render_report
from exports.summary import AreaCounts, count_area
from exports.workbook import BANNER_LEVEL_ZH, build_workbook, save_deterministic
from ingestion.contracts import load_feeds

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


class ExportAsOfMismatch(ValueError):
    """The published warehouse was built for another as_of than the one asked for."""


class ExportTargetNotEmpty(ValueError):
    """The chosen output folder holds files of something other than an earlier export."""


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
    """Only the area's own rows (the league sees every row), in the area's order of handling.

    Dismissed (不属实) and handled warnings leave the officials' lists (spec workspace.md).
    """
    rows = [row for row in rows if row.get("status") not in OFF_THE_LIST]
    if area.level == "league":
        return rank_for_area(rows)
    key = "banner_code" if area.level == "banner" else "township_code"
    return rank_for_area([row for row in rows if row.get(key) == area.code])


def handling_order(row: dict) -> tuple:
    """Open warnings before resolved ones; then severity (high first), the household's
    priority (a household with several warnings is visited once), days open (longest first);
    rule and key make the order the same on every run."""
    rank = row.get("priority_rank")
    days = row.get("days_open")
    return (
        row.get("status") == "resolved",
        SEVERITY_ORDER.get(row.get("severity") or "", 9),
        rank is None,
        rank or 0,
        -(days or 0),
        str(row.get("rule_id") or ""),
        str(row.get("warning_key") or ""),
    )


def rank_for_area(rows: list[dict]) -> list[dict]:
    """The rows in handling order with `area_rank` 1..n over the open ones (resolved: none).

    Why per area: a township official works through their own list; a league-wide
    rank (4, 6, 34, 35 …) tells them nothing.
    """
    ordered = sorted(rows, key=handling_order)
    result = []
    for position, row in enumerate(ordered, start=1):
        open_row = row.get("status") != "resolved"
        result.append({**row, "area_rank": position if open_row else None})
    return result


REFERENCE_SOURCES = ("case_id", "application_id", "ticket_id", "rr_household_id", "hukou_no", "household_id")


def parse_evidence(evidence: object) -> dict:
    """The evidence JSON as a dict (empty when it is not an object)."""
    if isinstance(evidence, dict):
        return evidence
    try:
        parsed = json.loads(str(evidence)) if evidence else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


CASE_KEYS = ("case_id", "application_id", "ticket_id")


def case_kinds(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Case subject key -> which number it is, from the feed whose key it is (feeds.yaml).

    A case warning's subject may be a temporary-assistance or vagrant case, an
    application or a 12345 ticket; the official needs to know which system to open.
    """
    staged = set(tables_like(con, "staging", "stg_"))
    kinds: dict[str, str] = {}
    for feed in load_feeds().values():
        if len(feed.key) != 1 or feed.key[0] not in CASE_KEYS or f"stg_{feed.feed_id}" not in staged:
            continue
        column = feed.key[0]
        label = f"{feed.column(column).zh}（{feed.name_zh}）"
        try:
            found = con.execute(
                f"select distinct cast({column} as varchar) from staging.stg_{feed.feed_id} "
                f"where cast({column} as varchar) in "
                "(select subject_key from marts.warnings where subject_type = 'case')"
            ).fetchall()
        except duckdb.Error as error:
            log.warning("case numbers of %s not looked up: %s", feed.feed_id, error)
            continue
        kinds.update({key: label for (key,) in found})
    return kinds


def subject_reference(row: dict, case_kind: dict[str, str] | None = None) -> tuple[str, str]:
    """(kind, number) that finds the warning's subject in the departments' systems.

    A household or case subject is found by its own key; which kind of key it is
    (assisted household, case, application, ticket, hukou or monitoring number) is
    read from the evidence column that carries it. A person is found through their
    assisted household, else their hukou household.
    """
    subject_type, key = row.get("subject_type"), row.get("subject_key")
    household = row.get("household_id")
    if subject_type == "region":
        return REFERENCE_KIND_ZH["region"], str(key or "")
    if subject_type in ("household", "case") and key:
        if key == household:
            return REFERENCE_KIND_ZH["household_id"], str(key)
        if subject_type == "case" and case_kind and str(key) in case_kind:
            return case_kind[str(key)], str(key)
        evidence = parse_evidence(row.get("evidence"))
        for source in REFERENCE_SOURCES:
            if str(evidence.get(source)) == str(key):
                return REFERENCE_KIND_ZH[source], str(key)
        return ("案件编号" if subject_type == "case" else "家庭编号"), str(key)
    if household:
        return REFERENCE_KIND_ZH["household_id"], str(household)
    hukou = row.get("person_hukou_no")
    if hukou:
        return REFERENCE_KIND_ZH["hukou_no"], str(hukou)
    return "", ""


def village_of(row: dict, names: dict[str, tuple[str, str]], homes: dict[str, str]) -> str:
    """The village (嘎查村/社区) where the source records one: the warning's own 12-digit
    region, else the household's, else the person's hukou region. Named when the region
    list has the village, else shown by its code (the reference lists no village names)."""
    candidates = [row.get("region_code"), homes.get(f"h:{row.get('household_id')}"),
                  homes.get(f"p:{row.get('id_number')}")]
    for code in candidates:
        if code and len(str(code)) == 12 and str(code)[9:] != "000":
            level_name = names.get(str(code))
            return level_name[1] if level_name else str(code)
    return ""


def display_row(row: dict, names: dict[str, tuple[str, str]], homes: dict[str, str] | None = None,
                case_kind: dict[str, str] | None = None) -> dict:
    """A warning as an official sees it: Chinese labels, masked person, readable evidence."""

    def name_of(code: str | None) -> str:
        return names.get(code, ("", ""))[1] if code else ""

    first_seen = row.get("first_seen_on")
    banner = name_of(row.get("banner_code"))
    reference_kind, reference_number = subject_reference(row, case_kind)
    return {
        **{key: row.get(key) for key in ("rule_id", "severity", "status", "banner_code", "township_code")},
        "priority_rank": row.get("priority_rank"),
        "severity_zh": SEVERITY_ZH.get(row.get("severity"), row.get("severity")),
        "status_zh": status_label(row, STATUS_ZH),
        "verify_limit_zh": verify_limit_label(row),
        "days_open": row.get("days_open"),
        "rule_name_zh": row.get("rule_name_zh"),
        "category_zh": CATEGORY_ZH.get(row.get("category"), row.get("category")),
        "policy_clause": row.get("policy_clause"),
        "subject_type_zh": SUBJECT_TYPE_ZH.get(row.get("subject_type"), row.get("subject_type")),
        "name_masked": mask_name(row.get("person_name")),
        "id_number_masked": mask_id_number(row.get("id_number")),
        "household_id": row.get("household_id"),
        "reference_kind": reference_kind,
        "reference_number": mask_ids_in_text(reference_number),
        "banner_name": banner,
        "township_name": name_of(row.get("township_code")) or f"{banner}（{BANNER_LEVEL_ZH}）",
        "village_name": village_of(row, names, homes or {}),
        "evidence_zh": render_evidence(str(row.get("rule_id")), row.get("evidence")),
        "suggested_action_zh": row.get("suggested_action_zh"),
        "first_seen_on": first_seen.isoformat() if hasattr(first_seen, "isoformat") else first_seen,
        "warning_key": row.get("warning_key"),
    }


def subject_homes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Where households (`h:<id>`) and persons (`p:<id number>`) live, as the sources record it."""
    homes: dict[str, str] = {}
    if {"household_id", "region_code"} <= set(table_columns(con, "marts", "dim_household")):
        for household, region in con.execute(
            "select household_id, region_code from marts.dim_household"
        ).fetchall():
            if region:
                homes[f"h:{household}"] = str(region)
    person_columns = table_columns(con, "marts", "dim_person")
    person_region = first_present(person_columns, ("region_code", "hukou_region_code"))
    if "id_number" in person_columns and person_region:
        for person, region in con.execute(
            f"select id_number, {person_region} from marts.dim_person where id_number in "
            "(select id_number from marts.warnings)"
        ).fetchall():
            if region:
                homes[f"p:{person}"] = str(region)
    return homes


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


def check_target(target: Path) -> None:
    """Refuse to replace a folder that holds anything but an earlier export (it is replaced whole)."""
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).exists():
        raise ExportTargetNotEmpty(f"{target}: the folder is not empty and holds no earlier export "
                                   f"({MANIFEST}); choose an empty or new folder")


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
        homes = subject_homes(con)
        case_kind = case_kinds(con)
        rows = [display_row(row, names, homes, case_kind) for row in raw_rows]
        rule_names = load_rule_names(con)
        township_names = {a.code: a.name for a in areas if a.level == "township"}
        banner_names = {a.code: a.name for a in areas if a.level == "banner"}
        target = (out or home.exports / as_of.isoformat()).absolute()
        check_target(target)
        result = ExportResult(as_of=as_of, out_dir=target)
        manifest_areas: dict[str, dict] = {}
        details = {"as_of": as_of.isoformat(), "warehouse": str(home.warehouse), "out_dir": str(target)}
        # Written into a temporary folder, renamed into place only after the audit line (exports/audit.py).
        with audited_write(home, "export_warning_lists", target, details, group_readable=True) as write:
            for area in areas:
                area_rows = rows_of_area(area, rows)
                counts = count_area(area_rows)
                workbook = build_workbook(
                    area, area_rows, as_of, counts, previous.get(area.label), previous_label,
                    rule_names, township_names, banner_names,
                )
                save_deterministic(workbook, write.folder / workbook_name(area), as_of)
                result.workbooks[area.label] = target / workbook_name(area)
                result.rows_by_area[area.label] = len(area_rows)
                manifest_areas[area.label] = {
                    "level": area.level, "code": area.code, "name": area.name,
                    "rows": len(area_rows), "file": workbook_name(area), "counts": counts.to_json(),
                }
            league = areas[0]
            html = render_report(con, league, as_of, count_area(rows), rule_names, banner_names, history)
            (write.folder / report_name(league)).write_text(html, encoding="utf-8")
            result.report = target / report_name(league)
            file_names = sorted(path.name for path in result.files)
            manifest = {"as_of": as_of.isoformat(), "areas": manifest_areas, "files": file_names}
            manifest_text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True)
            (write.folder / MANIFEST).write_text(manifest_text, encoding="utf-8")
            write.record.update({
                "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "rows_total": len(rows),
                "areas": [
                    {"level": v["level"], "code": v["code"], "name": v["name"], "rows": v["rows"]}
                    for v in manifest_areas.values()
                ],
            })
    result.audit_record = write.completed
    log.info("exported %d warnings for %s into %s (%d files)", len(rows), as_of, target, len(result.files))
    return result
