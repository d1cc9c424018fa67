"""The small real warehouse of the export tests, reused here (tests/exports/conftest.py)."""

from tests.exports.conftest import pseudonym_key, small_home  # noqa: F401
