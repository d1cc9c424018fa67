"""Chinese wording of the codes that appear in officials' lists and reports.

Why here and not in the warehouse: the marts keep codes (`high`, `new`), which
analysts and tests compare; how an official reads them is the export's concern.
Rule names, clauses and actions are not repeated here: they come from the
`rule_catalog` seed through `marts.warnings`.
"""

from __future__ import annotations

from dataclasses import dataclass

from aidwatch.feedback.codes import FIELD_LABELS_ZH as FEEDBACK_ZH

SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

STATUS_ZH = {"new": "新增", "open": "持续", "resolved": "已解除",
             "verified": "已核实", "handled": "已处置", "dismissed": "不属实"}

CATEGORY_ZH = {
    "review": "审核审批",
    "eligibility": "资格异常",
    "hardship": "困难发现",
    "coverage": "保障缺失",
    "standard": "标准合规",
}

SUBJECT_TYPE_ZH = {"household": "家庭", "person": "个人", "case": "案件", "region": "地区"}

LEVEL_ZH = {"league": "盟", "banner": "旗(区)", "zone": "旗(区)", "township": "苏木镇(街道)"}

ALL_LEVELS = ("league", "banner", "township")


@dataclass(frozen=True)
class ListColumn:
    """One column of the warning list.

    `explanation` is the column's line on the 说明 sheet (one place for what a
    column means); `levels` are the workbooks that carry it (league, banner,
    township); `wrap` columns hold sentences and get row heights that show them.
    `printed`: whether the column is on the printed page; columns filled in on the
    screen (the feedback inputs) come last and are left off paper, so that the
    printed list stays readable on landscape A4.
    """

    key: str
    header: str
    width: int
    explanation: str
    wrap: bool = False
    levels: tuple[str, ...] = ALL_LEVELS
    printed: bool = True


# Columns of the warning list, in order. Widths in characters, chosen so that the
# township list fits landscape A4 across at a readable scale.
LIST_COLUMNS: list[ListColumn] = [
    ListColumn("area_rank", "处置顺序", 4,
               "本清单内未解除预警的处置先后：先按预警等级（高、中、低），再按家庭优先级，"
               "再按持续天数，从1开始连续编号；已解除的预警不编号，排在最后。"),
    ListColumn("severity_zh", "预警等级", 4, "高、中、低，由预警规则确定。"),
    ListColumn("status_zh", "状态", 5, "新增：本次首次出现；"
               "持续：上次已有仍未解除，或曾解除后再次出现（复发，不是新情况）；"
               "已解除：上次有、本次不再触发，仅在本期列出一次。"),
    ListColumn("days_open", "持续天数", 4, "从本轮连续出现的首次发现之日到统计日期的天数；"
               "已解除的，算到最后一次发现之日。"),
    ListColumn("rule_id", "规则编号", 7, "预警规则的编号，如 REV-01（审核审批）、ELG-（资格异常）、"
               "HRD-（困难发现）、COV-（保障缺失）、STD-（标准合规）。"),
    ListColumn("rule_name_zh", "预警名称", 12, "预警规则的名称。", wrap=True),
    ListColumn("policy_clause", "政策依据", 6, "《社会救助暂行办法》等政策的条款。", wrap=True,
               levels=("league", "banner")),
    ListColumn("subject_type_zh", "对象类型", 5, "预警针对的对象：家庭、个人、案件（临时救助、申请、"
               "12345工单）或地区（旗(区)级标准）。", levels=("league", "banner")),
    ListColumn("name_masked", "姓名", 6,
               "对象本人（家庭为户主）的姓名，已脱敏：三字及以上只显示首尾字，两字只显示姓。"),
    ListColumn("id_number_masked", "身份证号", 18,
               "对象本人（家庭为户主）的身份证号，已脱敏（只显示前4位和后4位）。"),
    ListColumn("reference_kind", "对象编号类型", 8,
               "“对象编号”一栏是哪种编号：救助家庭编号、案件编号、申请编号、工单编号、户号或监测户编号。",
               wrap=True),
    ListColumn("reference_number", "对象编号", 13,
               "在业务系统中查找该对象所用的编号（见“对象编号类型”）；个人预警无救助家庭时为其户号。",
               wrap=True),
    ListColumn("household_id", "救助家庭编号", 12, "对象所在的救助家庭（在保或渐退）；不在救助家庭的为空。"),
    ListColumn("banner_name", "旗(区)", 8, "对象所在旗(区)。", wrap=True, levels=("league",)),
    ListColumn("township_name", "苏木镇(街道)", 10, "对象所在苏木镇(街道)；旗(区)级预警写“旗(区)级”。",
               wrap=True, levels=("league", "banner")),
    ListColumn("village_name", "嘎查村(社区)", 10, "对象所在嘎查村(社区)，来源数据有记录时填写。", wrap=True),
    ListColumn("evidence_zh", "预警依据", 30,
               "触发预警的事实（日期、金额、标准等），来自各部门数据。", wrap=True),
    ListColumn("suggested_action_zh", "建议处置", 24, "建议的核查或处置措施。", wrap=True),
    ListColumn("first_seen_on", "首次发现日期", 10, "本次连续出现的第一次统计日期。"),
    ListColumn("warning_key", "预警编号", 12,
               "每条预警的唯一编号（规则与对象不变则编号不变），与工作台、分析数据中的预警编号相同；"
               "反馈核查结果时请注明。", wrap=True),
    # The warning loop (issue 16): the time limit, and columns an official fills offline and
    # returns (`aidwatch feedback import`); headers are the feedback fields' own labels.
    ListColumn("verify_limit_zh", "核查时限", 12,
               "应在此日期前核查反馈（高等级5天、中15天、低30天，自首次发现起算）；超过时限为“核查逾期”，"
               "超过两倍时限同时上报旗(区)。", wrap=True),
    ListColumn("feedback_result_input", FEEDBACK_ZH["result"], 8,
               "核查后从下拉列表选择：属实、部分属实、不属实。填写后将本工作簿交回即可导入，"
               "以最后一次反馈为准。", levels=("banner", "township"), printed=False),
    ListColumn("feedback_action_input", FEEDBACK_ZH["action"], 10,
               "从下拉列表选择处置措施；无需处置选“无需处置”。",
               levels=("banner", "township"), printed=False),
    ListColumn("feedback_verified_on_input", FEEDBACK_ZH["verified_on"], 10,
               "核查日期（如 2026-11-28），不能早于首次发现日期，不能晚于填写当天。",
               levels=("banner", "township"), printed=False),
    ListColumn("feedback_handled_on_input", FEEDBACK_ZH["handled_on"], 10,
               "处置日期，未处置不填；不能早于核查日期。", levels=("banner", "township"), printed=False),
    ListColumn("feedback_note_input", FEEDBACK_ZH["note"], 20,
               "说明核查情况，不超过500字；核查结果为“不属实”时必须填写。", wrap=True,
               levels=("banner", "township"), printed=False),
]


def list_columns(level: str) -> list[ListColumn]:
    """The columns of one level's workbook (league, banner or township)."""
    return [column for column in LIST_COLUMNS if level in column.levels]


# The kinds of number that find a warning's subject in the departments' systems, by
# the source column that holds it (the 对象编号类型 column).
REFERENCE_KIND_ZH = {
    "household_id": "救助家庭编号",
    "case_id": "案件编号",
    "application_id": "申请编号",
    "ticket_id": "工单编号",
    "rr_household_id": "监测户编号",
    "hukou_no": "户号",
    "region": "区划代码",
}

# What each status and severity means, for the 说明 sheet.
STATUS_EXPLANATION = {
    "new": "本次统计首次出现，请在规定时限内核查。",
    "open": "上次统计已列出、本次仍然触发，或曾经解除后再次出现（复发），请继续跟进。",
    "resolved": "上次统计列出、本次不再触发（情况已变化或已处置），仅列出一次供核对，无需处置。",
    "verified": "已反馈核查结果（属实或部分属实），尚未处置；处置后请反馈处置日期。",
    "handled": "已反馈处置，不再列入清单；处置满30天后仍触发的，以“持续（处置后仍存在）”重新列出。",
    "dismissed": "核查不属实，不再列入清单；触发预警的事实变化后，以“持续（证据已变化）”重新列出。",
}
SEVERITY_EXPLANATION = {
    "high": "可能造成错发、漏保或群众生活无着，应优先核查。",
    "medium": "需在常规核查中尽快核实。",
    "low": "提示性预警，结合日常工作核实。",
}


# Plain-text values found in evidence, turned into Chinese where a code is known.
VALUE_ZH = {
    "township": "苏木镇(街道)",
    "banner_civil_affairs": "旗(区)民政部门",
    "banner_leading_group": "旗(区)领导小组",
    "urban": "城镇",
    "rural": "农村牧区",
    "dibao": "低保",
    "tekun": "特困",
    "edge": "低保边缘",
    "rigid_expense": "刚性支出困难",
    "other_low_income": "其他低收入",
    "active": "在保",
    "gradual_exit": "渐退",
    "terminated": "停保",
    "employment": "就业或经营收入",
    "rural_income": "农牧业收入增长",
    "car": "小型汽车",
    "truck": "货车",
    "motorcycle": "摩托车",
    "tricycle": "三轮车",
    "tractor": "拖拉机",
    "disability_vehicle": "残疾人专用车",
    "residential": "住宅",
    "commercial": "商业用房",
    "industrial": "工业用房",
    "company": "公司",
    "individual": "个体工商户",
    "cooperative": "农民专业合作社",
    "severe": "严重损坏",
    "collapsed": "倒塌",
    "full": "有",
    "partial": "部分",
    "none": "无",
    "unable": "完全丧失",
    "able": "自理",
    "tekun_basic": "特困供养金",
    "tekun_care": "照料护理补贴",
    "care_subsidy": "重度残疾人护理补贴",
    "living_subsidy": "困难残疾人生活补贴",
    "A": "A类",
    "B": "B类",
    "unemployed": "失业",
    "sudden_hardship": "突发严重困难户",
    "all": "合计",
    "dibao_A": "低保A类",
    "dibao_B": "低保B类",
    "tekun_centralized": "特困集中供养",
    "tekun_dispersed": "特困分散供养",
    "price_subsidy": "价格临时补贴",
    "heating": "取暖补贴",
    "disability_living": "困难残疾人生活补贴",
    "disability_care": "重度残疾人护理补贴",
    "orphan": "孤儿基本生活费",
    "unsupported_child": "事实无人抚养儿童生活费",
    "visual": "视力",
    "hearing": "听力",
    "speech": "言语",
    "physical": "肢体",
    "intellectual": "智力",
    "mental": "精神",
    "multiple": "多重",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "vocational": "中职",
    "higher_vocational": "高职",
    "undergraduate": "本科",
    "temporary": "临时救助",
    "counter": "窗口",
    "online": "网上",
    "mobile": "掌上",
    "outreach": "主动发现",
    "hotline": "12345热线",
    "illness": "疾病",
    "accident": "意外伤害",
    "disaster": "自然灾害",
    "public_emergency": "突发公共事件",
    "education": "教育支出",
    "living_expense": "生活必需支出",
    "other": "其他",
    "emergency": "急难型",
    "expense": "支出型",
    "medical": "医疗",
    "true": "是",
    "false": "否",
}
