"""Readers: one delivered file -> a table of text cells, with nothing lost.

Why text only: the normaliser decides what a cell means, and quarantine must be able to
keep exactly what the department sent. So every reader returns strings (null for an empty
cell), the header as delivered, and the 1-based source row of every data row.
A file that cannot be read at all raises `FileRejected` with the reason; the pipeline
records it in the ledger and goes on with the next file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingestion.helper_thread import helper, on_helper
from ingestion.normalise import STR_TYPES, no_texts

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".jsonl": "jsonl"}


class FileRejected(Exception):
    """The whole file cannot be ingested; the message is the reason shown in the ledger."""


@dataclass
class RawTable:
    """A delivered file as text: delivered headers, cells, source rows, and how it was read."""

    headers: list[str]
    cells: pd.DataFrame  # one str column per header position (named "0", "1", ...), null = empty
    source_rows: pd.Series  # int64, 1-based data row after the header (blank rows not counted)
    encoding: str | None
    file_format: str
    row_problems: pd.Series  # str per row, null when the row's shape is fine
    #: sha256 of the very bytes parsed, when the reader hashed them (`read_csv` with a helper
    #: thread); the pipeline then checks those against the scan's instead of hashing the file again.
    sha256: str | None = None


def file_format(path: Path) -> str:
    """The delivery format from the file suffix; unknown suffixes are rejected."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FileRejected(f"unsupported file type {path.suffix!r} (expected .csv, .xlsx, .json, .jsonl)")
    return fmt


_CJK = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_SAMPLE_CHARS = 200_000


def _cjk_share(text: str) -> float:
    """Share of the non-ASCII characters (in a sample) that are Chinese or CJK punctuation.

    Why: GB18030 text is sometimes valid UTF-8 (元 is D4 AA, which UTF-8 reads as an
    Armenian letter), and UTF-8 text often decodes as GB18030. The right decoding is the
    one that reads as Chinese; the departments' files are Chinese, never Armenian.
    """
    sample = text[:_SAMPLE_CHARS]
    non_ascii = len(sample) - len(sample.encode("ascii", "ignore"))  # counted in C, not per character
    if non_ascii == 0:
        return 1.0
    return len(_CJK.findall(sample)) / non_ascii


#: At most this many broken UTF-8 sequences make a file "damaged UTF-8" rather than another encoding.
FEW_BROKEN = 3
#: Bytes decoded at a time while counting broken UTF-8 sequences.
_BROKEN_SCAN_BYTES = 1 << 13


def broken_utf8_count(blocks: Iterable[bytes], stop_after: int = FEW_BROKEN) -> int:
    """Replacement characters of the bytes decoded as UTF-8 with errors replaced, counted block by
    block; stops once the count passes `stop_after` (it is then `stop_after` + 1 or more).

    Why stop: a GB18030 file breaks as UTF-8 at nearly every Chinese character, and decoding a
    whole 20 MB file to learn that it breaks more than three times cost ~5 ms per MB.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    broken = 0
    for block in blocks:
        for start in range(0, len(block), _BROKEN_SCAN_BYTES):
            broken += decoder.decode(block[start:start + _BROKEN_SCAN_BYTES]).count("\ufffd")
            if broken > stop_after:
                return broken
    return broken + decoder.decode(b"", final=True).count("\ufffd")


#: Bytes decoded at a time while testing whether bytes decode strictly.
_STRICT_SCAN_BYTES = 1 << 16


def decodes_strictly(blocks: Iterable[bytes], encoding: str) -> bool:
    """Whether the blocks, one after another, decode strictly in `encoding`; stops at the first error.

    Why block by block: `bytes.decode` of a whole file sizes its output for the whole file
    before it decodes the first character, so a 21 MB UTF-8 export that stops reading as
    GB18030 at its 67th byte still cost ~15 ms (a thirtieth of ingesting it) to say so.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for block in blocks:
            view = memoryview(block)
            for start in range(0, len(view), _STRICT_SCAN_BYTES):
                decoder.decode(view[start:start + _STRICT_SCAN_BYTES])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _damaged_utf8(data: bytes) -> bool:
    """True when the bytes are Chinese UTF-8 with a few broken sequences (a cut or damaged file)."""
    if not 0 < broken_utf8_count([data]) <= FEW_BROKEN:
        return False
    return _cjk_share(data.decode("utf-8", errors="replace").replace("\ufffd", "")) >= 0.9


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 with BOM, UTF-8 or GB18030; never with errors ignored (UTF-16 is named).

    Both strict decodings are tried. When both succeed, the one that reads as Chinese wins
    (ties go to UTF-8). When only GB18030 succeeds but the bytes are Chinese UTF-8 broken
    in a few places (a truncated export), the file is rejected rather than re-read as
    GB18030 mojibake. When neither succeeds, the file is rejected with both positions.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        raise FileRejected("cannot decode: the file is UTF-16 (it starts with a UTF-16 byte-order mark); "
                           "save it as UTF-8 or GB18030")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            at = _position(data, exc.start + len(codecs.BOM_UTF8))
            raise FileRejected(f"cannot decode: UTF-8 (with BOM) breaks at {at}") from exc
    utf8_text = gb_text = None
    utf8_error = gb_error = None
    try:
        utf8_text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        gb_text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        gb_error = exc
    if utf8_text is not None and gb_text is not None:
        if _cjk_share(gb_text) > _cjk_share(utf8_text):
            return gb_text, "gb18030"
        return utf8_text, "utf-8"
    if utf8_text is not None:
        return utf8_text, "utf-8"
    assert utf8_error is not None
    if _damaged_utf8(data):
        raise FileRejected(
            f"cannot decode: UTF-8 text broken at {_position(data, utf8_error.start)} "
            f"({utf8_error.reason}); truncated or damaged file"
        )
    if gb_text is not None:
        return gb_text, "gb18030"
    assert gb_error is not None
    raise FileRejected(
        f"cannot decode as UTF-8 ({_position(data, utf8_error.start)}) or GB18030 "
        f"({_position(data, gb_error.start)})"
    )


def _position(data: bytes, offset: int) -> str:
    """A byte offset as a sender finds it in an editor: the byte and its line (1-based)."""
    line = data.count(b"\n", 0, offset) + 1
    return f"byte {offset}, line {line}"


def _blank(value: str | None) -> bool:
    return value is None or str(value).strip() == ""


def _table(headers: list[str], rows: list[list[str | None]], source_rows: list[int],
           encoding: str | None, fmt: str, cell_problems: list[str | None] | None = None) -> RawTable:
    """Square the rows to the header: short rows are padded, long rows noted as a row problem.

    A short CSV row is a row problem (a field went missing); a short .xlsx row is not
    (a sheet simply does not store trailing empty cells). `cell_problems`: per row, what the
    reader found wrong with its cells (an .xlsx formula without a value, say), or None.
    """
    width = len(headers)
    problems: list[str | None] = []
    squared: list[list[str | None]] = []
    for number, row in enumerate(rows):
        shape = None
        if (len(row) > width and any(not _blank(v) for v in row[width:])) or (
                len(row) < width and fmt == "csv"):
            shape = f"row has {len(row)} fields, the header has {width}"
        found = [p for p in (shape, cell_problems[number] if cell_problems else None) if p]
        problems.append("; ".join(found) if found else None)
        squared.append((row + [None] * width)[:width])
    frame = pd.DataFrame(squared, columns=[str(i) for i in range(width)], dtype="str")
    frame = frame.mask(frame.apply(lambda c: c.str.strip() == ""))
    return RawTable(
        headers=headers,
        cells=frame,
        source_rows=pd.Series(source_rows, dtype="int64"),
        encoding=encoding,
        file_format=fmt,
        row_problems=pd.Series(problems, dtype="str"),
    )


def _header_record(text: str) -> tuple[list[str], int]:
    """The first non-blank CSV record and the number of physical lines up to and including it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for record in reader:
            if not all(_blank(v) for v in record):
                return record, reader.line_num
    except csv.Error as exc:
        raise FileRejected(f"malformed CSV header: {exc}") from exc
    raise FileRejected("empty file: no header row")


#: Bytes of a CSV's start searched for its header record (the rest is not decoded in Python).
HEADER_PREFIX_BYTES = 1 << 16


def _valid_utf8(data: bytes) -> bool:
    """Whether the bytes are valid UTF-8, checked by Arrow (no Python str is built)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:  # zero-copy: the bytes as one large_binary value, validated by the cast
        whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _utf8_body(data: bytes) -> tuple[bytes, str] | None:
    """The file's UTF-8 bytes and encoding when `decode` would choose UTF-8, without decoding in Python.

    Why: decoding 20 MB into a Python str and encoding it again for Arrow costs more than
    Arrow's parse. Arrow validates UTF-8 (a cast of the bytes to string); the choice between
    UTF-8 and GB18030 stays `decode`'s: when the bytes also read as GB18030 (and are not
    plain ASCII), or are not valid UTF-8, None sends the file down `decode`.
    """
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8):] if bom else data
    if not _valid_utf8(body):
        return None
    if bom:
        return body, "utf-8-sig"
    if not body.isascii():
        return None if decodes_strictly([data], "gb18030") else (body, "utf-8")
    return body, "utf-8"


def _header_of(body: bytes) -> tuple[list[str], int]:
    """`_header_record` of UTF-8 bytes, decoding only their first lines when that suffices."""
    if len(body) > HEADER_PREFIX_BYTES:
        cut = body.rfind(b"\n", 0, HEADER_PREFIX_BYTES) + 1
        if cut:
            prefix = body[:cut].decode("utf-8")
            lines = len(io.StringIO(prefix, newline="").readlines())
            try:
                headers, header_lines = _header_record(prefix)
            except FileRejected:
                headers, header_lines = [], lines
            if header_lines < lines:  # the record ended before the prefix did: complete
                return headers, header_lines
    return _header_record(body.decode("utf-8"))


#: Arrow's block when it parses on several threads: the 261k-row file parsed in 0.045 s on one
#: thread, 0.039 s on two with Arrow's 1 MB blocks, 0.035 s with these.
PARSE_BLOCK_BYTES = 1 << 19

_CSV_PARSE = pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True)


def _csv_options(width: int, header_lines: int,
                 block_size: int | None = None) -> tuple[pacsv.ReadOptions, pacsv.ConvertOptions]:
    """Arrow's read and convert options: every column text, empty = null, the header skipped.

    UTF-8 is not checked again: every caller hands Arrow bytes already validated by
    `_valid_utf8` (the whole file, or the stream's every block) or encoded by Python. Arrow's
    own check of each column cost 6-9 % of the parse's CPU (the 261k-row hukou file).
    """
    names = [str(i) for i in range(width)]
    read = pacsv.ReadOptions(column_names=names, skip_rows=header_lines)
    if block_size is not None:
        read.block_size = block_size
    convert = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, null_values=[""],
        strings_can_be_null=True, quoted_strings_can_be_null=True, check_utf8=False,
    )
    return read, convert


def _blank_to_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cells of nothing but whitespace (or empty) -> null; the column itself when it has none.

    Why `utf8_is_space`, not trimming: a trimmed copy of every cell cost more than the rest
    of the conversion, and a column rarely holds a blank cell. `utf8_is_space` is true
    exactly when trimming leaves '' (checked on every code point), except for '' itself.
    """
    if not any(_may_be_blank(chunk) for chunk in column.chunks):
        return column
    blank = pc.or_(pc.utf8_is_space(column), pc.equal(pc.binary_length(column), 0))
    if not pc.any(blank).as_py():
        return column
    return pc.if_else(blank, pa.scalar(None, pa.string()), column)


#: The bytes a blank value can start with: every first byte of a code point `utf8_is_space`
#: calls a space (ASCII tab to carriage return, 0x1C-0x1F and space; U+0085 and U+00A0,
#: U+1680, U+2000-U+205F, U+3000; tests/ingestion/test_readers.py checks every code point),
#: and the other control bytes.
BLANK_FIRST_BYTES = np.zeros(256, dtype=bool)
BLANK_FIRST_BYTES[:0x21] = True
BLANK_FIRST_BYTES[[0xC2, 0xE1, 0xE2, 0xE3]] = True


def _may_be_blank(chunk: pa.Array) -> bool:
    """Whether a value of a string chunk is empty or starts with a byte of `BLANK_FIRST_BYTES`.

    Why: deciding that no value is blank took `utf8_is_space` over every character of every
    value; a value that is not blank mostly shows it in its first byte (a digit, a letter, a
    Chinese character), so one byte per value usually settles it. When it does not, the
    caller looks at the values themselves.
    """
    if chunk.type != pa.string():
        return True
    if len(chunk) == 0 or chunk.buffers()[2] is None:
        return chunk.null_count < len(chunk)  # values, all empty
    offsets = _value_offsets(chunk)
    filled = offsets[1:] > offsets[:-1]
    if not filled.all():
        empty_values = ~filled & np.asarray(pc.is_valid(chunk), dtype=bool)
        if empty_values.any():
            return True
    first_bytes = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[:-1][filled]]
    return bool(BLANK_FIRST_BYTES[first_bytes].any())


def _value_offsets(chunk: pa.Array) -> np.ndarray:
    """Where each value of a (possibly sliced) string chunk starts in its data buffer, and the end."""
    return np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]


def _has_line_break(column: pa.ChunkedArray) -> bool:
    """Whether a value holds a line break.

    Why two steps: the values of an Arrow string chunk lie back to back in one buffer, and
    a byte search of that buffer (memchr) found no line break in a 1.3 M-row file's four
    columns in 6 ms, where Arrow's substring kernels took 215 ms (a fifth of reading the
    file; quoted amounts such as "4,190.00" make every insurance delivery pay it). Only a
    chunk whose buffer holds a line break is searched value by value (two plain substring
    searches cost 0.6x one regex `[\\n\\r]`), so the answer is always that of the values.
    """
    return any(_buffer_has_line_break(chunk)
               and any(pc.any(pc.match_substring(chunk, brk)).as_py() for brk in ("\n", "\r"))
               for chunk in column.chunks)


def _buffer_has_line_break(chunk: pa.Array) -> bool:
    """Whether the bytes of a string chunk's values hold a line break (True for another type: look)."""
    if chunk.type != pa.string():
        return True
    if len(chunk) == 0 or chunk.buffers()[2] is None:
        return False
    offsets = _value_offsets(chunk)
    values = chunk.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_pybytes()
    return b"\n" in values or b"\r" in values


def _arrow_cells(arrow: pa.Table, headers: list[str], encoding: str, first_row: int,
                 may_span_lines: bool) -> RawTable | None:
    """Arrow text columns -> a RawTable whose source rows start at `first_row`.

    None when a value spans lines (the careful reader then checks for a quote left open);
    only a quoted value can, so without a quote in the file there is nothing to scan.
    Blank cells become null and blank rows are dropped in Arrow, before pandas sees the table.
    """
    names = [str(i) for i in range(len(headers))]
    if may_span_lines and any(_has_line_break(column) for column in arrow.columns):
        return None
    columns = [_blank_to_null(c) for c in arrow.columns]
    filled = functools.reduce(pc.or_, (pc.is_valid(c) for c in columns)) if columns else None
    arrow = pa.table(dict(zip(names, columns, strict=True)))
    if filled is not None and not pc.all(filled).as_py():
        arrow = arrow.filter(filled)
    return raw_table(arrow, headers, encoding,
                     pd.Series(np.arange(first_row, first_row + arrow.num_rows), dtype="int64"))


def raw_table(cells: pa.Table, headers: list[str], encoding: str, source_rows: pd.Series) -> RawTable:
    """A CSV's RawTable from its Arrow text columns ("0", "1", ...): pandas str columns without copies."""
    frame = cells.to_pandas(types_mapper=STR_TYPES.get)
    frame = frame.astype("str")
    return RawTable(
        headers=headers,
        cells=frame,
        source_rows=source_rows,
        encoding=encoding,
        file_format="csv",
        row_problems=no_texts(frame.index),
    )


def _read_csv_fast(body: bytes, headers: list[str], header_lines: int, encoding: str) -> RawTable | None:
    """pyarrow's C++ reader; None when a row's field count differs (the careful reader then reports it)."""
    # Arrow's threads only when a core is spare (a helper thread is lent): ingestion runs a
    # worker process per core otherwise, where they cost ~40 % more CPU for a few ms.
    threaded = helper() is not None
    read, convert = _csv_options(len(headers), header_lines, PARSE_BLOCK_BYTES if threaded else None)
    read.use_threads = threaded
    try:
        arrow = pacsv.read_csv(io.BytesIO(body), read_options=read, parse_options=_CSV_PARSE,
                               convert_options=convert)
    except pa.ArrowInvalid:
        return None
    return _arrow_cells(arrow, headers, encoding, 1, b'"' in body)


def read_csv(path: Path) -> RawTable:
    """CSV: the fast reader when every row has the header's width, else the careful one.

    With a helper thread (ingestion.helper_thread) the bytes are hashed there while they are
    parsed here (both release the GIL), and the table carries their sha256.
    """
    return csv_of_bytes(path.read_bytes())


def sha256_aside(data: bytes) -> Future[str] | None:
    """The bytes' sha256 being taken on the helper thread; None when no helper is lent."""
    return on_helper(lambda: hashlib.sha256(data).hexdigest())


def csv_of_bytes(data: bytes, digest: Future[str] | None = None) -> RawTable:
    """`read_csv` of a CSV's bytes already in memory (`ingestion.early_read` reads them);
    `digest`: their `sha256_aside` started already."""
    digest = digest or sha256_aside(data)
    table = _csv_table(data)
    if digest is not None:
        table.sha256 = digest.result()
    return table


def _csv_table(data: bytes) -> RawTable:
    """`read_csv` of the file's bytes."""
    utf8 = _utf8_body(data)
    text: str | None = None
    if utf8 is None:
        text, encoding = decode(data)
        body = text.encode("utf-8")
    else:
        body, encoding = utf8
    headers, header_lines = _header_of(body)
    fast = _read_csv_fast(body, headers, header_lines, encoding)
    if fast is not None:
        return fast
    if text is None:
        text = body.decode("utf-8")
    # Python's csv stops at a field of 131,072 characters, where Arrow (the fast reader) has no
    # limit: a long value must read the same in both, and a quote left open must run on to the
    # record check below (which names its line), not end in "field larger than field limit".
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str | None]] = []
    source_rows: list[int] = []
    data_row = 0
    last_line = 0
    try:
        for record in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if last_line <= header_lines or all(_blank(v) for v in record):
                continue
            data_row += 1
            if last_line > first_line and _runaway_quote(record, len(headers)):
                raise FileRejected(
                    f"a quote opened on line {first_line} (data row {data_row}) is not closed as a "
                    f"field ends: lines {first_line}-{last_line} read as one record of {len(record)} "
                    "fields; fix the quoting (a field's own quotes are doubled: \"\")"
                )
            rows.append(list(record))
            source_rows.append(data_row)
    except csv.Error as exc:
        raise FileRejected(f"malformed CSV after data row {data_row}: {exc}") from exc
    return _table(headers, rows, source_rows, encoding, "csv")


def _runaway_quote(record: list[str], width: int) -> bool:
    """True when a record spanning several lines is really a quote swallowing other records.

    A legitimate multi-line value (an address with a line break) leaves the record with the
    header's width and holds no line that looks like a record of its own (width - 1 commas).
    """
    if len(record) != width:
        return True
    commas = max(1, width - 1)
    return any(line.count(",") >= commas for value in record for line in value.splitlines()[1:])


def _cell_text(value: object) -> str | None:
    """An .xlsx cell as text: dates ISO, whole floats without '.0', everything else str()."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # the shortest decimal that is this double, as Excel shows it: 1.5292119500301e17 is
        # 152921195003010000, not the binary value's 152921195003009984
        return str(int(Decimal(repr(value))))
    return str(value)


#: Significant digits a workbook keeps of a number (an IEEE double, as Excel shows it).
WORKBOOK_DIGITS = 15


def read_xlsx(path: Path) -> RawTable:
    from openpyxl import load_workbook

    books = []
    try:
        books.append(load_workbook(path, read_only=True, data_only=True))
        if _has_formulas(path):  # the formulas themselves, to tell one without a value from a blank
            books.append(load_workbook(path, read_only=True, data_only=False))
    except Exception as exc:  # openpyxl raises many types for a damaged zip / xml
        raise FileRejected(f"cannot open as .xlsx: {type(exc).__name__}: {exc}") from exc
    try:
        sheets = [(sheet.title, _sheet_rows(sheet, books[1][sheet.title] if len(books) > 1 else None))
                  for sheet in books[0].worksheets]
    except Exception as exc:
        raise FileRejected(f"cannot read .xlsx: {type(exc).__name__}: {exc}") from exc
    finally:
        for book in books:
            book.close()
    with_data = [(title, rows) for title, rows in sheets if rows]
    if len(with_data) > 1:
        listed = ", ".join(f"'{title}' ({len(rows)} non-empty rows)" for title, rows in with_data)
        raise FileRejected(f"workbook has {len(with_data)} sheets with data: {listed}; "
                           "deliver one sheet per file (no rows may go unread)")
    if not with_data:
        raise FileRejected("empty file: no header row on any sheet")
    (headers, _), *data = with_data[0][1]
    while headers and _blank(headers[-1]):
        headers.pop()
    headers = [t or "" for t in headers]
    problems = ["; ".join(f"column {p + 1} ({headers[p] if p < len(headers) else ''}): {text}"
                          for p, text in found) or None for _, found in data]
    return _table(headers, [row for row, _ in data], list(range(1, len(data) + 1)), None, "xlsx", problems)


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (`<f>` element), read from the zip."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(name) as member:
                    tail = b""
                    while block := member.read(1 << 20):
                        if re.search(rb"<(?:\w+:)?f[ >/]", tail + block):
                            return True
                        tail = block[-16:]
    return False


#: A sheet row as text, with (position, problem) for each cell it cannot vouch for.
SheetRow = tuple[list[str | None], list[tuple[int, str]]]


def _sheet_rows(sheet: object, formulas: object | None) -> list[SheetRow]:
    """The non-blank rows of a sheet as text (the first is the header), each with its cell problems.

    A cell problem is a value the sheet cannot vouch for, so its row goes to quarantine
    rather than being loaded as something else (the texts name no value: one reason per kind
    and column, however many rows have it):
    - a formula without a computed value (a workbook written by a program and never opened
      in Excel): read as values it would be an empty cell, its data silently gone;
    - a number of more than 15 digits (an 18-digit ID typed into a number cell): a workbook
      keeps 15 significant digits, so the last ones are lost, and one such ID in eleven
      still passes the check digit as somebody else's.
    """
    rows = []
    values_rows = sheet.iter_rows(values_only=True)  # type: ignore[attr-defined]
    formula_rows = formulas.iter_rows(values_only=True) if formulas is not None else None  # type: ignore[attr-defined]
    for values in values_rows:
        written = next(formula_rows) if formula_rows is not None else ()
        texts = [_cell_text(v) for v in values]
        found = []
        for position, value in enumerate(values):
            formula = written[position] if position < len(written) else None
            if value is None and isinstance(formula, str) and formula.startswith("="):
                texts[position] = formula
                found.append((position, "a formula without a computed value (kept in the cell): open and "
                                        "save the workbook in Excel, or export values"))
            elif (isinstance(value, int | float) and not isinstance(value, bool)
                    and abs(value) >= 10 ** WORKBOOK_DIGITS):
                found.append((position, f"a number of more than {WORKBOOK_DIGITS} digits, which a workbook "
                                        "does not keep (its last digits may be lost): store the column "
                                        "as text"))
        if not all(_blank(v) for v in texts):
            rows.append((texts, found))
    return rows


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


class _Record(dict):
    """A JSON object that held some keys more than once with different values.

    Why: `json.loads` keeps the last of a repeated key without a word, so which value the
    department meant would be decided silently; such a record is quarantined instead.
    """

    repeated: tuple[str, ...] = ()


def _record(pairs: list[tuple[str, object]]) -> dict:
    """`object_pairs_hook`: a plain dict, or a _Record when a key came twice with different values."""
    record = dict(pairs)
    if len(record) == len(pairs):  # no key repeated: the common case, at C speed
        return record
    first: dict[str, object] = {}
    repeated = []
    for key, value in pairs:
        if key in first and first[key] != value and key not in repeated:
            repeated.append(key)
        first.setdefault(key, value)
    marked = _Record(record)
    marked.repeated = tuple(repeated)
    return marked


def _records_table(records: list[object], fmt: str, encoding: str) -> RawTable:
    headers: dict[str, None] = {}
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise FileRejected(f"record {number} is not a JSON object")
        headers.update(dict.fromkeys(record))
    names = list(headers)
    rows = [[_json_text(record.get(h)) for h in names] for record in records]  # type: ignore[union-attr]
    if not names:
        raise FileRejected("empty file: no records")
    problems = ["; ".join(f"key {key} given twice with different values" for key in repeated) or None
                for repeated in (getattr(record, "repeated", ()) for record in records)]
    return _table(names, rows, list(range(1, len(rows) + 1)), encoding, fmt, problems)


def read_json(path: Path) -> RawTable:
    text, encoding = decode(path.read_bytes())
    try:
        data = json.loads(text, object_pairs_hook=_record)
    except json.JSONDecodeError as exc:
        raise FileRejected(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if not isinstance(data, list):
        raise FileRejected("JSON file must hold an array of objects")
    return _records_table(data, "json", encoding)


def read_jsonl(path: Path) -> RawTable:
    text, encoding = decode(path.read_bytes())
    records = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line, object_pairs_hook=_record))
        except json.JSONDecodeError as exc:
            raise FileRejected(f"invalid JSON on line {line_no}: {exc.msg}") from exc
    return _records_table(records, "jsonl", encoding)


def unterminated_last_line(path: Path) -> str | None:
    """A warning when a CSV does not end with a line break: its last record may have been cut.

    Why only a warning: some exporters omit the final line break. But a file cut in the
    middle of its last line (an interrupted transfer) still parses, with a shortened last
    value (1234.50 -> 12), and nothing else can tell without a control file.
    """
    with path.open("rb") as handle:
        handle.seek(0, 2)
        if handle.tell() == 0:
            return None
        handle.seek(-1, 2)
        last = handle.read(1)
    if last in (b"\n", b"\r"):
        return None
    return ("the file does not end with a line break: its last record may have been cut off "
            "(check it, or send a control file with the row count and sha256)")


READERS = {"csv": read_csv, "xlsx": read_xlsx, "json": read_json, "jsonl": read_jsonl}


def read_file(path: Path) -> RawTable:
    """Read any supported delivery as text; raises FileRejected when it cannot be read."""
    return READERS[file_format(path)](path)
