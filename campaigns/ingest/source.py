"""A log file as its exporter wrote it -> one stream of UTF-8 CSV bytes, the same for both audit engines.

Real logs arrive gzip- or zip-compressed, with a UTF-8 byte order mark (Excel), in Latin-1 or
Windows-1252 (older PBXs and French spreadsheets), with `;` or tab between fields (spreadsheets
set to French, VICIdial's exports). `inspect` finds out which from the file's first bytes and first
line, once; `binary` and `text` then hand both engines the same bytes, so they read the same rows.
Bytes that are not valid in the file's encoding are kept (UTF-8: as they are; a decoded text: as
surrogates, `surrogateescape`) so that the row they sit on is rejected with its reason and the rest
of the file is read.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from mystery_core.errors import InputError

BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";", "\t")
"""Field separators a log may use; the one found most often outside quotes on the first line wins."""


@dataclass(frozen=True, slots=True)
class LogSource:
    """How to read one log file.

    path: the file; encoding: the codec its text is in (a UTF-8 byte order mark makes it utf-8
    whatever was asked); compression: "", "gzip" or "zip"; member: the file inside a zip archive;
    bom: the text starts with a UTF-8 byte order mark (skipped); delimiter: the field separator.
    """

    path: Path
    encoding: str
    compression: str
    member: str
    bom: bool
    delimiter: str

    @property
    def utf8(self) -> bool:
        return codecs.lookup(self.encoding).name == "utf-8"

    def describe(self) -> str:
        """For the evidence pack and messages: e.g. "gzip, utf-8 with BOM, ';'-separated"."""
        parts = [self.compression + (f" ({self.member})" if self.member else "")] if self.compression else []
        parts.append(self.encoding + (" with BOM" if self.bom else ""))
        parts.append({",": "comma", ";": "semicolon", "\t": "tab"}[self.delimiter] + "-separated")
        return ", ".join(parts)


def inspect(path: str | Path, encoding: str = "utf-8") -> LogSource:
    """Compression, encoding, byte order mark and separator of a log, from its first bytes and line."""
    path = Path(path)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError("--encoding", None, f"unknown encoding {encoding!r}") from None
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        raise InputError(str(path), None, f"cannot read: {error.strerror}") from None
    compression, member = "", ""
    if magic[:2] == b"\x1f\x8b":
        compression = "gzip"
    elif magic == b"PK\x03\x04":
        compression, member = "zip", _zip_member(path)
    probe = LogSource(path, encoding, compression, member, False, ",")
    with binary(probe) as handle:
        try:
            head = handle.read(1 << 16)
        except (OSError, EOFError, zipfile.BadZipFile) as error:
            raise InputError(str(path), None, f"cannot read the {compression} data: {error}") from None
    bom = head.startswith(BOM)
    if bom:
        head, encoding = head[len(BOM):], "utf-8"
    first = head.split(b"\n", 1)[0].decode(encoding, "replace")
    return LogSource(path, encoding, compression, member, bom, sniff_delimiter(first))


def _zip_member(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [info.filename for info in archive.infolist()
                     if not info.is_dir() and not info.filename.startswith("__MACOSX/")]
    except zipfile.BadZipFile as error:
        raise InputError(str(path), None, f"not a readable zip archive: {error}") from None
    if len(names) != 1:
        raise InputError(str(path), None, f"a zip log must hold exactly one file, this one holds {len(names)}"
                                          f"{': ' + ', '.join(names[:5]) if names else ''}; unzip it and pass the log")
    return names[0]


def sniff_delimiter(line: str) -> str:
    """The separator of a CSV line: of `,` `;` and tab, the one found most often outside quotes (`,` on a tie)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return max(DELIMITERS, key=lambda d: (counts[d], d == ","))


class Opened:
    """A log's decompressed bytes (`stream`) and how far into the file on disk reading has got (`position`)."""

    def __init__(self, source: LogSource) -> None:
        self._raw = open(source.path, "rb")  # noqa: SIM115 - closed by close()
        self.stream: BinaryIO
        if source.compression == "gzip":
            self.stream = gzip.GzipFile(fileobj=self._raw, mode="rb")  # type: ignore[assignment]
        elif source.compression == "zip":
            self._archive = zipfile.ZipFile(self._raw)
            self.stream = self._archive.open(source.member)  # type: ignore[assignment]
        else:
            self.stream = self._raw

    def position(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def close(self) -> None:
        self.stream.close()
        self._raw.close()

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile)
"""What reading a damaged compressed log raises (a truncated gzip: EOFError)."""


def read_error(source: LogSource, line: int, error: BaseException) -> InputError:
    """The one-line error for a log that cannot be read on to the end, at the line reading stopped."""
    return InputError(f"{source.path}:{line}", None, f"cannot read the {source.compression or 'file'}: {error}")


def binary(source: LogSource) -> Opened:
    """The decompressed bytes of the log, byte order mark included (callers skip `len(BOM)` if `source.bom`)."""
    try:
        return Opened(source)
    except OSError as error:
        raise InputError(str(source.path), None, f"cannot read: {error.strerror}") from None
    except zipfile.BadZipFile as error:
        raise InputError(str(source.path), None, f"not a readable zip archive: {error}") from None


def text(source: LogSource) -> tuple[Opened, TextIO]:
    """The log as text for `csv.reader` (newline="", undecodable bytes as surrogates, no byte order mark)."""
    opened = binary(source)
    handle = io.TextIOWrapper(opened.stream, encoding="utf-8-sig" if source.bom else source.encoding,
                              errors="surrogateescape", newline="")
    return opened, handle


class Utf8Reader:
    """The log's bytes as UTF-8, without the byte order mark: UTF-8 logs as they are (bytes that are not UTF-8
    stay, for the reader to reject their row), others decoded and re-encoded (bytes the codec cannot decode
    come back as they were, so their row is rejected the same way)."""

    def __init__(self, opened: Opened, source: LogSource) -> None:
        self.opened = opened
        self._bom = source.bom
        self._decoder = None if source.utf8 else \
            codecs.getincrementaldecoder(source.encoding)("surrogateescape")

    def read(self, size: int) -> bytes:
        """About `size` bytes (a re-encoded text may give more), b"" at the end."""
        while True:
            raw = self.opened.read(size)
            if self._bom:
                self._bom = False
                if raw.startswith(BOM):
                    raw = raw[len(BOM):]
            if self._decoder is None:
                return raw
            out = self._decoder.decode(raw, final=not raw).encode("utf-8", "surrogateescape")
            if out or not raw:
                return out


def utf8_chunks(opened: Opened, source: LogSource, size: int) -> Iterator[bytes]:
    """`Utf8Reader` in chunks of about `size` bytes."""
    reader = Utf8Reader(opened, source)
    while chunk := reader.read(size):
        yield chunk
