"""Control files: a department's manifest of the data files it sent, with row count and sha256.

Why: a CSV cut at a line boundary (an interrupted upload or export) reads as a valid, shorter
file; nothing inside it can tell. Exchange platforms therefore send a control file saying
what they sent. The format is documented in ingestion/feeds.yaml (header comment):
`<anything>.manifest.json` in the feed folder, `{"feed_id": ..., "files": [{"file", "rows",
"sha256"}]}`, `file` relative to the control file's folder, `rows` counted as ingestion counts
rows_read (data records, not the header, not blank lines).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class ControlFileInvalid(Exception):
    """The control file cannot be used; the message is the ledger reason."""


@dataclass(frozen=True)
class ControlLine:
    """What a control file promises about one data file."""

    control_file: str  # relative to the inbox
    file: str  # the data file, relative to the inbox
    rows: int
    sha256: str


def read_control_file(inbox: Path, feed_id: str, path: Path) -> list[ControlLine]:
    """The lines of one control file; raises ControlFileInvalid naming what is wrong."""
    relative = path.relative_to(inbox).as_posix()
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ControlFileInvalid(f"control file is not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise ControlFileInvalid(f"control file is not valid JSON: line {exc.lineno} column "
                                 f"{exc.colno}: {exc.msg}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise ControlFileInvalid('control file must be a JSON object with a "files" list')
    if data.get("feed_id") not in (None, feed_id):
        raise ControlFileInvalid(f"control file names feed {data['feed_id']!r} but lies in {feed_id}/")
    lines = []
    for number, item in enumerate(data["files"], start=1):
        if not isinstance(item, dict):
            raise ControlFileInvalid(f"files[{number}] is not an object")
        name, rows, sha = item.get("file"), item.get("rows"), item.get("sha256")
        if not isinstance(name, str) or not name or Path(name).is_absolute() or ".." in Path(name).parts:
            raise ControlFileInvalid(f"files[{number}].file must be a relative file name, got {name!r}")
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            raise ControlFileInvalid(
                f"files[{number}] ({name}): rows must be a whole number >= 0, got {rows!r}")
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise ControlFileInvalid(f"files[{number}] ({name}): sha256 must be 64 hex digits, got {sha!r}")
        data_file = (path.parent / name).relative_to(inbox).as_posix()
        lines.append(ControlLine(relative, data_file, rows, sha.lower()))
    return lines


def sha_problem(line: ControlLine, sha256: str) -> str | None:
    """The reason to reject a file whose bytes differ from what its control file says."""
    if sha256 == line.sha256:
        return None
    return (f"sha256 {sha256[:12]}… differs from {line.sha256[:12]}… in control file {line.control_file}: "
            "the file was changed, cut or damaged after it was listed")


def rows_problem(line: ControlLine, rows_read: int) -> str | None:
    """The reason to reject a file whose record count differs from its control file."""
    if rows_read == line.rows:
        return None
    return (f"{rows_read} data records read, control file {line.control_file} lists {line.rows}: "
            "rows are missing or were added")
