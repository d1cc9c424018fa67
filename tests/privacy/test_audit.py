"""The audit fails closed: no audit line, no files; files only after a complete audit line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from aidwatch.cli import main as aidwatch_main
from aidwatch.home import Home
from exports.audit import AuditUnavailable, audited_write, read_audit_lines, read_audit_records
from exports.officials import export_warning_lists


def leftovers(folder: Path) -> list[Path]:
    """Everything under a folder (the export's target and its temporary siblings)."""
    return sorted(folder.rglob("*")) if folder.exists() else []


def seal(log: Path) -> None:
    """Make the audit log read-only (as an operator archiving it would)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()
    os.chmod(log, 0o400)


def test_intent_then_completed_line_then_files_in_place(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    target = home.exports / "batch"
    with audited_write(home, "test_write", target, {"as_of": "2026-11-02"}, group_readable=True) as write:
        assert read_audit_lines(home)[-1]["event"] == "intent"  # recorded before anything is written
        (write.folder / "list.csv").write_text("x\n", encoding="utf-8")
        assert not target.exists()  # nothing in place before the completed line
        write.record["rows_total"] = 1
    intent, completed = read_audit_lines(home)
    assert intent["write_id"] == completed["write_id"] and intent["target"] == str(target)
    assert completed["event"] == "completed" and completed["rows_total"] == 1
    assert [f["file"] for f in completed["files"]] == ["list.csv"] and completed["as_of"] == "2026-11-02"
    assert read_audit_records(home) == [completed]
    assert (target / "list.csv").read_text(encoding="utf-8") == "x\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    assert stat.S_IMODE((target / "list.csv").stat().st_mode) == 0o640
    assert stat.S_IMODE(home.audit_log.stat().st_mode) == 0o600
    assert leftovers(home.exports) == [target, target / "list.csv"]


def test_read_only_log_refuses_before_writing(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    seal(home.audit_log)
    entered = False
    with pytest.raises(AuditUnavailable, match="read-only"), \
            audited_write(home, "test_write", home.exports / "batch"):
        entered = True
    assert not entered and leftovers(home.exports) == []


def test_log_that_fails_at_completion_leaves_no_files(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    with pytest.raises(AuditUnavailable), audited_write(home, "test_write", home.exports / "batch") as write:
        (write.folder / "list.csv").write_text("x\n", encoding="utf-8")
        os.chmod(home.audit_log, 0o400)  # the log becomes unwritable while the files are written
    assert leftovers(home.exports) == []
    assert [line["event"] for line in read_audit_lines(home)] == ["intent"]


def test_unwritable_log_path_and_failing_writer(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    home.audit_log.mkdir(parents=True)  # not a file: the append fails with an OSError
    with pytest.raises(AuditUnavailable, match="cannot write the audit log"), \
            audited_write(home, "test_write", home.exports / "batch"):
        pass
    home.audit_log.rmdir()
    with pytest.raises(ValueError, match="bad row"), \
            audited_write(home, "test_write", home.exports / "batch") as write:
        (write.folder / "half.csv").write_text("x", encoding="utf-8")
        raise ValueError("bad row")
    assert leftovers(home.exports) == []
    assert [line["event"] for line in read_audit_lines(home)] == ["intent", "aborted"]


def test_export_with_read_only_audit_log_leaves_no_export_files(
    small_home: Home, capsys: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture
) -> None:
    first = export_warning_lists(small_home, None, None)  # an earlier export stays as it was
    before = {path: path.read_bytes() for path in leftovers(small_home.exports) if path.is_file()}
    os.chmod(small_home.audit_log, 0o400)
    status = aidwatch_main(["export", "--home", str(small_home.root), "--out",
                            str(small_home.root / "elsewhere")])
    assert status == 1
    assert "read-only" in caplog.text and str(small_home.audit_log) in caplog.text
    assert not (small_home.root / "elsewhere").exists()
    assert not [p for p in small_home.root.iterdir() if p.name.startswith(".elsewhere")]
    assert aidwatch_main(["export", "--home", str(small_home.root)]) == 1
    assert {path: path.read_bytes() for path in leftovers(small_home.exports) if path.is_file()} == before
    assert leftovers(small_home.exports) == [first.out_dir, *sorted(before)]
    assert len(read_audit_records(small_home)) == 1 and first.out_dir.exists()
