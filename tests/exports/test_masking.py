"""Masking of IDs and names, and evidence rendered for officials (unit tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from exports.evidence import RULE_TEMPLATES, render_evidence, template_fields
from exports.masking import mask_id_number, mask_ids_in_text, mask_name


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("15292119800101123X", "1529**********123X"),
        ("152921198001011234", "1529**********1234"),
        ("15292119800101123x", "1529**********123X"),
        ("1234567", "*******"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_id_number_keeps_first_and_last_four(value: str | None, masked: str | None) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("张三丰", "张*丰"), ("欧阳娜娜", "欧*娜"), ("王芳", "王*"), ("赵", "*"), (" 李建国 ", "李*国"),
     (None, None)],
)
def test_mask_name(value: str | None, masked: str | None) -> None:
    assert mask_name(value) == masked


def test_ids_inside_text_are_masked_but_shorter_numbers_kept() -> None:
    text = "成员152921198001011234已故，户号1529211234，键DCA15292119800101123X202611"
    masked = "成员1529**********1234已故，户号1529211234，键DCA1529**********123X202611"
    assert mask_ids_in_text(text) == masked


def test_rule_template_renders_a_sentence() -> None:
    evidence = {
        "assistance_type": "dibao", "dibao_class": "A", "approved_on": "2024-01-05", "last_review_on": None,
        "review_interval_months": 12, "review_due_on": "2025-01-05", "days_overdue": 120,
        "high_after_months_late": 3,
    }
    text = render_evidence("REV-01", json.dumps(evidence))
    assert text == "认定日期2024-01-05，最近核查日期无；每12个月核查一次，应于2025-01-05前完成，已逾期120天。"


def test_codes_and_money_are_translated() -> None:
    text = render_evidence("ELG-04", {"vehicle_count": 2, "vehicles": "蒙M12345 car; 蒙M22222 truck"})
    assert text == "名下有2辆非豁免机动车：小型汽车、货车。"  # no plate numbers
    evidence = {"pay_month": "2026-05-01", "actual_amount": 1200, "expected_amount": 1100.5,
                "difference": 99.5}
    text = render_evidence("ELG-10", evidence)
    assert text.startswith("2026-05实发低保金1,200.00元，按差额计算应发1,100.50元")


def test_unknown_rule_or_missing_key_falls_back_to_chinese_key_names_never_json() -> None:
    evidence = {"death_date": "2026-01-01", "first_pay_month": "2026-02-01",
                "other_id_number": "152921198001011234"}
    text = render_evidence("NEW-99", json.dumps(evidence))
    assert text == "死亡日期：2026-01-01；首次发放月份：2026-02；other 编号 号码：1529**********1234。"
    missing_key = render_evidence("REV-01", {"days_overdue": 3})
    assert missing_key == "逾期天数：3。"
    for raw in ("{", "[1, 2]", None):
        rendered = render_evidence("REV-01", raw)
        assert "{" not in rendered and "[" not in rendered


def test_every_template_uses_keys_its_rule_model_writes() -> None:
    """A renamed evidence key in a rule model would silently send that rule to the generic text."""
    project = Path(__file__).resolve().parents[2] / "dbt_project"
    rules_dir = project / "models/marts/warnings/rules"
    macros = {path.stem: path.read_text(encoding="utf-8") for path in (project / "macros").glob("*.sql")}
    checked = 0
    for rule_id, template in RULE_TEMPLATES.items():
        model = rules_dir / f"wrn_{rule_id[:3].lower()}_{rule_id[4:]}.sql"
        assert model.exists(), f"{rule_id}: no rule model {model.name}"
        sql = model.read_text(encoding="utf-8")
        # a rule written through a shared macro (REV-01/02) writes the macro's evidence
        sql += "".join(text for name, text in macros.items() if re.search(rf"{{{{\s*{name}\(", sql))
        written = set(re.findall(r"'(\w+)',", sql[sql.index("json_object"):]))
        missing = [field for field in template_fields(template) if field not in written]
        assert not missing, f"{rule_id}: template keys {missing} not in {model.name}"
        checked += 1
    assert checked == len(RULE_TEMPLATES) >= 39
