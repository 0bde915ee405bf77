"""Reading CSV files row by row without ever holding a whole file, and without dying on one bad line.

Bytes that are not valid in the file's encoding are kept as surrogates (`surrogateescape`), so the
line they sit on is rejected with a clear reason while the rest of the file is read.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from campaigns.ingest.source import READ_ERRORS, LogSource, Opened, inspect, read_error, text

UNCLOSED_QUOTE = ("a quoted field is opened and never closed: the file ends inside it (a truncated record; "
                  "the writer stopped mid-line?)")
"""Why the last record of a file that ends inside a quoted field is rejected."""


class CsvRows:
    """Iterate (line_number, fields, problem) over a CSV file; problem is "" or why the row is unusable.

    line_number is the physical line where the row starts (a quoted field may span lines). The file is
    read through `source` (gzip or zip, byte order mark, encoding, `,` `;` or tab between fields).
    """

    def __init__(self, path: Path, encoding: str = "utf-8", source: LogSource | None = None) -> None:
        self.path = path
        self.source = source if source is not None else inspect(path, encoding)
        self.encoding = self.source.encoding
        self._opened: Opened | None = None

    def bytes_read(self) -> int:
        """How far into the file reading has got (ahead of the rows handed out by at most a buffer)."""
        return self._opened.position() if self._opened is not None else 0

    def __iter__(self) -> Iterator[tuple[int, list[str], str]]:
        opened, handle = text(self.source)
        bad_bytes = (f"not valid {self.encoding} (a byte could not be decoded; re-export the file as UTF-8 or "
                     "pass --encoding latin-1)")
        self._opened = opened
        at_end = [False]  # set once the reader has asked for a line after the file's last one

        def lines() -> Iterator[str]:
            yield from handle
            at_end[0] = True

        with opened, handle:
            reader = csv.reader(lines(), delimiter=self.source.delimiter)
            ended = 0  # the line the previous row ended on
            while True:
                try:
                    for fields in reader:
                        start, ended = ended + 1, reader.line_num
                        if at_end[0]:
                            # the reader wanted more lines to finish this record: a quote was opened and the file
                            # ended inside it (csv, not strict, hands the record over as if it had been closed)
                            yield start, fields, UNCLOSED_QUOTE
                        # undecodable bytes arrive as lone surrogates; only non-ASCII rows need the scan
                        elif "".join(fields).isascii() or not _has_surrogate(fields):
                            yield start, fields, ""
                        else:
                            yield start, fields, bad_bytes
                    return
                except csv.Error as error:
                    start, ended = ended + 1, reader.line_num
                    yield start, [], f"unreadable CSV: {error}"
                except READ_ERRORS as error:
                    raise read_error(self.source, ended + 1, error) from None


def _has_surrogate(fields: list[str]) -> bool:
    return any("\udc80" <= ch <= "\udcff" for text in fields for ch in text)


def file_sha256(path: Path) -> str:
    """Checksum of a file's bytes, read in 1 MiB blocks (for the evidence pack)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256_soon(path: Path) -> Future[str]:
    """`file_sha256` on a thread of its own: hashlib releases the GIL while it hashes, so a large log is
    checksummed on another core while it is audited (SHA-256 of a 1M-row log is most of a second)."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    try:
        return executor.submit(file_sha256, path)
    finally:
        executor.shutdown(wait=False)
