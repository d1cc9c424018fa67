"""Shared fixtures, one plugin module per part (each owned by that part)."""

pytest_plugins = [
    "tests.fixtures.scheduling",
    "tests.fixtures.simulated",
    "tests.fixtures.warehouse",
]
