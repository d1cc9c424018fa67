"""Where this installation's dbt project lives, and the folder of dbt state its HOMEs share.

Why a module of its own: what a build may reuse from another HOME of the same installation
(dbt's parse state, warehouse/parse_state.py; the verdict of the tests that depend on the
project only, warehouse/project_tests.py) lives in one folder, found the same way by both.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"

#: The shared folder unless AIDWATCH_DBT_SHARED_STATE names another one (a read-only
#: installation; tests that play a new installation).
SHARED_DIR_ENV = "AIDWATCH_DBT_SHARED_STATE"
DEFAULT_SHARED_DIR = PROJECT_DIR / "target_shared"


def shared_dir() -> Path:
    """The folder of dbt state shared by every HOME of this installation (it may not exist)."""
    folder = os.environ.get(SHARED_DIR_ENV)
    return Path(folder) if folder else DEFAULT_SHARED_DIR
