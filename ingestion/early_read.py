"""The first new CSV of a feed's scan, parsed as it is hashed: the file is read once, not three times.

Why: a new file's sha256 is needed before its rows are (is it a repeat of a file the ledger
has? does its control line hold?), so the scan hashed it; the pipeline then read it again to
count its lines (`streaming.may_stream`: stream it, or read it whole?) and a third time to
parse it, and, for a file written less than 2 s before the scan and no helper thread, hashed
it once more to prove it had not changed (`pipeline._read_unchanged`). For a lone 261k-row
delivery the hash and the count took 17 ms of a 0.30 s ingestion with the second core idle
(issue 14).

Here the scan reads the bytes once and, while they are hashed on the helper thread if one is
lent (in line after the parse otherwise), counts their lines in memory and, when the file is
to be read whole, parses them there and then (`readers.csv_of_bytes`). The ingestion loop
takes the table when the file's turn comes (`take`) instead of reading the file.

What lands is unchanged: the table is the one `readers.read_csv` makes of the same bytes, and
the sha256 the delivery carries is that of the bytes parsed, so `pipeline._read_unchanged`
checks the file's state against the scan's as after any read. Limits:
- one file per scan, of at most `EARLY_MAX_BYTES`: its table waits in memory for its turn;
- a file with lines enough to be streamed is only hashed here, never parsed whole;
- a file the reader rejects (or fails on) is read again at its turn, which writes the
  rejection (or raises) as always: the files before it in ingest order land first, as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ingestion.delivery import Delivery, hash_file
from ingestion.readers import RawTable, csv_of_bytes, file_format, sha256_aside
from ingestion.streaming import may_stream_bytes

#: Files larger than this are only hashed by the scan (a 261k-row hukou file is 21 MB).
EARLY_MAX_BYTES = 64 << 20


@dataclass(frozen=True)
class ScannedTable:
    """A file the scan parsed, and when it began reading it (the file's `started_at` in the ledger)."""

    table: RawTable
    started: dt.datetime


class EarlyRead:
    """The `hashed` of one scan (`delivery.describe`): hashes files, parsing the first new CSV."""

    def __init__(self) -> None:
        self._tables: dict[Path, ScannedTable] = {}
        self._files_left = 1

    def hashed(self, path: Path) -> str:
        """The file's sha256; for the scan's first CSV that is read whole, also its parsed table."""
        if not self._files_left or file_format(path) != "csv" or path.stat().st_size > EARLY_MAX_BYTES:
            return hash_file(path)
        started = dt.datetime.now(dt.UTC)
        data = path.read_bytes()
        hashing = sha256_aside(data)  # meanwhile: count, parse

        def sha256() -> str:
            return hashing.result() if hashing is not None else hashlib.sha256(data).hexdigest()

        if may_stream_bytes(data):
            return sha256()
        try:
            table = csv_of_bytes(data, hashing)
        except Exception:  # whatever the reader raises, it raises again at the file's turn
            return sha256()
        table.sha256 = sha256()
        self._tables[path] = ScannedTable(table, started)
        self._files_left -= 1
        return table.sha256

    def keep(self, deliveries: list[Delivery]) -> None:
        """Drop the table of a file the scan found recorded already (its state had changed)."""
        wanted = {delivery.path for delivery in deliveries}
        self._tables = {path: table for path, table in self._tables.items() if path in wanted}

    def take(self, delivery: Delivery) -> ScannedTable | None:
        """The delivery's parsed table, if the scan parsed it (then forgotten here)."""
        scanned = self._tables.pop(delivery.path, None)
        return scanned if scanned is not None and scanned.table.sha256 == delivery.sha256 else None
