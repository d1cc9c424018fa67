"""GX's `Expectation.configuration`, built once per expectation object during a validation.

Why: GX 1.x rebuilds an expectation's configuration from its pydantic fields every time the
property is read (`self.dict()`, a regex over the class name, a new ExpectationConfiguration),
and one validation reads it about nine times per expectation object it makes: 1,592 builds
for the 20 expectations of the hukou suite. That bookkeeping does not depend on the rows, and
it was about a third of a validation's CPU (a 20-row and a 261k-row hukou frame both took
~0.13 CPU s), paid once per file or chunk: 96 validations of a scale-1 inbox, one per 400,000
rows of a scale-10 one.

Inside `configurations_built_once()` the property returns the configuration built at its first
read of that object; assigning any field of the object (pydantic's `__setattr__`) drops it, so
a changed expectation reads its new configuration. The objects are held until the block ends,
so an object's `id` cannot be reused by another within it. Outside the block GX runs unchanged.
The memo is per thread: a block in one thread does not change what another thread's GX reads.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any


class _Memo(threading.local):
    built: dict[int, tuple[Any, Any]] | None = None  # id -> (expectation, configuration), in a block


_memo = _Memo()


def _install() -> None:
    """Wrap the property and `__setattr__` of GX's Expectation (once per process)."""
    from great_expectations.expectations.expectation import Expectation

    if getattr(Expectation, "_aidwatch_built_once", False):
        return
    build = Expectation.configuration.fget
    assign = Expectation.__setattr__

    def configuration(self: Any) -> Any:
        built = _memo.built
        if built is None:
            return build(self)
        held = built.get(id(self))
        if held is None or held[0] is not self:
            held = (self, build(self))
            built[id(self)] = held
        return held[1]

    def __setattr__(self: Any, name: str, value: Any) -> None:  # noqa: N807 (GX's own name)
        assign(self, name, value)
        if _memo.built is not None:
            _memo.built.pop(id(self), None)

    configuration.__doc__ = build.__doc__
    Expectation.configuration = property(configuration)  # type: ignore[method-assign,assignment]
    Expectation.__setattr__ = __setattr__  # type: ignore[method-assign,assignment]
    Expectation._aidwatch_built_once = True  # type: ignore[attr-defined]


@contextlib.contextmanager
def configurations_built_once() -> Iterator[None]:
    """Within the block, each expectation object's configuration is built once (see module)."""
    _install()
    outer = _memo.built
    _memo.built = {} if outer is None else outer
    try:
        yield
    finally:
        if outer is None:
            _memo.built = None
