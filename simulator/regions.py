"""The league's places: real banners and townships, SYNTHETIC villages and communities.

Why synthetic: village-level codes are not in the reference data. Below every real
township we make up communities (suffix 001-199; 街道 and 镇 only) and villages
(suffix 200-499; 镇 and 苏木), named "…(模拟)" so that nobody mistakes them for real
places. The list is fixed (it does not depend on the seed), so the same code always
names the same made-up place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from simulator.reference import BANNERS, TOWNSHIPS

_COMMUNITY_WORDS = (
    "团结",
    "和平",
    "幸福",
    "建设",
    "光明",
    "友谊",
    "新华",
    "振兴",
    "育才",
    "安定",
    "怡和",
    "繁荣",
)
_VILLAGE_WORDS = (
    "巴彦",
    "乌兰",
    "图古日格",
    "查干",
    "宝日",
    "陶来",
    "呼和",
    "额尔登",
    "哈日",
    "苏布尔",
    "敖包",
    "锡林",
)


@dataclass(frozen=True)
class Village:
    """A synthetic village or community below a real township."""

    code: str  # 12 digits
    name: str
    township_code: str
    banner_code: str
    urban: bool  # community (社区) = urban, village (嘎查/村) = rural


def _kind(township_name: str) -> tuple[int, int]:
    """(communities, villages) made up below a township, after its kind."""
    if "街道" in township_name:
        return 6, 0
    if township_name.endswith("镇"):
        return 3, 4
    return 0, 4  # 苏木 and the resettlement area: pastoral villages (嘎查)


@cache
def villages() -> tuple[Village, ...]:
    """Every synthetic village/community, in code order."""
    out = []
    for tcode, tname in sorted(TOWNSHIPS.items()):
        communities, rural = _kind(tname)
        if tcode == "152921110":  # 巴彦浩特镇 holds the league seat: more communities
            communities = 12
        for i in range(communities):
            word = _COMMUNITY_WORDS[i % len(_COMMUNITY_WORDS)]
            out.append(Village(f"{tcode}{i + 1:03d}", f"{tname}{word}社区(模拟)", tcode, tcode[:6], True))
        suffix = "嘎查" if "苏木" in tname else "村"
        for i in range(rural):
            word = _VILLAGE_WORDS[(i + int(tcode[-3:])) % len(_VILLAGE_WORDS)]
            out.append(
                Village(f"{tcode}{200 + i + 1:03d}", f"{tname}{word}{suffix}(模拟)", tcode, tcode[:6], False)
            )
    return tuple(out)


def banner_codes() -> tuple[str, ...]:
    return tuple(BANNERS)
