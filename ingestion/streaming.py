"""A large CSV read as a stream of chunks of rows, so memory follows the chunk, not the file.

Why: ingesting a file holds ~20x its bytes at once (its text, the normalised columns, the
gate frame, GX's copies, the raw and quarantine tables); a scale-10 ps_hukou extract
(2.6 M rows, ~220 MB) made one worker peak at several GB. A CSV with more lines than
`CHUNK_ROWS` is therefore read by Arrow's streaming reader, `CHUNK_ROWS` data rows at a
time, and each chunk is normalised, gated and written before the next is read
(ingestion.batch.stream_batch).

The stream must read exactly what `readers.read_csv` reads. So it is only used when the
file is unremarkable, and `None` / `NotStreamable` send anything else down the whole-file
path, whose verdicts and error messages stay the only ones:
- the encoding is decided as `readers.decode` decides it, block by block: valid UTF-8
  (checked by Arrow) that is not also valid GB18030, or GB18030 that is not broken UTF-8.
  A GB18030 file is transcoded once into a temporary UTF-8 copy, which Arrow then reads
  (the whole-file path also decodes once and re-encodes as UTF-8). A file valid in both
  encodings (the "which reads as Chinese" choice), a damaged file, or one valid in
  neither goes the whole-file way;
- a row whose field count differs from the header, or a value spanning lines (the
  careful reader's cases, which stay whole-file), raise `NotStreamable` while reading.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as paipc

from ingestion.readers import (
    _CSV_PARSE,
    FEW_BROKEN,
    HEADER_PREFIX_BYTES,
    FileRejected,
    RawTable,
    _arrow_cells,
    _csv_options,
    _header_record,
    _valid_utf8,
    broken_utf8_count,
    decodes_strictly,
    file_format,
    raw_table,
)

#: Data rows per chunk of a large CSV: a worker's memory follows this number (~20x the
#: chunk's bytes; 400,000 ps_hukou rows are ~34 MB of CSV). Files with fewer lines are
#: read whole, as before (no scale-1 file has more).
CHUNK_ROWS = 400_000
#: Bytes Arrow's streaming reader parses at a time (one record must fit in a block).
STREAM_BLOCK_BYTES = 8 << 20
#: Bytes read at a time while counting lines, checking and transcoding the encoding.
SCAN_BYTES = 16 << 20


class NotStreamable(Exception):
    """The file needs the whole-file reader (a row of another width, a value spanning lines)."""


def has_more_lines_than(path: Path, limit: int) -> bool:
    """Whether a file holds more than `limit` line breaks; stops reading as soon as it does.

    Counted by numpy (a byte comparison a block): `bytes.count` took 11 ms per 21 MB here,
    numpy 3 ms, on every CSV above `limit` bytes.
    """
    if path.stat().st_size <= limit:  # each line takes at least its line break
        return False
    with path.open("rb") as handle:
        return _more_lines_than(iter(lambda: handle.read(SCAN_BYTES), b""), limit)


def _more_lines_than(blocks: Iterable[bytes | memoryview], limit: int) -> bool:
    lines = 0
    for block in blocks:
        lines += int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == ord("\n")))
        if lines > limit:
            return True
    return False


def _blocks(path: Path, skip: int = 0) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(skip)
        while block := handle.read(SCAN_BYTES):
            yield block


def _utf8_scan(path: Path, skip: int) -> tuple[bool, bool, bool] | None:
    """(valid UTF-8, ASCII only, has a quote) of the file after `skip` bytes, read block by block.

    A block is cut after its last line break (a byte below 0x80 never lies inside a UTF-8
    character); None when 64 MB pass without a line break.
    """
    ascii_only, quote, carry = True, False, b""
    for block in _blocks(path, skip):
        data = carry + block
        cut = data.rfind(b"\n") + 1
        if not cut:
            if len(data) > 4 * SCAN_BYTES:
                return None
            carry = data
            continue
        piece, carry = data[:cut], data[cut:]
        if not _valid_utf8(piece):
            return False, False, quote
        ascii_only = ascii_only and piece.isascii()
        quote = quote or b'"' in piece
    if carry:
        if not _valid_utf8(carry):
            return False, False, quote
        ascii_only = ascii_only and carry.isascii()
        quote = quote or b'"' in carry
    return True, ascii_only, quote


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes strictly; stops at the first error."""
    return decodes_strictly(_blocks(path), encoding)


def _few_broken_utf8(path: Path) -> bool:
    """Whether UTF-8 breaks in at most FEW_BROKEN places (`readers._damaged_utf8`'s first test)."""
    return broken_utf8_count(_blocks(path)) <= FEW_BROKEN


def _transcode_gb18030(path: Path, target: Path) -> bool | None:
    """Write the file's GB18030 text as UTF-8 to `target`; whether it has a quote (None: not GB18030)."""
    decoder = codecs.getincrementaldecoder("gb18030")()
    quote = False
    try:
        with target.open("wb") as out:
            for block in _blocks(path):
                text = decoder.decode(block)
                quote = quote or '"' in text
                out.write(text.encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError:
        target.unlink(missing_ok=True)
        return None
    return quote


def _utf8_source(path: Path, scratch: Path) -> tuple[Path, int, str, bool] | None:
    """(UTF-8 file to read, bytes to skip, encoding, has a quote), decided as `readers.decode` does."""
    with path.open("rb") as handle:
        bom = handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    skip = len(codecs.BOM_UTF8) if bom else 0
    scan = _utf8_scan(path, skip)
    if scan is None:
        return None
    valid, ascii_only, quote = scan
    if valid:
        if bom:
            return path, skip, "utf-8-sig", quote
        if ascii_only or not _decodes(path, "gb18030"):
            return path, 0, "utf-8", quote
        return None  # valid in both encodings: `decode` chooses by reading it
    if bom or _few_broken_utf8(path):
        return None  # the whole-file path rejects it, or tells damaged UTF-8 from GB18030
    copy = scratch / f"{path.stem}.utf8.csv"
    gb_quote = _transcode_gb18030(path, copy)
    if gb_quote is None:
        return None
    return copy, 0, "gb18030", gb_quote


def _header(source: Path, skip: int) -> tuple[list[str], int] | None:
    """The header record and its physical lines, from the file's first lines; None if they do not hold it."""
    with source.open("rb") as handle:
        handle.seek(skip)
        prefix = handle.read(2 * HEADER_PREFIX_BYTES)
    cut = prefix.rfind(b"\n") + 1
    if not cut:
        return None
    text = prefix[:cut].decode("utf-8")
    lines = len(io.StringIO(text, newline="").readlines())
    try:
        headers, header_lines = _header_record(text)
    except FileRejected:
        return None
    return (headers, header_lines) if header_lines < lines else None


@dataclass
class CsvStream:
    """A large CSV to read chunk by chunk; made by `open_stream`."""

    source: Path  # the UTF-8 bytes Arrow reads: the delivered file, or its transcoded copy
    headers: list[str]
    header_lines: int
    encoding: str
    may_span_lines: bool  # the file has a quote, so a value could span lines
    chunk_rows: int

    def chunks(self) -> Iterator[RawTable]:
        """The file's data rows, `chunk_rows` at a time (before blank rows are dropped).

        Source rows continue from chunk to chunk. Raises NotStreamable when a row's field
        count differs from the header or a value spans lines: the careful reader's cases.
        """
        read, convert = _csv_options(len(self.headers), self.header_lines, STREAM_BLOCK_BYTES)
        # One thread: Arrow's threaded streaming reader spent 3-7x the CPU of a single thread
        # on the same blocks (1.0 against 0.14 CPU s for 1.3 M rows), and was no faster.
        read.use_threads = False
        next_row = 1
        try:
            reader = pacsv.open_csv(self.source, read_options=read, parse_options=_CSV_PARSE,
                                    convert_options=convert)
            pending: list[pa.RecordBatch] = []
            held = 0
            for batch in reader:
                pending.append(batch)
                held += batch.num_rows
                while held >= self.chunk_rows:
                    table = pa.Table.from_batches(pending)
                    chunk, rest = table.slice(0, self.chunk_rows), table.slice(self.chunk_rows)
                    pending, held = rest.to_batches(), rest.num_rows
                    cells = self._cells(chunk, next_row)
                    next_row += len(cells.cells)
                    yield cells
        except pa.ArrowInvalid as exc:  # a row of another width, or a record longer than a block
            raise NotStreamable(str(exc)) from exc
        if held or next_row == 1:
            rest = pa.Table.from_batches(pending, schema=reader.schema)
            yield self._cells(rest, next_row)

    def _cells(self, chunk: pa.Table, first_row: int) -> RawTable:
        cells = _arrow_cells(chunk, self.headers, self.encoding, first_row, self.may_span_lines)
        if cells is None:
            raise NotStreamable("a value spans lines")
        return cells

    def spill(self, chunk: RawTable, path: Path) -> None:
        """Keep a chunk read once in an Arrow IPC file, for a later pass over the file.

        Why not read the CSV again: parsing a 400,000-row chunk cost ~0.14-0.26 CPU s, writing
        its Arrow columns ~0.02 s and reading them back memory-mapped ~0.002 s (issue 14).
        Uncompressed: the spilled chunks of a file take ~1.5x its CSV's bytes until read.
        """
        columns = {name: pa.array(chunk.cells[name], type=pa.string(), from_pandas=True)
                   for name in chunk.cells.columns}
        columns[SOURCE_ROW] = pa.array(chunk.source_rows.to_numpy(), type=pa.int64())
        table = pa.table(columns)
        with pa.OSFile(str(path), "wb") as sink, paipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)

    def load(self, path: Path) -> RawTable:
        """A chunk kept by `spill`, as it was read."""
        with pa.memory_map(str(path)) as source:
            table = paipc.open_file(source).read_all()
        source_rows = table.column(SOURCE_ROW).to_pandas()
        return raw_table(table.drop_columns([SOURCE_ROW]), self.headers, self.encoding, source_rows)


#: The spilled chunk's column of source rows (cell columns are named "0", "1", ...).
SOURCE_ROW = "source_row"


def open_stream(path: Path, scratch: Path, chunk_rows: int | None = None) -> CsvStream | None:
    """A stream of a CSV with more lines than `chunk_rows` (default CHUNK_ROWS); None: read it whole.

    `scratch` is a private folder for a GB18030 file's UTF-8 copy (the caller removes it).
    """
    rows = CHUNK_ROWS if chunk_rows is None else chunk_rows
    if not may_stream(path, rows):
        return None
    return stream_of(path, scratch, rows)


def stream_of(path: Path, scratch: Path, chunk_rows: int | None = None) -> CsvStream | None:
    """`open_stream` of a file `may_stream` has said yes to: its lines are not counted again."""
    rows = CHUNK_ROWS if chunk_rows is None else chunk_rows
    source = _utf8_source(path, scratch)
    if source is None:
        return None
    utf8, skip, encoding, quote = source
    header = _header(utf8, skip)
    if header is None:
        return None
    headers, header_lines = header
    return CsvStream(utf8, headers, header_lines, encoding, quote, rows)


def may_stream_bytes(data: bytes) -> bool:
    """`may_stream` of a CSV whose bytes are in memory (`ingestion.early_read`)."""
    if len(data) <= CHUNK_ROWS:
        return False
    view = memoryview(data)
    return _more_lines_than((view[start:start + SCAN_BYTES] for start in range(0, len(data), SCAN_BYTES)),
                            CHUNK_ROWS)


def may_stream(path: Path, chunk_rows: int | None = None) -> bool:
    """Whether `open_stream` could stream the file: a CSV with more lines than `chunk_rows`.

    Cheap (the suffix, then line breaks counted until there are enough), so a caller asks
    before making a scratch folder for `stream_of`: most deliveries are small.
    """
    try:
        return file_format(path) == "csv" and has_more_lines_than(
            path, CHUNK_ROWS if chunk_rows is None else chunk_rows)
    except FileRejected:
        return False
