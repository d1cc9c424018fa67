"""Argument types and checks shared by the subcommands: bad input becomes one clear sentence.

Why here: every command takes dates, counts, a HOME and folders; each must refuse a bad
value the same way, naming the argument or the path, and never with a traceback.
Argument types raise `argparse.ArgumentTypeError` (argparse then prints the usage and
exits 2); checks that need the file system at run time raise `UsageError`, which
`aidwatch.cli.main` prints as one line and turns into exit status 1.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from datetime import date
from pathlib import Path

from aidwatch.home import Home


class UsageError(Exception):
    """A value the command cannot work with (an unusable HOME, a missing folder); the message says which."""


def iso_date(text: str) -> date:
    """A calendar date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        expected = "expected YYYY-MM-DD, e.g. 2026-11-28"
        raise argparse.ArgumentTypeError(f"'{text}' is not a date ({expected})") from None


def positive_int(text: str) -> int:
    """A whole number of at least 1 (months, workers)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """A number above 0 (a population scale)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text}")
    return value


def reason_text(text: str) -> str:
    """A non-blank reason a person gives for a decision that is recorded."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the reason must not be empty")
    return text.strip()


def existing_folder(text: str) -> Path:
    """A folder that exists (an inbox)."""
    path = Path(text).expanduser().resolve()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"folder {path} does not exist")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is not a folder")
    return path


def usable_home(value: str | None) -> Home:
    """The HOME of `--home` (else $AIDWATCH_HOME, else ./data), created and checked writable.

    Why a write probe: a HOME that cannot be written fails deep inside ingest or dbt with
    a traceback otherwise; here it fails first, naming the folder and the reason.
    """
    home = Home.resolve(value)
    root = home.root
    if root.exists() and not root.is_dir():
        raise UsageError(f"HOME {root} is not a folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(prefix=".write-probe-", dir=root)
        os.close(descriptor)
        os.unlink(probe)
    except OSError as error:
        raise UsageError(f"HOME {root} cannot be written: {error.strerror or error}") from None
    return home


def add_home_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
