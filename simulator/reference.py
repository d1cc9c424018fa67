"""Reference facts the simulator builds the league from (copied from public sources).

Why a module and not a CSV read at run time: the project must not read the shared
reference folder, and a module ships with the package without package-data setup.
Regions are the NBS 2023 statistical divisions; village/community codes below them
are SYNTHETIC (made up by `simulator.regions`). Standards: the league's 2025 figures
are published; every earlier row is SYNTHETIC and says so in its `source`.
"""

from __future__ import annotations

from datetime import date

LEAGUE_CODE = "152900"
LEAGUE_NAME = "阿拉善盟"

#: banner/zone code -> (name, share of the registered population)
BANNERS: dict[str, tuple[str, float]] = {
    "152921": ("阿拉善左旗", 0.66),
    "152922": ("阿拉善右旗", 0.10),
    "152923": ("额济纳旗", 0.12),
    "152971": ("内蒙古阿拉善高新技术产业开发区", 0.12),
}

#: township code (9 digits) -> name, NBS 2023 statistical divisions.
TOWNSHIPS: dict[str, str] = {
    "152921102": "温都尔勒图镇",
    "152921105": "巴润别立镇",
    "152921110": "巴彦浩特镇",
    "152921111": "嘉尔嘎勒赛汉镇",
    "152921112": "吉兰泰镇",
    "152921113": "宗别立镇",
    "152921114": "敖伦布拉格镇",
    "152921115": "腾格里额里斯镇",
    "152921203": "巴彦木仁苏木",
    "152921213": "乌力吉苏木",
    "152921214": "巴彦诺日公苏木",
    "152921215": "额尔克哈什哈苏木",
    "152921216": "银根苏木",
    "152921217": "超格图呼热苏木",
    "152921401": "孪井滩生态移民示范区",
    "152921402": "额鲁特街道办事处",
    "152921403": "南环街道办事处",
    "152921404": "新华街道办事处",
    "152921405": "王府街道办事处",
    "152922103": "巴丹吉林镇",
    "152922104": "雅布赖镇",
    "152922105": "阿拉腾敖包镇",
    "152922211": "曼德拉苏木",
    "152922212": "阿拉腾朝格苏木",
    "152922213": "巴彦高勒苏木",
    "152922214": "塔木素布拉格苏木",
    "152923001": "航空街道",
    "152923002": "东风街道",
    "152923100": "达来呼布镇",
    "152923101": "东风镇",
    "152923102": "哈日布日格德音乌拉镇",
    "152923104": "策克镇",
    "152923200": "赛汉陶来苏木",
    "152923201": "马鬃山苏木",
    "152923202": "苏泊淖尔苏木",
    "152923203": "巴彦陶来苏木",
    "152923204": "温图高勒苏木",
    "152923205": "巴音陶海苏木",
    "152971100": "乌斯太镇",
}

#: (region_code, standard, yuan, effective_from, source). 2025 rows and the minimum
#: wage and disposable income rows are the published figures; rows marked SYNTHETIC
#: are made up for the simulator's history before 2025 (they respect STD-01/STD-02).
STANDARDS: tuple[tuple[str, str, int, date, str], ...] = (
    ("152900", "dibao_urban", 960, date(2023, 1, 1), "SYNTHETIC: simulator history, not a published figure"),
    ("152900", "dibao_rural", 960, date(2023, 1, 1), "SYNTHETIC: simulator history, not a published figure"),
    ("152900", "tekun_basic_urban", 1900, date(2023, 1, 1), "SYNTHETIC: simulator history"),
    ("152900", "tekun_basic_rural", 1900, date(2023, 1, 1), "SYNTHETIC: simulator history"),
    ("152900", "tekun_care_full", 1287, date(2023, 1, 1), "SYNTHETIC: simulator history"),
    ("152900", "tekun_care_partial", 495, date(2023, 1, 1), "SYNTHETIC: simulator history"),
    ("152900", "dibao_urban", 1010, date(2024, 1, 1), "SYNTHETIC: simulator history, not a published figure"),
    ("152900", "dibao_rural", 1010, date(2024, 1, 1), "SYNTHETIC: simulator history, not a published figure"),
    ("152900", "tekun_basic_urban", 2000, date(2024, 1, 1), "SYNTHETIC: simulator history"),
    ("152900", "tekun_basic_rural", 2000, date(2024, 1, 1), "SYNTHETIC: simulator history"),
    (
        "152900",
        "dibao_urban",
        1055,
        date(2025, 1, 1),
        "Alxa League civil affairs figures for January 2025 (urban and rural standards unified)",
    ),
    ("152900", "dibao_rural", 1055, date(2025, 1, 1), "same as above"),
    ("152900", "tekun_basic_urban", 2096, date(2025, 1, 1), "same as above"),
    ("152900", "tekun_basic_rural", 2096, date(2025, 1, 1), "same as above"),
    ("152900", "tekun_care_full", 1287, date(2025, 1, 1), "same as above; equals 65% of 1980"),
    ("152900", "tekun_care_partial", 495, date(2025, 1, 1), "same as above; equals 25% of 1980"),
    (
        "152900",
        "min_wage",
        1980,
        date(2021, 12, 1),
        "Inner Mongolia tier-1 monthly minimum wage before 2024-12-01 (start date not verified)",
    ),
    (
        "152900",
        "min_wage",
        2270,
        date(2024, 12, 1),
        "Inner Mongolia tier-1 monthly minimum wage from 2024-12-01; all three Alxa banners are tier 1",
    ),
    (
        "152900",
        "disposable_income_urban",
        46295,
        date(2023, 1, 1),
        "Inner Mongolia 2022 urban per-capita disposable income (region-wide)",
    ),
    (
        "152900",
        "disposable_income_rural",
        19641,
        date(2023, 1, 1),
        "Inner Mongolia 2022 rural per-capita disposable income (region-wide)",
    ),
)

#: Caseload of January 2025 at scale 1 (league civil affairs), plus plausible sizes
#: for the rolls the league does not publish (edge, rigid expense, other low income).
CASELOAD = {
    "dibao_urban_households": 945,
    "dibao_urban_persons": 1362,
    "dibao_rural_households": 609,
    "dibao_rural_persons": 973,
    "tekun_urban": 121,
    "tekun_rural": 72,
    "tekun_care": 120,
    "temporary_cases_per_month": 147,
    "edge_households": 520,
    "rigid_expense_households": 160,
    "other_low_income_households": 240,
    "gradual_exit_households": 40,
}
POPULATION = 262_000

#: ID-number county codes of people first registered outside Alxa (current codes).
OTHER_COUNTY_CODES = (
    "110101",
    "150102",
    "150203",
    "150302",
    "150602",
    "150802",
    "620102",
    "620302",
    "640104",
    "640202",
    "610102",
    "130102",
    "410102",
    "370102",
)
#: County codes retired since (still valid in old ID numbers).
RETIRED_COUNTY_CODES = ("152601", "152701", "152801", "152101")
#: Banner codes used in ID numbers (152971 is statistical only, never in an ID).
ID_BANNER_CODES = ("152921", "152922", "152923")

SURNAMES = tuple(
    "王李张刘陈杨赵黄周吴徐孙马胡朱郭何罗高林宋郑梁谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
)
GIVEN_CHARS = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国海燕文辉鹏飞云志红梅宁晨阳子轩浩宇欣怡佳琪梓涵"
)
MONGOLIAN_NAMES = (
    "巴特尔",
    "其其格",
    "乌云",
    "格日勒",
    "苏和",
    "朝鲁",
    "萨仁",
    "娜仁",
    "额尔敦",
    "孟和",
    "图雅",
    "宝音",
    "阿拉坦",
    "敖日格勒",
    "哈斯",
    "斯琴",
    "包金花",
    "乌兰",
    "那顺",
    "巴雅尔",
    "吉日嘎拉",
)
