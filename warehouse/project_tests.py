"""Tests whose verdict depends on the dbt project only, and when a build may skip them.

Why: a daily build changes the data and the as_of, not the project. Unit tests check model
logic on fixed inputs, and a data test that reads nothing but seeds (the project's own CSV
files, loaded the same way by every build) checks the project's reference tables. Their
verdict can only change when the project does. So the first build of a project runs them
all; when it passes, it records the project's fingerprint and the data tests that read only
seeds (`record_passed`). A later build of the same project skips both (`skipped_selection`),
as dbt nodes cost ~50-70 ms each of a build's Python under the GIL (issue 14). Any edit to
a model, macro, seed, test or dbt_project.yml runs every one of them again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from aidwatch.home import Home

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"

#: What these tests' verdicts depend on: the project's own files (not the data).
PROJECT_SOURCES = ("dbt_project.yml", "models", "macros", "seeds", "tests")


def project_fingerprint() -> str:
    """sha256 over the dbt project's files (paths and contents)."""
    digest = hashlib.sha256()
    for name in PROJECT_SOURCES:
        root = PROJECT_DIR / name
        paths = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in paths:
            digest.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def stamp_file(home: Home) -> Path:
    """Where the last build that ran every project-only test and passed left its record."""
    return home.dbt_work / "project_tests_passed.json"


def seed_only_tests(manifest_file: Path) -> list[str]:
    """Selectors (`fqn:...`) of the data tests whose every input is a seed, from dbt's manifest.

    A test that reads a model as well (a model column's `relationships` to a seed, say) is
    not one of them: its verdict depends on the data.
    """
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    selectors = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        inputs = node["depends_on"]["nodes"]
        if inputs and all(i.startswith("seed.") for i in inputs):
            selectors.append("fqn:" + ".".join(node["fqn"]))
    return sorted(selectors)


def record_passed(home: Home, fingerprint: str, manifest_file: Path) -> None:
    """After a build that ran every test and passed: its project and its seed-only tests.

    Without a readable manifest nothing is recorded (and an earlier record is removed): the
    next build runs every test again rather than guess which ones read only seeds.
    """
    try:
        record = {"fingerprint": fingerprint, "seed_only_tests": seed_only_tests(manifest_file)}
    except (OSError, ValueError, KeyError) as error:
        stamp_file(home).unlink(missing_ok=True)
        log.warning("project-only tests not recorded, the next build runs them all again: "
                    "cannot read %s (%s)", manifest_file, error)
        return
    stamp_file(home).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def skipped_selection(home: Home, fingerprint: str) -> list[str] | None:
    """dbt arguments that leave out the project-only tests which passed on this very project;
    None when they must all run (never passed in this HOME, the project changed, or the
    record is unreadable)."""
    try:
        record = json.loads(stamp_file(home).read_text(encoding="utf-8"))
        if record["fingerprint"] != fingerprint:
            return None
        seed_only = [str(selector) for selector in record["seed_only_tests"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return ["--exclude-resource-type", "unit_test", *(["--exclude", *seed_only] if seed_only else [])]
