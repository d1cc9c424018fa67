"""Fixtures of the warehouse tests."""

from __future__ import annotations

import pytest

from tests.warehouse.small_home import TwoBuilds, build_twice


@pytest.fixture(scope="session")
def two_builds(tmp_path_factory) -> TwoBuilds:
    """The small HOME built for EARLY and then LATE (read-only for tests: copy it to change it)."""
    return build_twice(tmp_path_factory.mktemp("small_home"))
