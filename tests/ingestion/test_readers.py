"""Readers: encodings, formats and header matching on real files made here."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ingestion.contracts import get_feed
from ingestion.headers import map_headers
from ingestion.readers import (
    _STRICT_SCAN_BYTES,
    BLANK_FIRST_BYTES,
    FileRejected,
    _blank_to_null,
    _has_line_break,
    decodes_strictly,
    read_file,
)
from tests.ingestion.deliveries import write_csv, write_json, write_xlsx

ZH_HEADER = ["死亡日期", "身份证号", "信息来源"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "d.csv", ZH_HEADER, [["2026-10-01", "X1", "火化"]], encoding)
    table = read_file(path)
    assert table.encoding == encoding
    assert table.headers == ZH_HEADER
    assert table.cells.iloc[0].tolist() == ["2026-10-01", "X1", "火化"]
    mapping = map_headers(get_feed("ca_deaths"), table.headers)
    assert mapping.positions == {"death_date": 0, "id_number": 1, "source": 2}


def test_undecodable_csv_is_rejected_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id_number,death_date\n1,2026-01-01\n\xff\xfe\xff\xfe\x80,2026-01-01\n")
    with pytest.raises(FileRejected, match=r"cannot decode as UTF-8 \(byte 34, line 3\) or GB18030 "
                                           r"\(byte 3\d, line 3\)"):
        read_file(path)


def test_truncated_utf8_is_rejected_not_read_as_gb18030(tmp_path: Path) -> None:
    data = "身份证号,死亡日期,信息来源\n1,2026-01-01,火化\n".encode()
    path = tmp_path / "cut.csv"
    path.write_bytes(data[:-2])  # cut inside the last character (化 is 3 bytes)
    with pytest.raises(FileRejected, match="truncated or damaged"):
        read_file(path)


def test_broken_utf8_is_counted_as_a_whole_decoding_counts_it_and_stops_past_the_limit() -> None:
    """Counted block by block (a character cut between blocks is not broken), up to the limit."""
    from ingestion.readers import FEW_BROKEN, broken_utf8_count

    text = "身份证号,死亡日期,信息来源\n1,2026-01-01,火化\n" * 50
    damaged = bytearray(text.encode())
    commas = [at for at, byte in enumerate(damaged) if byte == ord(",")]
    for at in (commas[0], commas[40], commas[-1]):  # three bytes broken, far apart
        damaged[at] = 0xFF
    for data in (text.encode(), bytes(damaged), bytes(damaged[:-2]), text.encode("gb18030")):
        whole = data.decode("utf-8", errors="replace").count("\ufffd")
        for size in (1, 2, 7, 1000, len(data)):
            counted = broken_utf8_count(data[i:i + size] for i in range(0, len(data), size))
            assert counted == whole if whole <= FEW_BROKEN else FEW_BROKEN < counted <= whole, (size, whole)
    assert broken_utf8_count([bytes(damaged)]) == 3
    gb18030 = (text * 40).encode("gb18030")  # beyond one block of the count: it stops after the first
    assert broken_utf8_count([gb18030]) < gb18030.decode("utf-8", errors="replace").count("\ufffd") // 2


def test_gb18030_that_is_also_valid_utf8_reads_as_chinese(tmp_path: Path) -> None:
    """元 in GB18030 (D4 AA) is valid UTF-8 for an Armenian letter: the Chinese reading wins."""
    path = tmp_path / "tax_income_20261128.csv"
    path.write_bytes("id_number,year,taxable_income\n152921198001011239,2025,24614.40元\n".encode("gb18030"))
    table = read_file(path)
    assert table.encoding == "gb18030"
    assert table.cells["2"].tolist() == ["24614.40元"]


def test_gb18030_chinese_header_that_starts_like_utf8(tmp_path: Path) -> None:
    """统一 in GB18030 (CD B3 D2 BB) begins with a valid UTF-8 sequence; still GB18030."""
    path = tmp_path / "mr_business_20261128.csv"
    path.write_bytes("统一社会信用代码,主体名称\n91152921MA0000000X,统一商店\n".encode("gb18030"))
    table = read_file(path)
    assert table.encoding == "gb18030"
    assert table.headers == ["统一社会信用代码", "主体名称"]


def test_short_and_long_rows_are_row_problems(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("id_number,death_date,source\n1,2,3\n\n4,5\n6,7,8,9\n", encoding="utf-8")
    table = read_file(path)
    assert table.source_rows.tolist() == [1, 2, 3]
    problems = table.row_problems.tolist()
    assert problems[0] is None or problems[0] != problems[0]
    assert "2 fields" in problems[1] and "4 fields" in problems[2]
    assert table.cells.iloc[2, :3].tolist() == ["6", "7", "8"]


def test_xlsx_header_in_first_non_empty_row_and_date_cells(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", ["身份证号", "死亡日期", "信息来源"],
                      [["152921198001011239", dt.datetime(2026, 10, 1), "火化"],
                       ["152921198001011239", 46296, None]], blank_rows_above=2)
    table = read_file(path)
    assert table.file_format == "xlsx" and table.encoding is None
    assert table.headers == ["身份证号", "死亡日期", "信息来源"]
    assert table.source_rows.tolist() == [1, 2]  # data rows after the header, as for CSV
    assert table.cells["1"].tolist() == ["2026-10-01", "46296"]


def test_json_and_jsonl(tmp_path: Path) -> None:
    records = [{"id_number": "1", "death_date": "2026-10-01", "amount": 12.5, "flag": True, "x": None}]
    for lines in (False, True):
        table = read_file(write_json(tmp_path / ("d.jsonl" if lines else "d.json"), records, lines))
        assert table.headers == ["id_number", "death_date", "amount", "flag", "x"]
        assert table.cells.iloc[0, :4].tolist() == ["1", "2026-10-01", "12.5", "true"]


def test_header_rules(tmp_path: Path) -> None:
    feed = get_feed("ps_hukou")
    mapping = map_headers(feed, [" 身份证号 ", "ＮＡＭＥ", "户号", "备注"])
    assert mapping.positions == {"id_number": 0, "name": 1, "hukou_no": 2}
    assert list(mapping.extras) == ["备注"]
    with pytest.raises(FileRejected, match="required column missing: hukou_no"):
        map_headers(feed, ["身份证号", "姓名"])
    with pytest.raises(FileRejected, match="no recognisable header"):
        map_headers(feed, ["a", "b"])
    with pytest.raises(FileRejected, match="empty"):
        (tmp_path / "e.csv").write_bytes(b"")
        read_file(tmp_path / "e.csv")


def test_extract_date_from_the_name_never_the_modification_date(tmp_path: Path) -> None:
    from ingestion.delivery import extract_date_of, missing_date_reason

    named = tmp_path / "民政低保户_20261101_v2.xlsx"
    named.write_bytes(b"")
    assert extract_date_of(named) == dt.date(2026, 11, 1)
    unnamed = tmp_path / "export_99999999.csv"  # not a real date: no extract date at all
    unnamed.write_bytes(b"")
    stamp = dt.datetime(2026, 3, 4, 12, 0).timestamp()
    os.utime(unnamed, (stamp, stamp))
    assert extract_date_of(unnamed) is None
    assert "99999999 is not a real date" in missing_date_reason(unnamed)
    twice = tmp_path / "低保_20261101_20261101.csv"  # the same date twice is one date
    assert extract_date_of(twice) == dt.date(2026, 11, 1)
    period = tmp_path / "低保_20261101_20261115.csv"
    assert extract_date_of(period) is None
    assert "several dates in the file name '低保_20261101_20261115.csv' (20261101, 20261115)" in (
        missing_date_reason(period))


def test_unsupported_file_type_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(FileRejected, match="unsupported file type"):
        read_file(tmp_path / "notes.txt")


def test_xlsx_rows_without_trailing_cells_are_fine(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", ["身份证号", "死亡日期", "信息来源"],
                      [["152921198001011239", "2026-10-01"], ["152921198001011239", "2026-10-01", "火化"]])
    table = read_file(path)
    assert table.row_problems.isna().all()
    assert table.cells["2"].tolist()[0] != table.cells["2"].tolist()[0]  # padded with null


def test_other_separators_titles_and_utf16_are_rejected_saying_what_the_file_is(tmp_path: Path) -> None:
    """Excel's "Unicode text", European CSV exports, titled sheets: rejected, saying what would fix them."""
    feed = get_feed("ca_deaths")
    for separator, name in (("\t", "tabs"), (";", "semicolons")):
        path = tmp_path / f"d_{name}.csv"
        rows = [ZH_HEADER, ["2026-10-01", "X1", "火化"]]
        path.write_text("".join(separator.join(row) + "\n" for row in rows), encoding="utf-8")
        with pytest.raises(FileRejected, match=f"separated by {name}: a CSV delivery is separated by commas"):
            map_headers(feed, read_file(path).headers)
    title = ["阿拉善盟死亡人员名单"]  # a merged title row above the header, as printed reports have
    titled = write_xlsx(tmp_path / "d_titled.xlsx", title, [ZH_HEADER, ["2026-10-01", "X1", "火化"]])
    with pytest.raises(FileRejected, match="one cell '阿拉善盟死亡人员名单': a title above the header"):
        map_headers(feed, read_file(titled).headers)
    utf16 = tmp_path / "d_utf16.csv"
    utf16.write_bytes(("\ufeff" + ",".join(ZH_HEADER) + "\n").encode("utf-16-le"))
    with pytest.raises(FileRejected, match="the file is UTF-16 .*save it as UTF-8 or GB18030"):
        read_file(utf16)


def test_a_line_break_is_found_in_the_values_only() -> None:
    """`_has_line_break` searches the bytes of each chunk's values, then the values themselves:
    bytes outside the values (before a slice, under a null) never count, any chunk does."""
    assert not _has_line_break(pa.chunked_array([["4,190.00", "巴特尔", None, ""]]))
    assert _has_line_break(pa.chunked_array([["a", "b"], ["c", "成员\n五"]]))  # in the last chunk
    assert _has_line_break(pa.chunked_array([["a\rb"]]))
    assert _has_line_break(pa.chunked_array([["x", "ends with a break\r\n"]]))
    sliced = pa.array(["before\n", "kept", "也保留"]).slice(1)  # the buffer still holds "before\n"
    assert not _has_line_break(pa.chunked_array([sliced]))
    assert _has_line_break(pa.chunked_array([pa.array(["a", "b\nc", "d"]).slice(1, 1)]))
    values = b"ab\ncd"
    offsets = np.array([0, 2, 3, 5], dtype=np.int32)
    null_over_break = pa.Array.from_buffers(  # the middle slot is null but spans the "\n"
        pa.string(), 3, [pa.py_buffer(np.packbits([1, 0, 1], bitorder="little").tobytes()),
                         pa.py_buffer(offsets.tobytes()), pa.py_buffer(values)], null_count=1)
    assert null_over_break.to_pylist() == ["ab", None, "cd"]
    assert not _has_line_break(pa.chunked_array([null_over_break]))


def test_quoted_values_read_fast_and_a_value_spanning_lines_reads_carefully(tmp_path: Path) -> None:
    rows = [["152921199209182826", "2023-12", "pension_contribution", "4,190.00"]] * 3
    path = write_csv(tmp_path / "q.csv", ["id_number", "month", "item", "amount"], rows, "utf-8")
    table = read_file(path)
    assert table.cells["3"].tolist() == ["4,190.00"] * 3
    spanning = write_csv(tmp_path / "s.csv", ["id_number", "month", "item", "amount"],
                         [*rows[:2], ["152921199209182826", "2024-01", "养老\n保险", "1.00"]], "utf-8")
    careful = read_file(spanning)
    assert careful.cells["2"].tolist() == ["pension_contribution", "pension_contribution", "养老\n保险"]
    assert careful.source_rows.tolist() == [1, 2, 3]


def test_every_code_point_arrow_calls_a_space_starts_with_a_blank_first_byte() -> None:
    """`_may_be_blank` looks at first bytes only: each space code point must start with one of them."""
    code_points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    spaces = pc.utf8_is_space(pa.array([chr(c) for c in code_points])).to_numpy(zero_copy_only=False)
    first_bytes = {chr(c).encode()[0] for c, space in zip(code_points, spaces, strict=True) if space}
    assert len(first_bytes) > 5 and all(BLANK_FIRST_BYTES[b] for b in first_bytes)


def test_blank_cells_become_null_and_a_blank_row_is_dropped(tmp_path: Path) -> None:
    rows = [["152921199209182826", " ", "4,190.00"], ["\u3000", "2024-01", "\t"], ["  ", "\u3000 ", " "],
            ["【甲】", " 2024-02", "\u00a0"], ["", '""', "1.00"]]
    path = write_csv(tmp_path / "b.csv", ["id_number", "month", "amount"], rows, "utf-8")
    table = read_file(path)
    assert table.cells.astype(object).where(table.cells.notna(), None).values.tolist() == [
        ["152921199209182826", None, "4,190.00"], [None, "2024-01", None],
        ["【甲】", " 2024-02", None], [None, '""', "1.00"]]
    assert table.source_rows.tolist() == [1, 2, 3, 4]  # data rows as counted without blank ones


def test_blank_values_are_found_in_any_chunk_slice_or_form() -> None:
    plain = pa.chunked_array([["a", "1"], ["【", "b"]])  # "【" starts like U+3000, is not blank
    assert _blank_to_null(plain) is plain
    later = pa.chunked_array([["a"], ["b", "\u2003"]])
    assert _blank_to_null(later).to_pylist() == ["a", "b", None]
    empty_value = pa.chunked_array([pa.array(["a", "", None])])
    assert _blank_to_null(empty_value).to_pylist() == ["a", None, None]
    sliced = pa.chunked_array([pa.array([" ", "kept", "也保留"]).slice(1)])
    assert _blank_to_null(sliced) is sliced
    ogham_space = pa.chunked_array([pa.array(["x", "\u1680", "y"]).slice(1, 1)])
    assert _blank_to_null(ogham_space).to_pylist() == [None]


def _strictly(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_decodes_strictly_answers_as_a_whole_decode_does(encoding: str) -> None:
    """Block by block (and split into several blocks) the answer is `bytes.decode`'s, also when a
    character straddles a block's end, the bytes end inside a character, or break far in."""
    chinese = "户籍人口，张三：正常\n".encode(encoding)
    four_byte = "\U0001F600".encode(encoding)
    straddling = b"a" * (_STRICT_SCAN_BYTES - 2) + four_byte + chinese
    cases = [
        b"", b"plain ascii\n", chinese * 5000, straddling, straddling[:_STRICT_SCAN_BYTES],
        chinese + four_byte[:-1],
        chinese * 20000 + b"\xff\xff" + chinese,
        "户籍人口".encode() * 10, "户籍人口".encode("gb18030") * 10,
    ]
    for data in cases:
        expected = _strictly(data, encoding)
        assert decodes_strictly([data], encoding) is expected, data[:40]
        halves = [data[:len(data) // 2 + 1], data[len(data) // 2 + 1:]]
        assert decodes_strictly(halves, encoding) is expected, data[:40]


@pytest.mark.parametrize("prefix_bytes", [1 << 16, 64, 48, 20, 8])
def test_the_header_reads_the_same_whatever_part_of_the_file_is_searched_for_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix_bytes: int) -> None:
    """Only the file's first bytes are decoded to find its header (`HEADER_PREFIX_BYTES`); a header
    record that runs past them, blank lines above it or a quoted line break inside a header cell
    must read as they do when the whole file is searched."""
    from ingestion import readers

    rows = "".join(f"15292119500101{n:03d}X,2026-10-{n % 28 + 1:02d},火化\n" for n in range(200))
    files = {
        "plain": "死亡日期,身份证号,信息来源\n" + rows,
        "blank lines above": "\n , \n死亡日期,身份证号,信息来源\n" + rows,
        "a line break in a header cell": '死亡日期,"身份证号\n(18位)",信息来源\n' + rows,
        "a long header": ",".join(f"备注{n}" for n in range(30)) + ",死亡日期\n" + "a," * 30 + "2026-10-01\n",
    }
    monkeypatch.setattr(readers, "HEADER_PREFIX_BYTES", 1 << 30)  # the whole file searched
    whole = {}
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
        whole[name] = read_file(tmp_path / f"{name}.csv")
    monkeypatch.setattr(readers, "HEADER_PREFIX_BYTES", prefix_bytes)
    for name in files:
        table = read_file(tmp_path / f"{name}.csv")
        assert table.headers == whole[name].headers, name
        assert table.cells.equals(whole[name].cells), name
        assert table.source_rows.equals(whole[name].source_rows), name
    assert whole["a line break in a header cell"].headers[1] == "身份证号\n(18位)"
    assert len(whole["a long header"].headers) == 31
