"""One locked environment: pyproject's pins, the lock file and the installed venv agree.

Why: `make setup`, CI and the Dockerfile all install requirements.lock; a pin changed in
pyproject.toml without `make lock`, or a venv installed some other way, would test one set
of versions and deploy another.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements.lock"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", LOCK.read_text(encoding="utf-8"), re.M)
    return {_normal(name): version for name, version in pins}


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    pins = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]+\])?==([^\s;]+)", requirement.strip())
        assert match, f"pyproject.toml: {requirement!r} is not pinned exactly (name==version)"
        pins[_normal(match.group(1))] = match.group(2)
    return pins


def test_every_pyproject_pin_is_in_the_lock_at_the_same_version():
    locked = _locked()
    for name, version in _pyproject_pins().items():
        assert locked.get(name) == version, f"{name}=={version} in pyproject.toml, {locked.get(name)} locked"


def test_every_locked_package_has_hashes():
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text(encoding="utf-8"))
    for block in blocks:
        if "==" in block.split("\n", 1)[0]:
            assert "--hash=sha256:" in block, block.split("\n", 1)[0]


def test_the_venv_runs_the_locked_versions():
    """What the tests run on is what the lock says (make setup installs it with --require-hashes)."""
    locked = _locked()
    installed = {_normal(d.metadata["Name"]): d.version for d in metadata.distributions()}
    drift = {
        name: (version, installed[name])
        for name, version in locked.items()
        if name in installed and installed[name] != version
    }
    assert not drift, f"installed versions differ from requirements.lock (run make setup): {drift}"
    missing = sorted(set(_pyproject_pins()) - set(installed))
    assert not missing, f"pinned but not installed: {missing}"
