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
from typing import TextIO

from mystery_core.errors import InputError


class CsvRows:
    """Iterate (line_number, fields, problem) over a CSV file; problem is "" or why the row is unusable.

    line_number is the physical line where the row ends (a quoted field may span lines).
    """

    def __init__(self, path: Path, encoding: str = "utf-8") -> None:
        self.path = path
        self.encoding = encoding
        self._handle: TextIO | None = None

    def bytes_read(self) -> int:
        """How far into the file reading has got (ahead of the rows handed out by at most a buffer)."""
        handle = self._handle
        try:
            return int(handle.buffer.tell()) if handle is not None else 0
        except (OSError, ValueError):  # closed
            return 0

    def __iter__(self) -> Iterator[tuple[int, list[str], str]]:
        try:
            handle = open(self.path, encoding=self.encoding, errors="surrogateescape", newline="")  # noqa: SIM115
        except OSError as error:
            raise InputError(str(self.path), None, f"cannot read: {error.strerror}") from None
        except LookupError:
            raise InputError("--encoding", None, f"unknown encoding {self.encoding!r}") from None
        bad_bytes = (f"not valid {self.encoding} (a byte could not be decoded; re-export the file as UTF-8 or "
                     "pass --encoding latin-1)")
        self._handle = handle
        with handle:
            reader = csv.reader(handle)
            while True:
                try:
                    for fields in reader:
                        # undecodable bytes arrive as lone surrogates; only non-ASCII rows need the scan
                        if "".join(fields).isascii() or not _has_surrogate(fields):
                            yield reader.line_num, fields, ""
                        else:
                            yield reader.line_num, fields, bad_bytes
                    return
                except csv.Error as error:
                    yield reader.line_num, [], f"unreadable CSV: {error}"


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
