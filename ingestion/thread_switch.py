"""A switch on for the length of a `with` block, in the thread that entered it only.

Why: the gate's changes to GX's bookkeeping (`gx_domains`, `gx_ids`) hold only while
`gate.validate` runs; outside that block, and in every other thread, GX runs as shipped.
Blocks nest: leaving an inner one leaves the switch as the outer one set it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class ThreadSwitch(threading.local):
    """`active` is True inside `on()` in this thread, False elsewhere."""

    active: bool = False

    @contextlib.contextmanager
    def on(self) -> Iterator[None]:
        outer = self.active
        self.active = True
        try:
            yield
        finally:
            self.active = outer
