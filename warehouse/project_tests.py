"""Tests whose verdict depends on the dbt project only, and when a build may skip them.

Why: a daily build changes the data and the as_of, not the project. Unit tests check model
logic on fixed inputs, and a data test that reads nothing but seeds (the project's own CSV
files, loaded the same way by every build) checks the project's reference tables. Their
verdict can only change when the project or the engine running it does, not with the data
or the HOME (dbt's own advice: unit tests belong in development and CI, not in every
production run). So the first build of a project version on an installation runs them all;
when it passes, it records the fingerprint (the project's files and the versions of dbt,
dbt-duckdb and DuckDB) and the data tests that read only seeds (`record_passed`), in its
HOME and in the installation's shared folder (warehouse/installation.py). A later build of
the same fingerprint, in that HOME or a new one, skips both (`skipped_selection`): the 67
unit tests cost a scale-1 build ~8 s of its ~26 s, dbt nodes ~50-70 ms each of Python under
the GIL (issue 14). Any edit to a model, macro, seed, test or dbt_project.yml, or another
engine version, runs every one of them again; the data tests of models run in every build.
"""

from __future__ import annotations

import hashlib
import json
import logging
from importlib.metadata import version
from pathlib import Path

from aidwatch.home import Home
from ingestion.landing import write_atomic_bytes
from warehouse.installation import PROJECT_DIR, shared_dir

log = logging.getLogger(__name__)

#: What these tests' verdicts depend on: the project's own files (not the data) ...
PROJECT_SOURCES = ("dbt_project.yml", "models", "macros", "seeds", "tests")
#: ... and the engine that compiles and runs them.
ENGINE_PACKAGES = ("dbt-core", "dbt-duckdb", "duckdb")

STAMP_NAME = "project_tests_passed.json"


def project_fingerprint() -> str:
    """sha256 over the dbt project's files (paths and contents) and the engine's versions."""
    digest = hashlib.sha256()
    for name in PROJECT_SOURCES:
        root = PROJECT_DIR / name
        paths = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in paths:
            digest.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    for package in ENGINE_PACKAGES:
        digest.update(f"{package}=={version(package)}\0".encode())
    return digest.hexdigest()


def stamp_file(home: Home) -> Path:
    """Where this HOME's last build that ran every project-only test and passed left its record."""
    return home.dbt_work / STAMP_NAME


def shared_stamp_file() -> Path:
    """The same record, left by the last such build of any HOME of this installation."""
    return shared_dir() / STAMP_NAME


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
    """After a build that ran every test and passed: its fingerprint and its seed-only tests,
    in the HOME and in the installation's shared folder.

    Without a readable manifest nothing is recorded (and the HOME's earlier record is
    removed): the next build runs every test again rather than guess which ones read only
    seeds. The shared record is best effort (written atomically: other HOMEs may be reading
    it); a read-only installation keeps the HOME's own.
    """
    try:
        record = {"fingerprint": fingerprint, "seed_only_tests": seed_only_tests(manifest_file)}
    except (OSError, ValueError, KeyError) as error:
        stamp_file(home).unlink(missing_ok=True)
        log.warning("project-only tests not recorded, the next build runs them all again: "
                    "cannot read %s (%s)", manifest_file, error)
        return
    text = (json.dumps(record, indent=1) + "\n").encode("utf-8")
    write_atomic_bytes(stamp_file(home), text)  # as the shared record: never half a file
    try:
        write_atomic_bytes(shared_stamp_file(), text)
    except OSError as error:
        log.info("project-only tests' verdict not shared (a new HOME runs them again): %s", error)


def recorded_selection(stamp: Path, fingerprint: str) -> list[str] | None:
    """The seed-only tests a record at `stamp` lists for this fingerprint; None when the
    record is missing, unreadable or of another fingerprint."""
    try:
        record = json.loads(stamp.read_text(encoding="utf-8"))
        if record["fingerprint"] != fingerprint:
            return None
        return [str(selector) for selector in record["seed_only_tests"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def skipped_selection(home: Home, fingerprint: str) -> list[str] | None:
    """dbt arguments that leave out the project-only tests which passed on this very
    fingerprint, in this HOME or another of the installation; None when they must all run
    (never passed here, the project or engine changed, or the records are unreadable)."""
    for stamp in (stamp_file(home), shared_stamp_file()):
        seed_only = recorded_selection(stamp, fingerprint)
        if seed_only is not None:
            log.info("unit tests and %d seed-only data tests passed on this project version "
                     "(%s): not run again", len(seed_only), stamp)
            return ["--exclude-resource-type", "unit_test", *(["--exclude", *seed_only] if seed_only else [])]
    return None
