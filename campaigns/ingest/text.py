"""Reading CSV files row by row without ever holding a whole file, and without dying on one bad line.

Bytes that are not valid in the file's encoding are kept as surrogates (`surrogateescape`), so the
line they sit on is rejected with a clear reason while the rest of the file is read.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

from mystery.errors import InputError


class CsvRows:
    """Iterate (line_number, fields, problem) over a CSV file; problem is "" or why the row is unusable.

    line_number is the physical line where the row ends (a quoted field may span lines).
    """

    def __init__(self, path: Path, encoding: str = "utf-8") -> None:
        self.path = path
        self.encoding = encoding
        self.bad_lines: set[int] = set()
        self._line = 0

    def _lines(self, handle) -> Iterator[str]:  # type: ignore[no-untyped-def]
        for line in handle:
            self._line += 1
            if not line.isascii() and any("\udc80" <= ch <= "\udcff" for ch in line):
                self.bad_lines.add(self._line)
            yield line

    def __iter__(self) -> Iterator[tuple[int, list[str], str]]:
        try:
            handle = open(self.path, encoding=self.encoding, errors="surrogateescape", newline="")  # noqa: SIM115
        except OSError as error:
            raise InputError(str(self.path), None, f"cannot read: {error.strerror}") from None
        except LookupError:
            raise InputError("--encoding", None, f"unknown encoding {self.encoding!r}") from None
        with handle:
            reader = csv.reader(self._lines(handle))
            bad = self.bad_lines
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    yield self._line, [], f"unreadable CSV: {error}"
                    continue
                line = self._line
                if bad and line in bad:
                    bad.discard(line)
                    yield line, fields, (f"not valid {self.encoding} (a byte could not be decoded; re-export the "
                                         f"file as UTF-8 or pass --encoding latin-1)")
                    continue
                yield line, fields, ""


def file_sha256(path: Path) -> str:
    """Checksum of a file's bytes, read in 1 MiB blocks (for the evidence pack)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
