"""Resident ID numbers (GB 11643): vectorised generation and the 15-digit form.

Why our own code: generating 262,000 × scale IDs must be vectorised, and the check
digit (ISO 7064 MOD 11-2) is a dot product. Tests check the result independently
with `stdnum.cn.ric.calc_check_digit`.
"""

from __future__ import annotations

from collections.abc import Container

import numpy as np

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = np.array(list("10X98765432"))


def check_digit(first17: str) -> str:
    """The check character of one 17-digit body."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return str(CHECK_CHARS[total % 11])


def check_digits(bodies: np.ndarray) -> np.ndarray:
    """Check characters for an array of 17-digit strings."""
    if len(bodies) == 0:
        return np.array([], dtype="<U1")
    codes = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    return CHECK_CHARS[(codes.astype(np.int64) @ WEIGHTS) % 11]


def make_ids(
    area: np.ndarray,
    birth: np.ndarray,
    sex_male: np.ndarray,
    rng: np.random.Generator,
    taken: Container[str] | None = None,
) -> np.ndarray:
    """18-char IDs for people with the given county codes, birth dates and sexes.

    The 3-digit sequence is unique within (area, birth date): its last digit is odd
    for men, even for women, as GB 11643 requires. `taken` IDs are avoided.
    """
    n = len(area)
    if n == 0:
        return np.array([], dtype="<U18")
    births = np.asarray(birth, dtype="datetime64[D]")
    ymd = np.datetime_as_string(births, unit="D")
    ymd = np.char.replace(ymd, "-", "")
    group = np.char.add(np.asarray(area, dtype="<U6"), ymd)
    order = np.argsort(group, kind="stable")
    sorted_groups = group[order]
    starts = np.r_[0, np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1]
    rank_sorted = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_sorted
    offset = rng.integers(0, 500, size=n)
    # one offset per group so that ranks stay distinct inside a group
    group_offset = np.empty(n, dtype=np.int64)
    group_offset[order] = np.repeat(offset[order][starts], np.diff(np.r_[starts, n]))
    pair = (group_offset + rank) % 500
    seq = pair * 2 + np.where(sex_male, 1, 0)
    bodies = np.char.add(group, np.char.zfill(seq.astype(str), 3))
    ids = np.char.add(bodies, check_digits(bodies))
    if taken:
        for i in np.flatnonzero([x in taken for x in ids]):
            ids[i] = _fresh_id(bodies[i][:14], bool(sex_male[i]), rng, taken)
    return ids


def _fresh_id(prefix14: str, male: bool, rng: np.random.Generator, taken: Container[str]) -> str:
    for _ in range(1000):
        seq = int(rng.integers(0, 500)) * 2 + (1 if male else 0)
        body = f"{prefix14}{seq:03d}"
        candidate = body + check_digit(body)
        if candidate not in taken:
            return candidate
    raise RuntimeError(f"no free ID sequence for {prefix14}")


def to_15(id18: str) -> str:
    """The pre-1999 15-digit form of an 18-digit ID of someone born in the 1900s."""
    if id18[6:8] != "19":
        raise ValueError(f"{id18} was not born in the 1900s; it has no 15-digit form")
    return id18[:6] + id18[8:17]


class TakenIds:
    """The IDs already given out, so that a new one is never a repeat.

    Why not a set of strings: the background hands out 262,000 × scale IDs at once
    (2.6 M at scale 10); as Python strings in a set they took ~0.5 GB for the whole
    run (issue 14). They are kept as one sorted array of 18-byte ASCII strings (18 bytes
    an ID) and looked up by binary search; the few IDs handed out one at a time (the
    plants' persons) go to a small set.
    """

    def __init__(self) -> None:
        self._bulk = np.array([], dtype="S18")
        self._single: set[str] = set()

    def update(self, ids: np.ndarray) -> None:
        """Add many IDs at once (an array of 18-character strings)."""
        added = np.asarray(ids).astype("S18")
        self._bulk = np.sort(np.concatenate([self._bulk, added]), kind="stable")

    def add(self, id_number: str) -> None:
        self._single.add(id_number)

    def __contains__(self, id_number: object) -> bool:
        if id_number in self._single:
            return True
        if not isinstance(id_number, str) or len(id_number) > 18 or not id_number.isascii():
            return False
        key = np.bytes_(id_number.encode("ascii"))
        i = int(np.searchsorted(self._bulk, key))
        return i < len(self._bulk) and self._bulk[i] == key

    def __len__(self) -> int:
        return len(self._bulk) + len(self._single)
