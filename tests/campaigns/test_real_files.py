"""Files written by real systems, as other projects publish them: every row is accounted for, on both engines.

The files sit in tests/data/campaigns/real/ byte for byte as published (README.md there names the repository,
path, commit, blob and licence of each). For each file this test states how many rows it has (counted on its
own, from its lines), how many are audited, and the line, field and reason of every rejected row; both engines
must agree, and `auto` must take the columnar engine wherever it supports the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from campaigns.ingest.reader import LogReader
from campaigns.ingest.text import UNCLOSED_QUOTE
from campaigns.model.phones import PhoneBook
from campaigns.model.records import Attempt
from tests.campaigns.test_columnar import _run

REAL = Path(__file__).resolve().parent.parent / "data" / "campaigns" / "real"
NOT_POSSIBLE = "dst: not a possible number: '{}' (too short for +33)"
NOT_A_NUMBER = "dst: not a phone number: '{}' ((1) The string supplied did not seem to be a phone number.)"


@dataclass(frozen=True)
class Expected:
    """What auditing one real file must give: the git blob of the file here (the upstream blob when the file is
    kept whole; README.md says what was cut or masked otherwise), its rows, the attempts audited, each rejected
    row as (line, "field: reason"), the engine `auto` takes, and the audit's zone and region (where the system
    ran: its times are local, its numbers national or without a plus)."""

    file: str
    blob: str
    rows: int
    attempts: int
    rejected: tuple[tuple[int, str], ...]
    engine: str
    callees: tuple[str, ...]
    """The audited rows' callees in E.164, in order."""
    source_tz: str = "Europe/Paris"
    region: str = "FR"


EXPECTED = [
    # five records copied from one call (same uniqueid, billsec and disposition edited): the first is audited, the
    # other four are the same call id again; dst 100 is an extension, read as +33100 (not a valid number)
    # five records of one call to extension 100: not a possible number (too short), each rejected for it
    Expected("asterisk_testsuite_cdrlib_good.csv", "315dcad18ffe7e1bc1bf93c94c8cdfb1820c81ed", 5, 0,
             tuple((line, NOT_POSSIBLE.format("100")) for line in range(1, 6)), "columnar", ()),
    # the record's userfield opens a quote and the file ends inside it: a truncated record (the row engine reads it;
    # the columnar engine does not take a file with a quote never closed)
    Expected("asterisk_testsuite_cdrlib_buggy.csv", "055ae6fbc947cc3fe2ccfd23a561379ae9fc1504", 1, 0,
             ((1, f"row: {UNCLOSED_QUOTE}"),), "row", ()),
    # calls from the Console channel to extension 1: not a phone number
    Expected("asterisk_testsuite_self_test_Master.csv", "dea912a0ce2b1ebc9140b4f5656edbdce967bafa", 2, 0,
             ((1, NOT_A_NUMBER.format("1")), (2, NOT_A_NUMBER.format("1"))), "columnar", ()),
    Expected("asterisk_testsuite_self_test_Master2.csv", "dbe668311390ed4eeb4a53fe209d384f2beeb832", 1, 0,
             ((1, NOT_A_NUMBER.format("1")),), "columnar", ()),
    # a Spanish server's mod_cdr_csv: one mobile dialled five ways (0034..., +34..., 34..., 0034..., 00034...);
    # read with the server's region the first four are the same number, the fifth has one 0 too many
    Expected("freeswitch_docs_cdr_csv_example.csv", "333948c761031c0d1b0eb8fc6e3ce30f62f94398", 5, 4,
             ((5, "destination_number: not a phone number: '00034610552305' ((0) Could not interpret numbers "
                  "after plus-sign.)"),), "columnar", ("+34610552305",) * 4, "Europe/Madrid", "ES"),
]


def _git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()  # noqa: S324 - git's object name, not security


def _lines(data: bytes) -> int:
    """Physical lines (each record of these files is one line; a last line without a line end counts)."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def test_every_real_file_has_a_stated_expectation_and_its_source_in_the_readme() -> None:
    assert sorted(p.name for p in REAL.glob("*.csv")) == sorted(e.file for e in EXPECTED)
    readme = (REAL / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in readme.splitlines() if line.startswith("| `")}
    assert sorted(rows) == sorted(e.file for e in EXPECTED)
    for expected in EXPECTED:
        assert f"`{expected.blob}`" in rows[expected.file]
        assert f"| {expected.rows} |" in rows[expected.file]


@pytest.mark.parametrize("expected", EXPECTED, ids=[e.file for e in EXPECTED])
def test_every_row_of_a_real_file_is_audited_or_rejected_with_its_reason(expected: Expected) -> None:
    path = REAL / expected.file
    data = path.read_bytes()
    assert expected.blob == _git_blob(data)
    assert expected.rows == _lines(data)

    request = {"log": path, "rules": ("fr-2023",), "source_tz": expected.source_tz, "default_region": expected.region}
    auto = _run("auto", **request)
    row = _run("row", **request)

    assert (expected.engine, "row") == (auto["engine"], row["engine"])
    for result in (auto, row):
        counts = result["counts"]
        assert (expected.rows, expected.attempts, len(expected.rejected)) == \
            (counts["rows"], counts["attempts"], counts["rejected"])
        assert counts["rows"] == counts["attempts"] + counts["rejected"]
        assert [f"{path}:{line}: {reason}" for line, reason in expected.rejected] == \
            [text for text, _ in result["rejected"]]
        assert [f"{path}: {expected.rows} rows read = {expected.attempts} attempts + {len(expected.rejected)} "
                "rejected"] == result["summary"]["reconciliation"]
    reader = LogReader(path, source_tz=expected.source_tz, phones=PhoneBook(expected.region))
    assert expected.callees == tuple(item.phone for item in reader if isinstance(item, Attempt))
    assert row["violations"] == auto["violations"]
    assert (row["summary"], row["counts"], row["first_last"]) == (auto["summary"], auto["counts"], auto["first_last"])
