"""GX's metric IDs during a gate validation, without GX's long way round for None and plain text.

Why: GX names every metric it computes by an ID: the MD5 of its domain and value kwargs as
JSON (`IDDict.to_id`), made JSON-able first by `great_expectations.util.convert_to_json_serializable`.
One validation of the hukou suite makes ~640 metric configurations, each with two such IDs,
and most kwargs are None (`row_condition`, `condition_parser`, ...) or text. GX's converter
tests a value against some twenty types before it reaches `data is None`, three of them
through `numpy.issubdtype`; that was a fifth of a validation's cost that does not depend on
the rows (median of 15 in turn, 1,000-row hukou frame: 0.051 against 0.064 CPU s; 261k rows:
0.071 against 0.083), paid once per gated file group or streamed chunk.

Inside `ids_made_quickly()` the converter returns None, `str`, `int` and `bool` values (those
exact types, not subclasses) as they are, which is what GX's own converter returns for them;
every other value goes to GX's converter, which calls back here for the values inside a dict
or a list. Outside the block, and in another thread, GX runs unchanged.
`tests/ingestion/test_gx_ids.py` compares values, IDs and whole validation results with and
without.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ingestion.thread_switch import ThreadSwitch

#: The exact types GX's converter returns unchanged (None too): answered without asking it.
PLAIN_TYPES = (str, int, bool, type(None))

_quick = ThreadSwitch()


def _install() -> None:
    """Put the wrapper where GX's IDs and the converter's own recursion look it up (once per process)."""
    import great_expectations.core.id_dict as id_dict
    import great_expectations.util as gx_util

    if getattr(gx_util, "_aidwatch_ids_made_quickly", False):
        return
    convert = gx_util.convert_to_json_serializable

    def convert_to_json_serializable(data: Any) -> Any:
        if _quick.active and type(data) in PLAIN_TYPES:
            return data
        return convert(data)

    convert_to_json_serializable.__doc__ = convert.__doc__
    convert_to_json_serializable.gx_own = convert  # type: ignore[attr-defined]  # for the tests
    gx_util.convert_to_json_serializable = convert_to_json_serializable
    id_dict.convert_to_json_serializable = convert_to_json_serializable  # bound there at import
    gx_util._aidwatch_ids_made_quickly = True  # type: ignore[attr-defined]


@contextlib.contextmanager
def ids_made_quickly() -> Iterator[None]:
    """Within the block (this thread), GX's converter answers plain values itself (see module)."""
    _install()
    with _quick.on():
        yield
