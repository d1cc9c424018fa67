"""Feedback tests reuse the workspace's fixtures (the session warehouse served with users of every role)."""

from tests.workspace.conftest import areas, clients, ops_engine, workspace_app  # noqa: F401
