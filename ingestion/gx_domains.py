"""GX's column-pair and column-list domain records cut to their own columns during a gate
validation.

Why: for a column-pair domain with `ignore_row_if`, GX's `PandasExecutionEngine.get_domain_records`
drops the rows missing either value from the whole batch frame (`DataFrame.dropna`), which
copies every column of the frame whenever one row is dropped. On a hukou gate frame (26
columns, 252,774 rows) one ID without facts made each of the eight pair-domain reads of a
validation (the two `agrees_with_id` expectations, four metrics each) copy all 26 columns:
0.06 of the validation's ~0.2 CPU s (in turn, median of 12: 0.145 with, 0.208 without).

What the metrics of a pair or list domain read is its own columns and the frame's index (the
gate's result format names no `unexpected_index_column_names`, `gate.RESULT_FORMAT`). So inside
`domains_narrowed()` the records of such a domain are its columns only: the same rows (after
GX's row condition and the same `ignore_row_if`), the same index, the same values. Column and
table domains stay GX's own: cutting a column domain to its column costs a new frame per read
and measured no faster. Outside the block, and in another thread, GX runs unchanged.
`tests/ingestion/test_gx_domains.py` compares whole validation results with and without.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ingestion.thread_switch import ThreadSwitch

#: GX's `ignore_row_if` values and the rows `DataFrame.dropna` drops for each (None: none).
PAIR_MISSING = {"both_values_are_missing": "all", "either_value_is_missing": "any", "neither": None}
LIST_MISSING = {"all_values_are_missing": "all", "any_value_is_missing": "any", "never": None}


_narrowing = ThreadSwitch()


def domain_columns(domain_kwargs: dict) -> list[str] | None:
    """The columns a pair or list domain reads; None for any other domain (a column's, a table's)."""
    if "column" in domain_kwargs:
        return None
    if "column_A" in domain_kwargs and "column_B" in domain_kwargs:
        return list(dict.fromkeys([domain_kwargs["column_A"], domain_kwargs["column_B"]]))
    if "column_list" in domain_kwargs:
        return list(dict.fromkeys(domain_kwargs["column_list"]))
    return None


def _missing_rule(domain_kwargs: dict) -> tuple[bool, str | None]:
    """(known, how): whether GX's `ignore_row_if` is one this module applies, and dropna's `how`."""
    if "ignore_row_if" not in domain_kwargs:
        return True, None  # GX drops no rows
    rules = PAIR_MISSING if "column_A" in domain_kwargs else LIST_MISSING
    rule = domain_kwargs["ignore_row_if"]
    return rule in rules, rules.get(rule)


def _install() -> None:
    """Wrap GX's `PandasExecutionEngine.get_domain_records` (once per process)."""
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine

    if getattr(PandasExecutionEngine, "_aidwatch_narrowed", False):
        return
    records = PandasExecutionEngine.get_domain_records

    def get_domain_records(self: Any, domain_kwargs: dict) -> Any:
        columns = domain_columns(domain_kwargs) if _narrowing.active else None
        if columns is None:
            return records(self, domain_kwargs)
        known, how = _missing_rule(domain_kwargs)
        if not known or domain_kwargs.get("table"):
            return records(self, domain_kwargs)  # GX's own, errors included
        # GX's row condition on the whole frame, without its ignore_row_if (applied below)
        whole = records(self, {k: v for k, v in domain_kwargs.items() if k != "ignore_row_if"})
        narrowed = whole[columns]
        return narrowed if how is None else narrowed.dropna(axis=0, how=how, subset=columns)

    get_domain_records.__doc__ = records.__doc__
    PandasExecutionEngine.get_domain_records = get_domain_records  # type: ignore[method-assign]
    PandasExecutionEngine._aidwatch_narrowed = True  # type: ignore[attr-defined]


@contextlib.contextmanager
def domains_narrowed() -> Iterator[None]:
    """Within the block (this thread), a pair or list domain's records are its own columns."""
    _install()
    with _narrowing.on():
        yield
