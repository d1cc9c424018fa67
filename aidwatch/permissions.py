"""File modes in HOME: private to the service account, with two documented exceptions.

Why: HOME holds full ID numbers, names, health, income and assistance status
(sensitive personal information, PIPL art. 28). Only the account that runs
aidwatch may read it (art. 51: access control). Two things are meant for readers
in HOME's group: the pseudonymised analyst file and the officials' exports.

The policy, one place for the writers and for `aidwatch doctor`:

| path in HOME                     | directories | files |
|----------------------------------|-------------|-------|
| HOME itself                      | 0750        |       |
| analyst.duckdb                   |             | 0640  |
| exports/ and everything under it | 0750        | 0640  |
| everything else                  | 0700        | 0600  |

Processes that write HOME (the CLI, the Airflow tasks) set the umask 077 with
`use_private_umask()`, so whatever any module creates is private from the start;
the two exceptions are set explicitly by their writers with `open_to_group()`.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aidwatch.home import Home

PRIVATE_UMASK = 0o077
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
GROUP_DIR = 0o750
GROUP_FILE = 0o640
HOME_DIR = GROUP_DIR  # the group may reach the analyst file and the exports, nothing else

#: Top-level entries of HOME that HOME's group may read (directories: the whole tree below).
GROUP_READABLE = ("analyst.duckdb", "exports")


def use_private_umask() -> int:
    """Make everything this process creates private (umask 077); returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


def allowed_mode(home: Home, path: Path, is_dir: bool) -> int:
    """The loosest mode the policy allows for `path` (inside HOME, or HOME itself)."""
    if path == home.root:
        return HOME_DIR
    top = path.relative_to(home.root).parts[0]
    if top in GROUP_READABLE:
        return GROUP_DIR if is_dir else GROUP_FILE
    return PRIVATE_DIR if is_dir else PRIVATE_FILE


def open_to_group(path: Path) -> None:
    """Give a file, or a folder and its tree, the group modes (0750 folders, 0640 files)."""
    targets = [path, *sorted(path.rglob("*"))] if path.is_dir() else [path]
    for target in targets:
        if not target.is_symlink():
            os.chmod(target, GROUP_DIR if target.is_dir() else GROUP_FILE)


def open_parents_to_group(home: Home, path: Path) -> None:
    """HOME and the folders between it and a group-readable `path` (e.g. HOME/exports) get 0750,
    so the group can reach it (a path outside HOME is left alone)."""
    with contextlib.suppress(ValueError):
        for parent in path.relative_to(home.root).parents:
            os.chmod(home.root / parent, GROUP_DIR)


@dataclass(frozen=True)
class LooseMode:
    """A path in HOME whose mode grants more than the policy allows."""

    path: Path
    mode: int
    allowed: int

    def __str__(self) -> str:
        kind = "directory" if stat.S_ISDIR(self.mode) else "file"
        return (f"{self.path}: {kind} mode {stat.S_IMODE(self.mode):04o}, "
                f"allowed at most {self.allowed:04o} (chmod {stat.S_IMODE(self.mode) & self.allowed:04o})")


def walk(root: Path) -> Iterator[Path]:
    """Every path under root, without following symlinks (unreadable folders are skipped)."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in (*dirs, *files):
            yield base / name


def loose_modes(home: Home) -> list[LooseMode]:
    """Every path in HOME (and HOME itself) with permission bits beyond the policy, sorted."""
    found = []
    for path in (home.root, *walk(home.root)):
        try:
            info = path.lstat()
        except FileNotFoundError:  # removed while we looked (a temporary file): nothing to report
            continue
        if stat.S_ISLNK(info.st_mode):
            continue
        allowed = allowed_mode(home, path, stat.S_ISDIR(info.st_mode))
        if stat.S_IMODE(info.st_mode) & ~allowed:
            found.append(LooseMode(path, info.st_mode, allowed))
    return sorted(found, key=lambda loose: str(loose.path))
