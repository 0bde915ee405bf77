"""A dialer log as a stream: every row becomes an Attempt or a RejectedRow, and the counts reconcile."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

from campaigns.ingest import formats
from campaigns.ingest.dispositions import BUILT_IN
from campaigns.ingest.formats import FORMATS, NEEDS_SOURCE_TZ, Context, RowError
from campaigns.ingest.source import inspect
from campaigns.ingest.text import CsvRows
from campaigns.ingest.times import source_zone
from campaigns.model.phones import PhoneBook
from campaigns.model.records import Attempt, CampaignInfo, RejectedRow
from mystery_core.errors import InputError


class LogReader:
    """Iterate a log's attempts and rejected rows.

    After iteration: `rows` (data rows read, header excluded) == `attempts` + `rejected`;
    `unmapped` counts disposition codes with no mapping; `ignored_columns` lists unknown columns.
    """

    def __init__(self, path: str | Path, log_format: str | None = None, *, source_tz: str | None = None,
                 phones: PhoneBook | None = None, registry: Mapping[str, CampaignInfo] | None = None,
                 mapping: Mapping[str, str] | None = None, encoding: str = "utf-8") -> None:
        self.path = Path(path)
        self.source = inspect(self.path, encoding)
        self.encoding = self.source.encoding
        self.phones = phones if phones is not None else PhoneBook()
        self.registry = registry or {}
        first, problem = self._first_row()
        detected = formats.detect(first) if first is not None else None
        if log_format is None:
            if detected is None:
                raise InputError(f"{self.path}:1", None, "cannot tell the log format from the first line; pass "
                                                         f"--log-format ({', '.join(FORMATS)})")
            log_format = detected
        if log_format not in FORMATS:
            raise InputError("--log-format", None, f"expected one of {', '.join(FORMATS)}, got {log_format!r}")
        self.format = log_format
        zone = source_zone(source_tz)
        if log_format in NEEDS_SOURCE_TZ and zone is None:
            raise InputError(str(self.path), None, f"{log_format} logs carry local times with no offset; pass "
                                                   "--source-tz ZONE (the dialer server's zone, e.g. Europe/Paris)")
        self.source_tz = source_tz
        codes = dict(BUILT_IN[log_format])
        codes.update(mapping or {})
        self.context = Context(str(self.path), zone, self.phones, self.registry, codes, log_format)
        self.has_header = log_format in {"generic", "vicidial"}
        if problem and self.has_header:
            raise InputError(f"{self.path}:1", "header", problem)
        self.width = len(first or [])
        """Fields of the first row (the header's for logs with one)."""
        self.rows = self.attempts = self.rejected = 0
        self.unmapped: Counter[str] = Counter()
        self.ignored_columns: list[str] = []
        self.header: list[str] = []
        self.fields_present: set[str] = {"caller_id", "ring_s", "talk_s"} if log_format in NEEDS_SOURCE_TZ else set()
        if self.has_header:
            self.header = first or []
            if log_format == "generic" and tuple(h.strip().lower() for h in self.header[:9]) != \
                    formats.GENERIC_REQUIRED:
                raise InputError(f"{self.path}:1", "header", "expected the columns "
                                 f"{','.join(formats.GENERIC_REQUIRED)} in this order, got {','.join(self.header)}")
            self.fields_present = {h.strip().lower() for h in self.header}

    def _first_row(self) -> tuple[list[str] | None, str]:
        """The first row and why it is unusable ("" if it is not); bytes that are not in the encoding only
        matter if it is a header (a data row is rejected with its reason like any other)."""
        for line, fields, problem in CsvRows(self.path, source=self.source):
            if problem and not fields:
                raise InputError(f"{self.path}:{line}", None, problem)
            return fields, problem
        return None, ""

    def converter(self) -> formats.Convert:
        """The row converter of the log's format (for a VICIdial log, it also sets `ignored_columns`)."""
        ctx = self.context
        if self.format == "generic":
            convert, self.ignored_columns = formats.generic(self.header, ctx)
        elif self.format == "vicidial":
            try:
                convert, self.ignored_columns = formats.vicidial(self.header, ctx)
            except RowError as error:
                raise InputError(f"{self.path}:1", error.field, error.reason) from None
        elif self.format == "asterisk":
            convert = formats.asterisk(ctx)
        else:
            convert = formats.freeswitch(ctx)
        return convert

    def __iter__(self) -> Iterator[Attempt | RejectedRow]:
        convert = self.converter()
        source = str(self.path)
        seen: set[int] = set()  # hashes of call ids: 8 bytes per row instead of the strings
        first = self.has_header
        self._rows = rows = CsvRows(self.path, source=self.source)
        for line, fields, problem in rows:
            if first:
                first = False
                continue
            if not problem and (not fields or (len(fields) == 1 and not fields[0].strip())):
                continue  # blank line: not a row
            self.rows += 1
            if problem:
                self.rejected += 1
                yield RejectedRow(source, line, "(encoding)" if "decoded" in problem else "row", problem,
                                  ",".join(fields)[:200])
                continue
            try:
                attempt = convert(line, fields)
            except RowError as error:
                self.rejected += 1
                if "unmapped" in error.reason or "unknown disposition" in error.reason:
                    self.unmapped[error.reason.split("'")[1] if "'" in error.reason else "?"] += 1
                yield RejectedRow(source, line, error.field, error.reason, ",".join(fields)[:200])
                continue
            key = hash(attempt.call_id)
            if key in seen:
                self.rejected += 1
                yield RejectedRow(source, line, "call_id", f"duplicate call id {attempt.call_id!r} (already seen "
                                                           "earlier in the file; this row is not audited)",
                                  ",".join(fields)[:200])
                continue
            seen.add(key)
            self.attempts += 1
            yield attempt

    def bytes_read(self) -> int:
        """Bytes of the log read so far by the row iterator (for progress)."""
        rows = getattr(self, "_rows", None)
        return rows.bytes_read() if rows is not None else 0

    def reconciliation(self) -> str:
        return (f"{self.path}: {self.rows} rows read = {self.attempts} attempts + {self.rejected} rejected"
                + ("" if self.rows == self.attempts + self.rejected else "  (MISMATCH)"))
