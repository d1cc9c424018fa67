"""Importing Great Expectations for the gate, paying only for what the gate uses.

Why: a cold `aidwatch ingest` pays GX's import before its first file is validated, and
about half of that import is two libraries the gate never calls. GX imports every core
expectation at start-up, and one of them (KL divergence) imports SciPy's statistics and
Altair at module level, using them only inside the functions that evaluate or render it;
two KS-test metrics do the same with SciPy. The gate's suites use neither (measured with
`python -X importtime`: scipy.stats ~0.6 s and altair ~0.2 s of GX's ~1.7 s).

So while GX is imported those modules are stand-ins (DeferredModule) whose real code runs
on the first attribute access. Nothing is stubbed: a suite that does use KL divergence
still works, it pays for SciPy when it first calls it.

SQLAlchemy is blocked outright instead: GX's compatibility layer treats a failed import as
"not installed", and the gate validates pandas frames only. The block is lifted right
after the import, so later imports of SQLAlchemy in this process work as usual.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import sys
from collections.abc import Iterator
from importlib.machinery import ModuleSpec
from types import ModuleType

#: Imported by GX at start-up but only called inside expectations the gate does not use.
DEFERRED_MODULES = ("scipy.stats", "altair")


class DeferredModule(ModuleType):
    """Stands in sys.modules for a module until one of its own attributes is read.

    The import system reads `__spec__` of a module it finds in sys.modules (which is why
    `importlib.util.LazyLoader` loads the module at the next `import` of its name, not at
    first use): here `__spec__` is a plain attribute, and every other attribute loads the
    real module, replaces this stand-in in sys.modules and is read from the real module.
    `__path__` is left out on purpose, so importing a submodule loads the package first.
    """

    def __init__(self, spec: ModuleSpec) -> None:
        super().__init__(spec.name)
        self.__spec__ = spec

    def __getattr__(self, name: str) -> object:
        return getattr(self.real_module(), name)

    def real_module(self) -> ModuleType:
        """The module itself, imported on the first call."""
        real = self.__dict__.get("_real")
        if real is None:
            name = self.__spec__.name
            if sys.modules.get(name) is self:
                del sys.modules[name]
            real = importlib.import_module(name)
            self.__dict__["_real"] = real
        return real


@contextlib.contextmanager
def _deferred(names: tuple[str, ...]) -> Iterator[None]:
    """Put a DeferredModule in sys.modules for each of `names` not yet imported.

    find_spec of "scipy.stats" imports its parent package (scipy/__init__.py, a few ms:
    SciPy loads its subpackages on attribute access); scipy.stats itself is deferred.
    """
    for name in names:
        if name not in sys.modules:
            spec = importlib.util.find_spec(name)
            if spec is not None:  # not installed: GX raises its own error, as it would without us
                sys.modules[name] = DeferredModule(spec)
    yield


@contextlib.contextmanager
def _without_sqlalchemy() -> Iterator[None]:
    """Make `import sqlalchemy` fail while GX imports, unless this process already loaded it."""
    if "sqlalchemy" in sys.modules:
        yield
        return
    sys.modules["sqlalchemy"] = None  # type: ignore[assignment]  # makes `import sqlalchemy` fail
    try:
        yield
    finally:
        if sys.modules.get("sqlalchemy", 0) is None:
            del sys.modules["sqlalchemy"]


def import_great_expectations() -> ModuleType:
    """Import GX (and the fluent pandas data source) for the gate; returns the `great_expectations` module."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    # GX logs hundreds of INFO lines while importing; the gate's own logging is enough.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    with _without_sqlalchemy(), _deferred(DEFERRED_MODULES):
        import great_expectations as gx
    _quiet_verbose_gx_loggers()
    return gx


def _quiet_verbose_gx_loggers() -> None:
    """Raise to WARNING every GX logger that set its own level below it at import.

    Why: a few GX modules call `logger.setLevel(logging.INFO)` themselves, so the level on
    the parent logger does not reach them; one of them told operators on every ingest that it
    had created (and, unsaid, at once removed) a temporary folder for a docs site the gate
    never builds.
    """
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if (name.startswith("great_expectations.") and isinstance(logger, logging.Logger)
                and logging.NOTSET < logger.level < logging.WARNING):
            logger.setLevel(logging.WARNING)
