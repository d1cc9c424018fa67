"""Tests that need a system package (Debian's chromium, PostgreSQL's server binaries).

Why not a plain skip: CI installs them (.ci/run), so there a missing package is a broken
CI, and a skip would hide that the browser and PostgreSQL tests never ran. On a developer's
machine without them the test is skipped with the reason.
"""

from __future__ import annotations

import os

import pytest


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail in CI (CI=true), which must have installed it."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run this test")
    pytest.skip(reason)
