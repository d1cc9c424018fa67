"""Masking of personal data in what officials receive (PIPL art. 28, 51).

Why masking and not pseudonyms: an official must recognise the person on a visit
(the last four ID characters and the surname are enough), while the list itself,
forwarded or lost, must not identify anyone on its own.
"""

from __future__ import annotations

import re

ID_NUMBER_PATTERN = re.compile(r"\d{17}[\dXx]")
"""An 18-character resident ID number (the shape only; the check digit is not tested here)."""

ID_NUMBER_IN_TEXT = re.compile(r"(\d{4})\d{10}(\d{3}[\dXx])")
"""An ID number inside text, with its kept first 4 and last 4. No word boundaries on
purpose: keys glue IDs to letters and digits (`DCA152921195008042394202611`); any run
of 18 digits is masked, a rare long number with it."""

ID_VISIBLE_HEAD = 4
ID_VISIBLE_TAIL = 4
ID_MASKED_MIDDLE = 10


def mask_id_number(id_number: str | None) -> str | None:
    """`152921199001011234` -> `1529**********1234`: first 4, ten asterisks, last 4.

    Anything that is not a whole ID number is masked the same way in proportion
    (never returned as is), so a malformed value cannot leak either.
    """
    if id_number is None:
        return None
    text = str(id_number).strip()
    if not text:
        return text
    if len(text) <= ID_VISIBLE_HEAD + ID_VISIBLE_TAIL:
        return "*" * len(text)
    return text[:ID_VISIBLE_HEAD] + "*" * ID_MASKED_MIDDLE + text[-ID_VISIBLE_TAIL:].upper()


def mask_name(name: str | None) -> str | None:
    """`张三丰` -> `张*丰`, `欧阳娜娜` -> `欧*娜`, `张三` -> `张*`, `张` -> `*`.

    Three or more characters keep the first and the last with one `*` for the middle
    (one star whatever the length, so the mask does not tell the name's length);
    two characters keep the first.
    """
    if name is None:
        return None
    text = str(name).strip()
    if len(text) == 0:
        return text
    if len(text) == 1:
        return "*"
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" + text[-1]


def mask_ids_in_text(text: str | None) -> str | None:
    """Mask every ID number that appears inside a longer text (e.g. rendered evidence)."""
    if text is None:
        return None
    return ID_NUMBER_IN_TEXT.sub(lambda m: m.group(1) + "*" * ID_MASKED_MIDDLE + m.group(2).upper(), text)
