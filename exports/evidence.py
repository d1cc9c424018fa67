"""Evidence JSON of a warning, written as a sentence an official can read.

Why a renderer per rule: the rules write the facts that fired them as JSON
(dates, amounts, thresholds). An official needs "应于2026-03-01前完成年度核查，
已逾期2个月", not `{"due_on": "2026-03-01", ...}`. Each rule has a template over
the keys it writes; a rule without a template, or evidence missing a key the
template needs, falls back to a generic `名称：值` rendering with the key names
translated. Raw JSON never reaches an official.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from exports.labels import VALUE_ZH
from exports.masking import mask_ids_in_text

# Key names the rules write, in Chinese. Unknown keys are shown by their words.
KEY_ZH: dict[str, str] = {
    "assistance_type": "救助类别",
    "dibao_class": "低保分类",
    "status": "保障状态",
    "urban_rural": "城乡类别",
    "approved_on": "认定日期",
    "last_review_on": "最近核查日期",
    "review_base_on": "核查起算日期",
    "review_months": "核查周期(月)",
    "due_on": "应核查日期",
    "overdue_from": "逾期起始日期",
    "months_late": "逾期月数",
    "days_late": "逾期天数",
    "days_overdue": "逾期天数",
    "gradual_exit_start": "渐退开始日期",
    "gradual_exit_months": "渐退期限(月)",
    "gradual_exit_end": "渐退截止日期",
    "gradual_exit_type": "渐退类型",
    "exit_type": "渐退类型",
    "allowed_min_months": "允许最短期限(月)",
    "allowed_max_months": "允许最长期限(月)",
    "paid_after_period": "期满后仍有发放",
    "last_dibao_pay_month": "最近低保发放月份",
    "application_id": "申请编号",
    "applied_on": "申请日期",
    "decided_on": "审核日期",
    "verification_completed_on": "核对完成日期",
    "case_id": "案件编号",
    "ticket_id": "工单编号",
    "received_on": "受理日期",
    "received_at": "受理时间",
    "deadline": "办理时限",
    "deadline_on": "办理期限",
    "days_open": "已办理天数",
    "days_pending": "已办理天数",
    "prior_assistance": "先行救助",
    "paperwork_due_on": "补办手续期限",
    "amount": "金额(元)",
    "approval_level": "实际审批层级",
    "recorded_level": "实际审批层级",
    "required_level": "应由审批层级",
    "urban_dibao_standard": "城市低保标准(元/月)",
    "township_limit": "苏木镇审批上限(元)",
    "banner_limit": "旗(区)民政审批上限(元)",
    "admitted_on": "入站日期",
    "stranded_months": "滞留期限(月)",
    "death_date": "死亡日期",
    "died_on": "死亡日期",
    "pay_month": "发放月份",
    "payment_count": "死亡后发放笔数",
    "payments_after_death": "死亡后发放笔数",
    "amount_after_death": "死亡后发放金额(元)",
    "total_paid_after_death": "死亡后发放金额(元)",
    "since": "起始日期",
    "employer": "工作单位",
    "vehicle_type": "车辆类型",
    "vehicle_count": "车辆数",
    "residential_count": "住宅套数",
    "max_residences": "允许住宅套数",
    "commercial_count": "商业或工业房产数",
    "property_types": "房产类型",
    "assets_per_capita": "人均金融资产(元)",
    "per_capita_assets": "人均金融资产(元)",
    "asset_limit": "资产上限(元)",
    "asset_months": "标准倍数(月)",
    "entity_type": "主体类型",
    "entity_name": "主体名称",
    "registered_capital": "注册资本(元)",
    "business_capital_limit": "注册资本上限(元)",
    "household_ids": "所在救助家庭",
    "household_count": "所在救助家庭数",
    "verified_per_capita_income": "核对人均月收入(元)",
    "per_capita_income": "人均月收入(元)",
    "verified_monthly_income": "核对月收入(元)",
    "declared_per_capita_income": "申报人均月收入(元)",
    "dibao_standard": "低保标准(元/月)",
    "standard": "标准(元/月)",
    "expected": "应发金额(元)",
    "expected_amount": "应发金额(元)",
    "actual": "实发金额(元)",
    "actual_amount": "实发金额(元)",
    "difference": "差额(元)",
    "member_count": "家庭人口",
    "covered_count": "保障人数",
    "income_total": "家庭月收入(元)",
    "tolerance": "允许误差(元)",
    "program": "资金项目",
    "self_care": "生活自理能力",
    "paid": "实发金额(元)",
    "basic_paid": "实发供养金(元)",
    "basic_standard": "供养标准(元/月)",
    "care_paid": "实发护理补贴(元)",
    "care_standard": "护理标准(元/月)",
    "age": "年龄",
    "labor_capacity": "劳动能力",
    "out_of_pocket": "个人自付(元)",
    "out_of_pocket_total": "个人自付合计(元)",
    "annual_household_income": "家庭年收入(元)",
    "household_annual_income": "家庭年收入(元)",
    "share": "自付占收入比例",
    "oop_share": "自付占收入比例",
    "is_assisted": "已纳入救助",
    "disability_category": "残疾类别",
    "disability_grade": "残疾等级",
    "disaster_date": "受灾日期",
    "event_date": "受灾日期",
    "house_damage": "房屋损坏程度",
    "direct_loss": "直接经济损失(元)",
    "relief_amount": "救灾资金(元)",
    "registered_on": "登记日期",
    "employment_status": "就业状态",
    "unemployed_members": "失业人数",
    "working_age_members": "劳动年龄人数",
    "hukou_no": "户号",
    "remaining_members": "剩余家庭成员数",
    "rr_household_id": "监测户编号",
    "category": "监测类别",
    "risk_type": "风险类型",
    "identified_on": "识别日期",
    "months_open": "风险持续月数",
    "terminated_on": "停保日期",
    "signal": "困难信号",
    "signals": "困难信号",
    "year": "年度",
    "enrollment_status": "参保状态",
    "subsidy": "资助金额(元)",
    "premium": "个人缴费(元)",
    "stage": "学段",
    "settled_on": "结算日期",
    "missing": "缺失项目",
    "missing_subsidies": "缺失补贴",
    "tekun_basic_standard": "特困基本生活标准(元/月)",
    "ratio": "实际比例",
    "required_ratio": "规定比例",
    "required_multiple": "规定倍数",
    "tekun_multiple": "规定倍数",
    "minimum_wage": "最低工资标准(元/月)",
    "care_full_standard": "全护理标准(元/月)",
    "care_partial_standard": "半护理标准(元/月)",
    "effective_from": "执行日期",
    "review_interval_months": "核查周期(月)",
    "review_due_on": "应核查日期",
    "high_after_months_late": "逾期转为高等级的月数",
    "gradual_exit_end_on": "渐退届满日期",
    "days_past_end": "届满后天数",
    "dibao_payments_after_end": "届满后低保发放笔数",
    "first_pay_month_after_end": "届满后首次发放月份",
    "last_pay_month_after_end": "届满后末次发放月份",
    "amount_paid_after_end": "届满后发放金额(元)",
    "months_out_of_range": "期限超出规定",
    "rural_type_for_urban": "城镇家庭按农牧业收入渐退",
    "lookback_from": "检查起始日期",
    "paperwork_days": "补办手续期限(天)",
    "township_multiple": "苏木镇审批倍数",
    "settle_due_on": "应安置日期",
    "channel": "受理渠道",
    "application_days": "办理时限(天)",
    "decision_due_on": "应办结日期",
    "hotline_days": "办理时限(天)",
    "close_due_on": "应办结日期",
    "death_month": "死亡月份",
    "first_pay_month_after_death": "死亡后首次发放月份",
    "last_pay_month_after_death": "死亡后末次发放月份",
    "relation": "与户主关系",
    "covered": "纳入保障",
    "employer_unit": "工作单位",
    "payroll_since": "财政供养起始日期",
    "vehicles": "车辆",
    "purchase_price_total": "购置价合计(元)",
    "exempt_types": "豁免车辆类型",
    "industrial_count": "工业用房数",
    "properties": "房产",
    "household_assets": "家庭金融资产(元)",
    "latest_check_on": "资产核对日期",
    "entity_count": "市场主体数",
    "entities": "市场主体",
    "max_registered_capital": "最高注册资本(元)",
    "households": "所在救助家庭",
    "verified_income_total": "核对月收入合计(元)",
    "members_with_verified_income": "有核对收入的成员数",
    "declared_monthly_income_total": "申报家庭月收入(元)",
    "counted_income": "计算用收入(元)",
    "counted_members": "计算人数",
    "single_person": "单人户",
    "amount_tolerance": "允许误差(元)",
    "tekun_basic_paid": "实发特困供养金(元)",
    "basic_short": "供养金差额(元)",
    "tekun_care_paid": "实发照料护理补贴(元)",
    "tekun_care_standard": "照料护理标准(元/月)",
    "care_short": "护理补贴差额(元)",
    "birth_date": "出生日期",
    "adult_age": "成年年龄",
    "elderly_age": "老年年龄",
    "settlement_count": "结算次数",
    "first_settled_on": "首次结算日期",
    "last_settled_on": "末次结算日期",
    "household_size": "家庭人数",
    "household_assisted": "家庭已获救助",
    "medical_oop_abs": "自付金额阈值(元)",
    "medical_oop_share": "自付占收入比例阈值",
    "share_threshold": "比例阈值金额(元)",
    "certificate_valid_until": "残疾证有效期至",
    "record_id": "记录编号",
    "event_name": "灾害名称",
    "disaster_type": "灾害类型",
    "occurred_on": "受灾日期",
    "days_since": "距今天数",
    "qualifying_records": "符合条件的记录数",
    "disaster_days": "检查期限(天)",
    "disaster_loss_abs": "损失阈值(元)",
    "unemployed_since": "失业登记日期",
    "difficult_employment": "就业困难人员",
    "working_age_min": "劳动年龄下限",
    "working_age_max": "劳动年龄上限",
    "unemployed_id_numbers": "失业成员",
    "working_members": "就业人数",
    "days_since_death": "死亡距今天数",
    "surviving_members": "户内剩余人数",
    "breadwinner_days": "检查期限(天)",
    "monthly_income_total": "家庭月收入(元)",
    "declared_per_capita": "申报人均月收入(元)",
    "verified_per_capita": "核对人均月收入(元)",
    "per_capita_net_income": "人均纯收入(元)",
    "risk_cleared": "风险已消除",
    "clear_by": "应消除日期",
    "rr_open_months": "风险期限(月)",
    "members_with_signals": "出现困难信号的成员",
    "exit_watch_months": "观察期限(月)",
    "failing_kinds": "不达标类别",
    "tekun_basic_urban": "城镇特困基本生活标准(元)",
    "tekun_basic_rural": "农村牧区特困基本生活标准(元)",
    "dibao_urban": "城镇低保标准(元)",
    "dibao_rural": "农村牧区低保标准(元)",
    "required_urban": "城镇应达标准(元)",
    "required_rural": "农村牧区应达标准(元)",
    "as_of": "统计日期",
    "failing_standards": "不达标标准",
    "care_full": "全护理标准(元)",
    "care_full_effective_from": "全护理标准执行日期",
    "care_full_min_wage": "对应最低工资(元)",
    "care_full_required": "全护理应达标准(元)",
    "care_partial": "半护理标准(元)",
    "care_partial_effective_from": "半护理标准执行日期",
    "care_partial_min_wage": "对应最低工资(元)",
    "care_partial_required": "半护理应达标准(元)",
    "care_full_share": "全护理比例",
    "care_partial_share": "半护理比例",
    "min_wage_lag_months": "最低工资滞后月数",
    "has_enrollment": "有参保记录",
    "enrolled": "已参保",
    "subsidy_amount": "资助金额(元)",
    "subsidy_category": "资助类别",
    "school_name": "学校",
    "aid_amount_this_year": "本年度教育资助(元)",
    "settlement_id": "结算编号",
    "hospital_name": "医院",
    "total_cost": "总费用(元)",
    "care_subsidy_missing": "缺护理补贴",
    "living_subsidy_missing": "缺生活补贴",
    "dibao_tekun_household_id": "低保特困家庭编号",
    "latest_pay_month": "最近发放月份",
    "threshold": "阈值",
    "limit": "上限",
}

# One sentence per rule, over the keys its model writes ({key} placeholders; a key
# present with null reads 无). Kept in step with dbt_project/models/marts/warnings/rules.
RULE_TEMPLATES: dict[str, str] = {
    "REV-01": "认定日期{approved_on}，最近核查日期{last_review_on}；每{review_interval_months}个月核查一次，"
    "应于{review_due_on}前完成，已逾期{days_overdue}天。",
    "REV-02": "认定日期{approved_on}，最近核查日期{last_review_on}；每{review_interval_months}个月核查一次，"
    "应于{review_due_on}前完成，已逾期{days_overdue}天。",
    "REV-03": "渐退({gradual_exit_type})自{gradual_exit_start}起{gradual_exit_months}个月，"
    "已于{gradual_exit_end_on}届满{days_past_end}天；届满后仍发放低保金{dibao_payments_after_end}笔。",
    "REV-04": "渐退类型为{gradual_exit_type}，渐退期限{gradual_exit_months}个月，"
    "规定期限为{allowed_min_months}至{allowed_max_months}个月，城乡类别为{urban_rural}。",
    "REV-05": "{program}申请于{applied_on}提出、{decided_on}批准；"
    "家庭经济状况核对完成日期：{verification_completed_on}。",
    "REV-06": "临时救助{amount}元于{approved_on}先行批准，应于{paperwork_due_on}前补齐手续，"
    "已逾期{days_overdue}天。",
    "REV-07": "救助金额{amount}元({approved_on}批准)由{approval_level}审批；"
    "苏木镇(街道)审批上限{township_limit}元，旗(区)民政部门上限{banner_limit}元，应由{required_level}审批。",
    "REV-08": "{admitted_on}入站，应于{settle_due_on}前查明身份或安置，已逾期{days_overdue}天。",
    "REV-09": "经{channel}受理的{program}申请于{applied_on}提出，应于{decision_due_on}前办结，"
    "已逾期{days_overdue}天。",
    "REV-10": "{received_at}受理的救助求助工单应于{close_due_on}前办结，已逾期{days_overdue}天。",
    "ELG-01": "死亡日期{death_date}，死亡后仍发放{payments_after_death}笔共{amount_after_death}元"
    "({first_pay_month_after_death}至{last_pay_month_after_death})。",
    "ELG-02": "该成员已于{death_date}死亡，仍在{assistance_type}家庭(共{member_count}人)的保障名单中。",
    "ELG-03": "自{payroll_since}起为财政供养人员，工作单位：{employer_unit}。",
    "ELG-04": "名下有{vehicle_count}辆非豁免机动车：{vehicles}。",
    "ELG-05": "家庭名下住宅{residential_count}套(允许{max_residences}套)，商业用房{commercial_count}处，"
    "工业用房{industrial_count}处({properties})。",
    "ELG-06": "家庭金融资产{household_assets}元，人均{per_capita_assets}元，"
    "超过{asset_months}个月低保标准({asset_limit}元)。",
    "ELG-07": "为{entity_count}个市场主体的法定代表人({entities})，最高注册资本{max_registered_capital}元。",
    "ELG-08": "同时在{household_count}个救助家庭中享受保障：{households}。",
    "ELG-09": "核对人均月收入{verified_per_capita_income}元，高于低保标准{dibao_standard}元"
    "(家庭{member_count}人，核对月收入合计{verified_income_total}元)。",
    "ELG-10": "{pay_month}实发低保金{actual_amount}元，按差额计算应发{expected_amount}元，"
    "相差{difference}元。",
    "ELG-11": "{pay_month}特困供养金实发{tekun_basic_paid}元(标准{tekun_basic_standard}元)，"
    "照料护理补贴实发{tekun_care_paid}元(标准{tekun_care_standard}元)。",
    "ELG-12": "年龄{age}岁(在{adult_age}至{elderly_age}岁之间)，劳动能力为{labor_capacity}，未在校就读。",
    "HRD-01": "近12个月医疗费用个人自付{out_of_pocket_total}元({settlement_count}次结算，"
    "{first_settled_on}至{last_settled_on})，户籍家庭{household_size}人，核对年收入{household_annual_income}元。",
    "HRD-02": "持有{disability_category}残疾证(等级{disability_grade}，有效期至{certificate_valid_until})，"
    "所在{assistance_type}家庭，本人未纳入低保。",
    "HRD-03": "{occurred_on}受灾({event_name})，房屋{house_damage}，直接经济损失{direct_loss}元，"
    "救灾资金{relief_amount}元，{days_since}天来未获临时救助。",
    "HRD-04": "年龄{age}岁，劳动能力{labor_capacity}，自{unemployed_since}起登记失业，未认定为就业困难人员。",
    "HRD-05": "户籍家庭{household_size}人，劳动年龄成员{working_age_members}人，"
    "其中登记失业{unemployed_members}人，无人就业。",
    "HRD-06": "家庭主要收入成员于{death_date}死亡(核对月收入{verified_monthly_income}元)，"
    "户内尚有{surviving_members}人。",
    "HRD-07": "人均月收入{per_capita_income}元(申报{declared_per_capita}元，核对{verified_per_capita}元)，"
    "低于低保标准{dibao_standard}元。",
    "HRD-08": "{identified_on}识别为{category}(风险类型：{risk_type})，风险未消除，户主未纳入社会救助。",
    "HRD-09": "{identified_on}识别的返贫风险({risk_type})应于{clear_by}前消除，已逾期{days_overdue}天。",
    "HRD-10": "该户于{terminated_on}停保，原成员出现困难信号：{signals}(涉及成员{members_with_signals})。",
    "STD-01": "特困基本生活标准城镇{tekun_basic_urban}元、农村牧区{tekun_basic_rural}元，"
    "应不低于低保标准(城镇{dibao_urban}元、农村牧区{dibao_rural}元)的{tekun_multiple}倍，"
    "即城镇{required_urban}元、农村牧区{required_rural}元。",
    "STD-02": "全护理标准{care_full}元(应不低于{care_full_required}元)，半护理标准{care_partial}元"
    "(应不低于{care_partial_required}元)，按上年最低工资{care_full_min_wage}元计算。",
    "COV-01": "{year}年度城乡居民医保：有参保记录{has_enrollment}，已参保{enrolled}，个人缴费{premium}元，"
    "资助{subsidy_amount}元。",
    "COV-02": "在{school_name}就读({stage})，本年度已获教育资助{aid_amount_this_year}元。",
    "COV-03": "{settled_on}在{hospital_name}住院，总费用{total_cost}元，个人自付{out_of_pocket}元；"
    "近12个月自付合计{out_of_pocket_total}元。",
    "COV-04": "{disability_category}残疾(等级{disability_grade})；缺护理补贴：{care_subsidy_missing}，"
    "缺生活补贴：{living_subsidy_missing}。",
    "COV-05": "生活自理能力{self_care}，{latest_pay_month}照料护理补贴实发{tekun_care_paid}元。",
}

# Lists whose items are "<identifier> <type>" where the identifier points at a person's
# property (plate number, property certificate): officials get the types only.
TYPE_ONLY_KEYS = ("vehicles", "properties")
UNREADABLE = "预警依据格式无法识别，请在系统中查看"
MONEY_KEY_HINTS = ("amount", "income", "standard", "paid", "assets", "capital", "loss", "subsidy",
                   "premium", "expected", "actual", "difference", "out_of_pocket", "limit", "wage",
                   "tekun_basic_", "dibao_urban", "dibao_rural", "required", "care_full", "care_partial",
                   "cost", "per_capita")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}")


def parse_evidence(evidence: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """The evidence as a dict; a JSON value that is not an object is kept under `detail`."""
    if evidence is None:
        return {}
    if isinstance(evidence, Mapping):
        return dict(evidence)
    try:
        parsed = json.loads(evidence)
    except (TypeError, ValueError):
        return {"detail": UNREADABLE}
    if isinstance(parsed, dict):
        return parsed
    return {"detail": parsed}


def format_value(key: str, value: Any) -> str:
    """One evidence value as Chinese text: codes translated, money to 2 decimals, lists joined."""
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(format_value(key, item) for item in value) or "无"
    if isinstance(value, dict):
        return "，".join(f"{key_label(k)}{format_value(k, v)}" for k, v in value.items())
    if isinstance(value, int | float | Decimal):
        return format_number(key, value)
    text = str(value)
    if text in VALUE_ZH:
        return VALUE_ZH[text]
    if DATE_PATTERN.match(text):
        return text[:7] if key.endswith("month") or "_month_" in key else text[:10]
    if key in TYPE_ONLY_KEYS:  # "蒙M12345 car; 蒙M23456 truck" -> "小型汽车、货车"
        return "、".join(VALUE_ZH.get(item.split(" ")[-1], item.split(" ")[-1]) for item in text.split("; "))
    if " " in text:  # lists the rules aggregate, e.g. "PLHH0000069 tekun; PLHH0000070 edge"
        return "；".join(
            " ".join(VALUE_ZH.get(token, token) for token in item.split(" ")) for item in text.split("; ")
        )
    if any(hint in key for hint in MONEY_KEY_HINTS):
        try:
            return format_number(key, Decimal(text))
        except InvalidOperation:
            return text
    return text


def format_number(key: str, value: int | float | Decimal) -> str:
    """Money with two decimals and thousands separators; counts as whole numbers."""
    number = Decimal(str(value))
    if any(hint in key for hint in MONEY_KEY_HINTS) or number != number.to_integral_value():
        if "share" in key or "ratio" in key:
            return f"{number:.2f}"
        return f"{number:,.2f}"
    return f"{int(number):,}" if abs(number) >= 10000 else str(int(number))


# Words of key names, for keys no label was written for (a new rule's evidence).
KEY_WORD_ZH = {
    "date": "日期", "on": "日期", "at": "时间", "month": "月份", "months": "月数", "days": "天数",
    "day": "日", "year": "年度", "amount": "金额", "total": "合计", "count": "数量", "income": "收入",
    "standard": "标准", "paid": "已发", "due": "应办", "first": "首次", "last": "最近", "after": "之后",
    "before": "之前", "household": "家庭", "member": "成员", "members": "成员", "person": "人员",
    "death": "死亡", "payment": "发放", "payments": "发放", "limit": "上限", "min": "最低", "max": "最高",
    "share": "比例", "ratio": "比例", "type": "类型", "status": "状态", "level": "层级", "age": "年龄",
    "overdue": "逾期", "review": "核查", "dibao": "低保", "tekun": "特困", "care": "护理", "basic": "基本",
    "medical": "医疗", "disaster": "灾害", "loss": "损失", "relief": "救灾", "risk": "风险",
    "monthly": "月", "annual": "年", "per": "人均", "capita": "", "verified": "核对", "declared": "申报",
    "expected": "应发", "actual": "实发", "since": "起始", "start": "开始", "end": "截止", "open": "未结",
    "detail": "说明", "number": "号码", "pay": "发放", "id": "编号", "minimum": "最低", "wage": "工资",
    "subsidy": "补贴",
}


def key_label(key: str) -> str:
    """The Chinese name of an evidence key; an unknown key word by word (unknown words kept)."""
    if key in KEY_ZH:
        return KEY_ZH[key]
    words = [KEY_WORD_ZH.get(word, word) for word in key.lower().split("_")]
    return "".join(words) if all(word in KEY_WORD_ZH for word in key.lower().split("_")) else " ".join(words)


def render_generic(evidence: Mapping[str, Any]) -> str:
    """`名称：值；名称：值。` in the order the rule wrote the keys."""
    if not evidence:
        return "无详细依据。"
    parts = [f"{key_label(key)}：{format_value(key, value)}" for key, value in evidence.items()]
    return "；".join(parts) + "。"


def template_fields(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def render_evidence(rule_id: str, evidence: str | Mapping[str, Any] | None) -> str:
    """A readable Chinese sentence for a warning's evidence (IDs inside it masked)."""
    facts = parse_evidence(evidence)
    template = RULE_TEMPLATES.get(rule_id)
    if template and all(field in facts for field in template_fields(template)):
        used = set(template_fields(template))
        sentence = template.format_map({field: format_value(field, facts[field]) for field in used})
    else:
        sentence = render_generic(facts)
    sentence = sentence.replace("无元", "无")  # a missing amount reads 无, not 无元
    return mask_ids_in_text(sentence) or ""
