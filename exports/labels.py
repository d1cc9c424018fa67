"""Chinese wording of the codes that appear in officials' lists and reports.

Why here and not in the warehouse: the marts keep codes (`high`, `new`), which
analysts and tests compare; how an official reads them is the export's concern.
Rule names, clauses and actions are not repeated here: they come from the
`rule_catalog` seed through `marts.warnings`.
"""

from __future__ import annotations

SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

STATUS_ZH = {"new": "新增", "open": "持续", "resolved": "已解除"}

CATEGORY_ZH = {
    "review": "审核审批",
    "eligibility": "资格异常",
    "hardship": "困难发现",
    "coverage": "保障缺失",
    "standard": "标准合规",
}

SUBJECT_TYPE_ZH = {"household": "家庭", "person": "个人", "case": "案件", "region": "地区"}

LEVEL_ZH = {"league": "盟", "banner": "旗(区)", "zone": "旗(区)", "township": "苏木镇(街道)"}

# Columns of the warning list, in order: (key, Chinese header, width in characters).
LIST_COLUMNS: list[tuple[str, str, int]] = [
    ("seq", "序号", 6),
    ("priority_rank", "家庭优先级", 10),
    ("severity_zh", "预警等级", 9),
    ("status_zh", "状态", 8),
    ("days_open", "持续天数", 9),
    ("rule_id", "规则编号", 10),
    ("rule_name_zh", "预警名称", 24),
    ("category_zh", "预警类别", 10),
    ("policy_clause", "政策依据", 10),
    ("subject_type_zh", "对象类型", 9),
    ("name_masked", "姓名", 9),
    ("id_number_masked", "身份证号", 21),
    ("household_id", "救助家庭编号", 16),
    ("banner_name", "旗(区)", 14),
    ("township_name", "苏木镇(街道)", 18),
    ("village_name", "嘎查村(社区)", 18),
    ("evidence_zh", "预警依据", 60),
    ("suggested_action_zh", "建议处置", 50),
    ("first_seen_on", "首次发现日期", 13),
    ("warning_key", "预警编号", 18),
]

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
