"""The first new CSV of a feed's scan, parsed as it is hashed: the file is read once, not three times.

Why: a new file's sha256 is needed before its rows are (is it a repeat of a file the ledger
has? does its control line hold?), so the scan hashed it; the pipeline then read it again to
count its lines (`streaming.may_stream`: stream it, or read it whole?) and a third time to
parse it, and, without a helper thread, hashed it once more to prove it had not changed
(`pipeline._read_unchanged`). For a lone 261k-row delivery the hash and the count took
17 ms of a 0.30 s ingestion with the second core idle (issue 14).

Here the scan reads the bytes once, counts their lines in memory and, when the file is to be
read whole, parses them there and then, while they are hashed on the helper thread if one is
lent (`readers.csv_of_bytes`; in line after the parse otherwise). The ingestion loop takes
the table when the file's turn comes (`take`) instead of reading the file.

What lands is unchanged: the table is the one `readers.read_csv` makes of the same bytes, and
the sha256 the delivery carries is that of the bytes parsed, so `pipeline._read_unchanged`
checks the file's state against the scan's as after any read. Limits:
- one file per scan, of at most `EARLY_MAX_BYTES`: its table waits in memory for its turn,
  and a file that may be streamed is never held whole (its bytes are dropped after the count);
- a file the reader rejects is read again at its turn, which writes the rejection as always.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ingestion.delivery import Delivery, hash_file, is_data_file
from ingestion.readers import FileRejected, RawTable, csv_of_bytes, file_format
from ingestion.streaming import may_stream_bytes

#: Files larger than this are only hashed by the scan (a 261k-row hukou file is 21 MB).
EARLY_MAX_BYTES = 64 << 20


class EarlyRead:
    """The `hashed` of one scan (`delivery.describe`): hashes files, parsing the first new CSV."""

    def __init__(self) -> None:
        self._tables: dict[Path, RawTable] = {}
        self._files_left = 1

    def hashed(self, path: Path) -> str:
        """The file's sha256; for the scan's first CSV that is read whole, also its parsed table."""
        if (not self._files_left or not is_data_file(path) or file_format(path) != "csv"
                or path.stat().st_size > EARLY_MAX_BYTES):
            return hash_file(path)
        data = path.read_bytes()
        if may_stream_bytes(data):
            return hashlib.sha256(data).hexdigest()
        try:
            table = csv_of_bytes(data)
        except FileRejected:
            return hashlib.sha256(data).hexdigest()
        if table.sha256 is None:  # no helper thread hashed the bytes while they were parsed
            table.sha256 = hashlib.sha256(data).hexdigest()
        self._tables[path] = table
        self._files_left -= 1
        return table.sha256

    def keep(self, deliveries: list[Delivery]) -> None:
        """Drop the table of a file the scan found recorded already (its state had changed)."""
        wanted = {delivery.path for delivery in deliveries}
        self._tables = {path: table for path, table in self._tables.items() if path in wanted}

    def take(self, delivery: Delivery) -> RawTable | None:
        """The delivery's parsed table, if the scan parsed it (then forgotten here)."""
        table = self._tables.pop(delivery.path, None)
        return table if table is not None and table.sha256 == delivery.sha256 else None
