"""Gate reports for the data team: department's own columns, quarantine row numbers, a run index."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq

from aidwatch.home import Home
from ingestion.pipeline import ingest_inbox
from tests.ingestion.deliveries import STAMP, valid_id, write_csv, wrong_check

PERSON = valid_id("15292119800101123")
OTHER = valid_id("15292219900202234")
HEADER = ["救助家庭编号", "身份证号", "姓名", "与户主关系", "是否纳入保障", "个人月收入"]


def test_reports_speak_the_departments_terms_and_every_file_has_a_page(tmp_path: Path) -> None:
    home, inbox = Home.resolve(tmp_path / "home"), tmp_path / "inbox"
    rows = [
        ["H1", PERSON, "张三", "本人", "是", "1,234.50元"],
        ["", "", "", "", "", ""],  # a blank line: not a data row, as the quarantine counts
        ["H1", wrong_check(OTHER), "李四", "配偶", "否", "12"],
        ["H2", PERSON, "王五", "亲戚", "也许", "-5"],
    ]
    write_csv(inbox / "ca_members" / f"民政成员_{STAMP}.csv", HEADER, rows, "gb18030")
    no_key = [[PERSON, "5"]]  # record_id missing: the file is rejected
    write_csv(inbox / "hc_housing_aid" / f"housing_{STAMP}.csv", ["身份证号", "金额"], no_key, "utf-8")
    entries = ingest_inbox(inbox, home, workers=1)
    by_feed = {e["feed_id"]: e for e in entries}
    members, housing = by_feed["ca_members"], by_feed["hc_housing_aid"]
    assert members["status"] == "loaded_with_quarantine" and housing["status"] == "rejected"

    quarantine = pq.read_table(home.quarantine / "ca_members" / f"{members['batch_id']}.parquet").to_pylist()
    quarantined_rows = {q["_source_row"] for q in quarantine}
    report = json.loads((home.gate_reports / f"{members['batch_id']}.json").read_text(encoding="utf-8"))
    failed = [e for e in report["expectations"] if not e["success"]]
    assert failed
    for expectation in failed:
        assert set(expectation["sample_rows"]) <= quarantined_rows  # same numbering as the quarantine
        for values in expectation["sample_values"]:
            assert set(values) <= set(HEADER), values  # the delivered headers, no helper columns
    id_check = next(e for e in failed if e["column"] == "id_number")
    assert id_check["sample_rows"] == [2]
    assert id_check["sample_values"] == [{"身份证号": wrong_check(OTHER)}]  # as delivered
    assert id_check["sample_reasons"] == ["id_number: ID number check digit is wrong"]  # as quarantined
    assert id_check["sample_reasons"][0] == next(q["reasons"] for q in quarantine if q["_source_row"] == 2)
    relation = next(e for e in failed if e["column"] == "relation")
    assert relation["sample_values"] == [{"与户主关系": "亲戚"}] and relation["sample_rows"] == [3]
    assert "__error" not in json.dumps(report["expectations"][0]["sample_values"])

    page = (home.gate_reports / f"{members['batch_id']}.html").read_text(encoding="utf-8")
    assert "亲戚" in page and "第3行" in page
    rejected_page = (home.gate_reports / f"{housing['batch_id']}.html").read_text(encoding="utf-8")
    assert "required column missing" in rejected_page and "拒收" in rejected_page

    index = (home.gate_reports / "index.html").read_text(encoding="utf-8")
    [run_link] = re.findall(r'href="(runs/[^"]+)"', index)
    run_page = (home.gate_reports / run_link).read_text(encoding="utf-8")
    for entry in entries:
        assert f'href="../{entry["batch_id"]}.html"' in run_page
        assert (home.gate_reports / f"{entry['batch_id']}.html").exists()
    assert "拒收" in run_page and "已入库（部分行隔离）" in run_page
    assert "ca_members" in run_page and "hc_housing_aid" in run_page
    assert not re.search(r"https?:|<script", index + run_page + page + rejected_page)
