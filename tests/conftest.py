"""Shared fixtures, one plugin module per part (each owned by that part), and the suite's order."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.simulated",
    "tests.fixtures.warehouse",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files holding an end-to-end (`slow`) test first, each file's tests kept together and in order.

    Why: CI runs the suite in two workers that take whole files (`--dist loadfile`) in this
    order. In alphabetical order the heaviest files came last (rules, warehouse, workspace),
    and one worker finished a long file alone while the other waited. Starting with the
    longest files lets the short ones fill the gaps at the end.
    """
    slow_files = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow_files)  # a stable sort: order kept within each
