"""Logs as exporters write them (CRLF, quoting, byte order mark, `;`, Latin-1, gzip, zip): both engines read them
alike, the columnar engine runs on them, and a row keeps the line its record starts on.

The differential log of test_columnar.py is written again in each form; the row engine is the reference.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from campaigns.engines.audit import AuditRequest, run_audit
from campaigns.engines.columnar import reading
from campaigns.ingest.reader import LogReader
from campaigns.model.records import RejectedRow
from mystery_core.errors import InputError
from tests.campaigns.test_columnar import _inputs, _log, _run


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write(rows: list[list[str]], *, delimiter: str = ",", line_end: str = "\r\n", quoting: int = csv.QUOTE_MINIMAL,
           encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=line_end, quoting=quoting).writerows(rows)
    return out.getvalue().encode(encoding)


def _agents(rows: list[list[str]], names: list[str]) -> list[list[str]]:
    """Agent names that need quoting or another encoding, on every third row (header kept)."""
    return [rows[0]] + [row[:8] + [names[i % len(names)]] + row[9:] if i % 3 == 0 and len(row) > 9 else row
                        for i, row in enumerate(rows[1:])]


def _zip(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/log.csv", data)
    return out.getvalue()


FORMS = {
    "crlf": lambda rows: _write(rows),
    "crlf_all_quoted": lambda rows: _write(rows, quoting=csv.QUOTE_ALL),
    "quoted_commas_and_line_breaks": lambda rows: _write(_agents(rows, ["Dupont, Jean", 'Li "Bo"', "A\r\nB", "x\ny"])),
    "bom_semicolons": lambda rows: b"\xef\xbb\xbf" + _write(rows, delimiter=";"),
    "latin1_semicolons": lambda rows: _write(_agents(rows, ["Hélène", "François; B"]), delimiter=";",
                                             encoding="latin-1"),
    "tabs_lf": lambda rows: _write(rows, delimiter="\t", line_end="\n"),
    "gzip_crlf": lambda rows: gzip.compress(_write(rows)),
    "zip_crlf": lambda rows: _zip(_write(rows)),
}


@pytest.mark.parametrize("block_bytes", [4 << 20, 6000])
@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_of_a_log_is_audited_by_the_columnar_engine_as_by_the_row_engine(  # type: ignore[no-untyped-def]
        tmp_path, monkeypatch, form, block_bytes):
    """Same violations (lines included), rejected rows, summary, suppression list and counts, in one block
    and in blocks of ~60 records (cut between records, never inside a quoted field)."""
    monkeypatch.setattr(reading, "BLOCK_BYTES", block_bytes)
    plain = tmp_path / "plain.csv"
    shape = _log(plain, 1, 2000, datetime(2026, 3, 20, 5, tzinfo=UTC))
    log = tmp_path / "log.csv"
    log.write_bytes(FORMS[form](_rows(plain)))
    request = {"log": log, "rules": ("fr-2023", "policy"), "inputs": _inputs(tmp_path, shape["persons"], 1),
               "encoding": "latin-1" if form.startswith("latin1") else "utf-8"}

    columnar = _run("auto", **request)
    row = _run("row", **request)

    assert ("columnar", "row") == (columnar["engine"], row["engine"])
    assert len(row["violations"]) > 200 and len(row["rejected"]) > 20
    assert row["violations"] == columnar["violations"]
    assert row["rejected"] == columnar["rejected"]
    assert (row["summary"], row["suppression"], row["counts"]) == \
        (columnar["summary"], columnar["suppression"], columnar["counts"])


@pytest.mark.parametrize("form", ["crlf", "bom_semicolons", "gzip_crlf", "zip_crlf", "tabs_lf"])
def test_a_log_in_another_form_gives_the_findings_of_the_plain_log(tmp_path, form):  # type: ignore[no-untyped-def]
    plain = tmp_path / "plain.csv"
    shape = _log(plain, 2, 1500, datetime(2026, 4, 25, 5, tzinfo=UTC))
    log = tmp_path / "log.csv"
    log.write_bytes(FORMS[form](_rows(plain)))
    inputs = _inputs(tmp_path, shape["persons"], 2)

    expected = _run("auto", log=plain, rules=("fr-2023",), inputs=inputs)
    got = _run("auto", log=log, rules=("fr-2023",), inputs=inputs)

    def comparable(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{key: value for key, value in v.items() if key != "source"} for v in violations]

    assert ("columnar", "columnar") == (expected["engine"], got["engine"])
    assert comparable(expected["violations"]) == comparable(got["violations"])
    assert expected["counts"] == got["counts"]


def test_a_row_with_a_quoted_line_break_keeps_the_line_its_record_starts_on(tmp_path):  # type: ignore[no-untyped-def]
    header = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent\r\n"
    log = tmp_path / "log.csv"
    log.write_bytes((header +
                     'c1,2026-03-02T22:30:00+01:00,+33612345678,,camp1,canvassing,answered,10,"Dupont,\r\nJean"\r\n'
                     'c2,2026-03-02T23:30:00+01:00,+33612345679,,camp1,canvassing,answered,10,"A\nB\nC"\r\n'
                     'c3,2026-03-02T10:30:00+01:00,not-a-number,,camp1,canvassing,answered,10,"x\r\ny"\r\n'
                     "c4,2026-03-02T23:45:00+01:00,+33612345670,,camp1,canvassing,answered,10,ag\r\n").encode())
    for engine in ("columnar", "row"):
        found: list[tuple[str, int]] = []
        rejected: list[RejectedRow] = []
        run_audit(AuditRequest(log=log, rules=("fr-2023",), engine=engine),
                  lambda v, found=found: found.append((v.call_id, v.line)), rejected.append)

        assert [("c1", 2), ("c2", 4), ("c4", 9)] == sorted(set(found)), engine
        assert [(7, "callee")] == [(r.line, r.field) for r in rejected], engine


def test_bytes_not_in_the_encoding_reject_their_row_only(tmp_path):  # type: ignore[no-untyped-def]
    header = b"call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent\n"
    log = tmp_path / "log.csv"
    log.write_bytes(header + b"c1,2026-03-02T10:30:00+01:00,+33612345678,,camp1,canvassing,answered,10,H\xe9l\xe8ne\n"
                             b"c2,2026-03-02T10:40:00+01:00,+33612345679,,camp1,canvassing,answered,10,ag\n")
    for engine in ("columnar", "row"):
        rejected: list[RejectedRow] = []
        outcome = run_audit(AuditRequest(log=log, rules=("fr-2023",), engine=engine), lambda v: None, rejected.append)

        assert (2, 1, 1) == (outcome.rows, outcome.attempts, outcome.rejected)
        assert [(2, "(encoding)")] == [(r.line, r.field) for r in rejected]
        assert "pass --encoding latin-1" in rejected[0].reason


def test_a_log_with_a_byte_order_mark_is_read_without_it(tmp_path):  # type: ignore[no-untyped-def]
    """It was refused, "expected the columns call_id,... got \\ufeffcall_id,...": a character nobody sees."""
    log = tmp_path / "log.csv"
    log.write_bytes(b"\xef\xbb\xbfcall_id;start;callee;caller_id;campaign;purpose;disposition;duration_s;agent\r\n"
                    b"c1;2026-03-02T10:30:00+01:00;+33612345678;;camp1;canvassing;answered;10;ag\r\n")

    reader = LogReader(log)

    assert ("generic", ";", True) == (reader.format, reader.source.delimiter, reader.source.bom)
    assert [2] == [a.line for a in reader]


def test_a_gzip_log_is_read_and_not_taken_for_latin1(tmp_path):  # type: ignore[no-untyped-def]
    """It was refused as "not valid utf-8 ... pass --encoding latin-1"."""
    log = tmp_path / "log.csv.gz"
    log.write_bytes(gzip.compress(b"call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent\n"
                                  b"c1,2026-03-02T22:30:00+01:00,+33612345678,,camp1,canvassing,answered,10,ag\n"))

    outcome = run_audit(AuditRequest(log=log, rules=("fr-2023",)), lambda v: None, lambda r: None)

    assert ("columnar", 1, 1, 1) == (outcome.engine, outcome.rows, outcome.attempts, outcome.violations)


def test_asterisk_cdr_csv_with_newcdrcolumns_and_bytes_not_in_utf8_is_read(tmp_path):  # type: ignore[no-untyped-def]
    """It exited 2, "cannot tell the log format from the first line": 21 fields and a caller name in
    another encoding. Each leg of a forked Dial is a record of its own (uniqueid/sequence)."""
    log = tmp_path / "Master.csv"
    row = ('"","0170000000","{dst}","from-pstn","""Caf\xe9"" <0170000000>","SIP/trunk-0000000{n}","SIP/{dst}-01",'
           '"Dial","SIP/{dst},60","2026-03-16 {hh}:05:00","","2026-03-16 {hh}:05:30",30,0,"NO ANSWER",'
           '"DOCUMENTATION","1773651900.1","","","1773651900.1",{n}\n')
    log.write_bytes(b"".join(row.format(dst=dst, n=n, hh=hh).encode("latin-1") for n, (dst, hh) in
                             enumerate([("0612345678", "10"), ("0612345679", "10"), ("0612345670", "21")])))
    rejected: list[RejectedRow] = []

    outcome = run_audit(AuditRequest(log=log, rules=("fr-2023",), source_tz="Europe/Paris", encoding="latin-1"),
                        lambda v: None, rejected.append)

    assert ("asterisk", 3, 3, []) == (outcome.log_format, outcome.rows, outcome.attempts, rejected)
    reader = LogReader(log, source_tz="Europe/Paris", encoding="latin-1")
    assert ["1773651900.1/0", "1773651900.1/1", "1773651900.1/2"] == [a.call_id for a in reader]
    as_utf8 = run_audit(AuditRequest(log=log, rules=("fr-2023",), source_tz="Europe/Paris"), lambda v: None,
                        rejected.append)
    assert (3, 0, 3) == (as_utf8.rows, as_utf8.attempts, as_utf8.rejected)
    assert {"(encoding)"} == {r.field for r in rejected}


def test_a_damaged_gzip_log_is_one_error_naming_the_line_where_reading_stopped(tmp_path):  # type: ignore[no-untyped-def]
    rows = b"".join(b"c%d,2026-03-02T22:30:00+01:00,+3361234%04d,,camp1,canvassing,answered,10,ag\n" % (i, i)
                    for i in range(3000))
    data = gzip.compress(b"call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent\n" + rows)
    log = tmp_path / "log.csv.gz"
    log.write_bytes(data[:len(data) // 2])

    with pytest.raises(InputError) as raised:
        run_audit(AuditRequest(log=log, rules=("fr-2023",)), lambda v: None, lambda r: None)

    where, problem = str(raised.value).split(": ", 1)
    assert where.startswith(f"{log}:") and int(where.rsplit(":", 1)[1]) > 1000
    assert problem.startswith("cannot read the gzip: Compressed file ended")


def test_a_zip_of_several_files_is_refused_naming_them(tmp_path):  # type: ignore[no-untyped-def]
    log = tmp_path / "logs.zip"
    with zipfile.ZipFile(log, "w") as archive:
        archive.writestr("a.csv", "x")
        archive.writestr("b.csv", "y")

    with pytest.raises(InputError, match=r"logs.zip: a zip log must hold exactly one file, this one holds 2: a.csv, b.csv"):
        LogReader(log)


def test_an_asterisk_record_without_uniqueid_but_with_userfield_takes_its_line_as_call_id(tmp_path):  # type: ignore[no-untyped-def]
    """cdr_csv.conf `loguniqueid = no`, `loguserfield = yes`: 17 fields, the 17th a userfield, not a uniqueid."""
    log = tmp_path / "Master.csv"
    log.write_text('"SOLAR","0170000000","0612345678","outbound","""Solar"" <0170000000>","SIP/t-1","SIP/t-2","Dial",'
                   '"SIP/t/0612345678,30","2026-03-16 10:05:00","2026-03-16 10:05:12","2026-03-16 10:07:00",120,108,'
                   '"ANSWERED","DOCUMENTATION","lead 42"\n'
                   '"SOLAR","0170000000","0612345679","outbound","""Solar"" <0170000000>","SIP/t-1","SIP/t-2","Dial",'
                   '"SIP/t/0612345679,30","2026-03-16 10:06:00","2026-03-16 10:06:12","2026-03-16 10:07:00",48,36,'
                   '"ANSWERED","DOCUMENTATION","srv1-1773651960.7"\n')

    reader = LogReader(log, source_tz="Europe/Paris")

    assert [f"{log}:1", "srv1-1773651960.7"] == [a.call_id for a in reader]
