"""Header matching: delivered header texts -> contract columns.

Why a separate step: departments label columns in Chinese, in English, with full-width
brackets or stray spaces. `contracts.normalise_header` folds them; this module decides
which delivered column feeds which contract column, which ones are unknown extras
(kept, never dropped), and whether the file is usable at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingestion.contracts import Feed, normalise_header
from ingestion.readers import FileRejected


@dataclass(frozen=True)
class HeaderMapping:
    """Which delivered position holds which contract column, and what is left over."""

    positions: dict[str, int]  # canonical column -> position in the delivered header
    extras: dict[str, int]  # delivered header text -> position, for unknown columns
    display: list[str]  # per position: canonical name, or the delivered text when unmapped
    # canonical column -> positions of its further copies (also in `extras`, so kept in _extra);
    # the batch quarantines the rows where a copy disagrees with the first (`batch.normalise_all`)
    duplicates: dict[str, list[int]] = field(default_factory=dict)


def map_headers(feed: Feed, headers: list[str]) -> HeaderMapping:
    """Match headers canonically or by alias; reject when no header or a required column is missing."""
    known = feed.header_map()
    positions: dict[str, int] = {}
    extras: dict[str, int] = {}
    duplicates: dict[str, list[int]] = {}
    display: list[str] = []
    for position, header in enumerate(headers):
        text = "" if header is None else str(header)
        canonical = known.get(normalise_header(text))
        if canonical is not None and canonical not in positions:
            positions[canonical] = position
            display.append(canonical)
            continue
        name = text.strip() or f"_column_{position + 1}"
        if canonical is not None:
            name = f"{name} (duplicate of {canonical})"
            duplicates.setdefault(canonical, []).append(position)
        while name in extras or name in feed.column_names:
            name = f"{name}_"
        extras[name] = position
        display.append(name)
    if not positions:
        raise FileRejected(
            f"no recognisable header: none of {len(headers)} header cells matches a {feed.feed_id} column"
            + _separator_hint(headers)
        )
    missing = [c for c in feed.required_columns if c not in positions]
    if missing:
        labels = ", ".join(f"{c} ({feed.column(c).zh})" for c in missing)
        raise FileRejected(f"required column missing: {labels}")
    return HeaderMapping(positions=positions, extras=extras, display=display, duplicates=duplicates)


def _separator_hint(headers: list[str]) -> str:
    """A header read as one cell (another separator, or a title row): what the sender most likely did."""
    if len(headers) != 1 or headers[0] is None:
        return ""
    text = str(headers[0])
    for separator, name in (("\t", "tabs"), (";", "semicolons"), ("|", "vertical bars")):
        if separator in text:
            return (f"; the header is one cell {text[:80]!r}, separated by {name}: a CSV delivery is "
                    "separated by commas")
    return (f"; the first non-empty row is one cell {text[:80]!r}: a title above the header? The header "
            "must be the first non-empty row")


def renamed_column_warnings(feed: Feed, mapping: HeaderMapping) -> list[str]:
    """Warn when optional contract columns are absent while unknown columns arrived: renamed?

    Why: a department that renames an optional column (`月收入` for `个人月收入`) still
    delivers a loadable file, but every value of that column would be null in staging (the
    values are kept in `_extra`). Nothing is wrong with any row, so the file loads; the
    warning goes to the ledger and the health report so that a person adds an alias.
    """
    missing = [c for c in feed.columns if not c.required and c.name not in mapping.positions]
    if not missing or not mapping.extras:
        return []
    absent = ", ".join(f"{c.name} ({c.zh})" for c in missing)
    unknown = ", ".join(mapping.extras)
    return [f"optional column(s) {absent} not delivered while unknown column(s) {unknown} were: "
            "renamed? the unknown columns' values are kept in _extra and the contract columns "
            "are null; add an alias to ingestion/feeds.yaml if they are the same"]
