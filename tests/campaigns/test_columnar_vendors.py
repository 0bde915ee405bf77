"""VICIdial, Asterisk cdr_csv (each width) and FreeSWITCH logs: the columnar engine against the row engine.

Generated from a seed like test_columnar.py's generic log, with each format's own trouble: local times
over a DST change, numbers in national form or only in Dial()'s argument, codes with spaces around or
unmapped, billsec above duration, forked legs sharing a uniqueid, call ids missing or repeated, times
in a form the vectorized reader leaves to the row converter, bytes that are not UTF-8.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from campaigns.engines.columnar import reading
from campaigns.ingest.dispositions import ASTERISK, FREESWITCH, VICIDIAL
from tests.campaigns.test_columnar import _inputs, _persons, _run

PARIS = ZoneInfo("Europe/Paris")
VICIDIAL_HEADER = ["uniqueid", "lead_id", "list_id", "campaign_id", "call_date", "start_epoch", "end_epoch",
                   "length_in_sec", "status", "phone_code", "phone_number", "user", "comments", "processed",
                   "user_group", "term_reason", "alt_dial"]


def _calls(seed: int, rows: int, start: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Calls in hang-up order, and the persons called."""
    rng = random.Random(seed)
    persons = _persons(rng, max(rows // 6, 10))
    calls = []
    for i in range(rows):
        person = rng.choice(persons)
        moment = start + timedelta(seconds=rng.randrange(20 * 86400))
        duration = rng.randrange(0, 300)
        billsec = rng.choice([0, duration // 2, duration, duration + 5])  # above duration: a negative ring
        calls.append({"i": i, "moment": moment, "phone": rng.choice(person["numbers"]), "duration": duration,
                      "billsec": billsec, "campaign": rng.choice(["camp1", "reno", "c2026", "other", ""]),
                      "r": rng.random(), "pick": rng.random()})
    calls.sort(key=lambda call: call["moment"] + timedelta(seconds=call["duration"]))
    return calls, persons


def _local(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")


def _csv(rows: list[list[str]], quoting: int = csv.QUOTE_ALL) -> bytes:
    out = io.StringIO()
    csv.writer(out, quoting=quoting, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _national(phone: str) -> str:
    return "0" + phone[3:] if phone.startswith("+33") else phone


def _asterisk(calls: list[dict[str, Any]], width: int) -> bytes:
    codes = [*ASTERISK, " ANSWERED", "WEIRD"]
    rows = []
    unique = ""
    for n, call in enumerate(calls):
        r = call["r"]
        dst, lastdata = _national(call["phone"]), f"SIP/trunk/{_national(call['phone'])},30"
        if r < 0.05:
            dst = "s"  # an originate: the number is only in Dial()'s argument
        start = _local(call["moment"])
        if 0.05 <= r < 0.07:
            start = call["moment"].astimezone(PARIS).strftime("%Y/%m/%d %H:%M")  # a spreadsheet's re-save
        elif 0.07 <= r < 0.08:
            start = call["moment"].isoformat()  # with an offset: the row converter reads it
        if not (0.08 <= r < 0.1 and unique):  # else a forked leg: the uniqueid of the record before
            unique = f"{int(call['moment'].timestamp())}.{n}"
        if 0.1 <= r < 0.11:
            unique = ""
        code = codes[int(call["pick"] * len(codes))]
        end = _local(call["moment"] + timedelta(seconds=call["duration"]))
        answer = _local(call["moment"]) if call["billsec"] else ""
        row = [call["campaign"], "0170000000", dst, "from-dialer", '"Dialer" <0170000000>', "SIP/trunk-0001",
               "SIP/trunk-0002", "Dial", lastdata, start, answer, end, str(call["duration"]),
               str(call["billsec"]) if r < 0.95 else "", code, "DOCUMENTATION", unique, "", "", unique, str(n % 7)]
        rows.append(row[:width])
    return _csv(rows)


def _freeswitch(calls: list[dict[str, Any]]) -> bytes:
    codes = [*FREESWITCH, "NORMAL_CLEARING", "NORMAL_CLEARING", "NORMAL_CLEARING", " USER_BUSY", "WEIRD"]
    rows = []
    for n, call in enumerate(calls):
        r = call["r"]
        start = _local(call["moment"]) if r > 0.03 else call["moment"].astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
        answer = _local(call["moment"]) if call["billsec"] else ""
        uuid = f"{n:08x}-4c15-11ea-97a0-9dd79410affb" if r < 0.98 else ""
        rows.append(["Dialer", "0170000000", call["phone"], "default", start, answer,
                     _local(call["moment"] + timedelta(seconds=call["duration"])), str(call["duration"]),
                     str(call["billsec"]), codes[int(call["pick"] * len(codes))], uuid, "", call["campaign"],
                     "PCMU", "PCMU"])
    return _csv(rows, csv.QUOTE_MINIMAL)


def _vicidial(calls: list[dict[str, Any]], epoch: bool) -> bytes:
    codes = [*VICIDIAL, " NA ", "ZZZ"]
    header = VICIDIAL_HEADER if epoch else [h for h in VICIDIAL_HEADER if h not in ("start_epoch", "end_epoch")]
    rows: list[list[str]] = [header]
    for n, call in enumerate(calls):
        r = call["r"]
        phone = call["phone"]
        code, number = ("33", _national(phone)) if phone.startswith("+33") and r < 0.7 else ("", phone)
        values = {"uniqueid": f"{int(call['moment'].timestamp())}.{n}" if r < 0.97 else "", "lead_id": str(n % 400),
                  "list_id": "101", "campaign_id": call["campaign"], "call_date": _local(call["moment"]),
                  "start_epoch": str(int(call["moment"].timestamp())) if r > 0.02 else "",
                  "end_epoch": str(int(call["moment"].timestamp()) + call["duration"]),
                  "length_in_sec": str(call["duration"]), "status": codes[int(call["pick"] * len(codes))],
                  "phone_code": code, "phone_number": number, "user": f"agent{n % 9}", "comments": "AUTO",
                  "processed": "N", "user_group": "AGENTS", "term_reason": "CALLER", "alt_dial": "MAIN"}
        rows.append([values[name] for name in header])
    return _csv(rows, csv.QUOTE_MINIMAL)


LOGS = {
    "asterisk_16": lambda calls: _asterisk(calls, 16),
    "asterisk_17": lambda calls: _asterisk(calls, 17),
    "asterisk_18": lambda calls: _asterisk(calls, 18),
    "asterisk_21_newcdrcolumns": lambda calls: _asterisk(calls, 21),
    "freeswitch": _freeswitch,
    "vicidial": lambda calls: _vicidial(calls, True),
    "vicidial_call_date_only": lambda calls: _vicidial(calls, False),
}


@pytest.mark.parametrize("block_bytes", [4 << 20, 6000])
@pytest.mark.parametrize("start", [datetime(2026, 3, 20, 5, tzinfo=UTC), datetime(2026, 10, 15, 5, tzinfo=UTC)])
@pytest.mark.parametrize("kind", sorted(LOGS))
def test_vendor_logs_are_audited_by_the_columnar_engine_as_by_the_row_engine(  # type: ignore[no-untyped-def]
        tmp_path, monkeypatch, kind, start, block_bytes):
    """Over the spring and the autumn DST changes (a gap, a repeated hour), in one block and in small ones."""
    monkeypatch.setattr(reading, "BLOCK_BYTES", block_bytes)
    calls, persons = _calls(3, 1500, start)
    log = tmp_path / "log.csv"
    data = LOGS[kind](calls)
    if kind.startswith("asterisk"):  # a caller name in Latin-1 on one row: that row is rejected, not the file
        data = data.replace(b'"Dialer" <0170000000>', b'"Caf\xe9" <0170000000>', 1)
    log.write_bytes(data)
    inputs = _inputs(tmp_path, persons, 3)
    request = {"log": log, "rules": ("fr-2023", "policy"), "inputs": inputs, "source_tz": "Europe/Paris"}

    columnar = _run("auto", **request)
    row = _run("row", **request)

    assert ("columnar", "row") == (columnar["engine"], row["engine"])
    assert row["counts"]["attempts"] > 1000 and len(row["rejected"]) > 30 and len(row["violations"]) > 50
    assert row["violations"] == columnar["violations"]
    assert row["rejected"] == columnar["rejected"]
    assert (row["summary"], row["suppression"], row["counts"], row["first_last"]) == \
        (columnar["summary"], columnar["suppression"], columnar["counts"], columnar["first_last"])


def test_an_asterisk_log_with_records_of_two_widths_is_audited_by_the_row_engine(tmp_path: Path) -> None:
    """cdr_csv.conf changed while the file grew: the columnar engine reads one record width."""
    calls, _ = _calls(4, 40, datetime(2026, 3, 20, 5, tzinfo=UTC))
    log = tmp_path / "Master.csv"
    log.write_bytes(_asterisk(calls[:20], 17) + _asterisk(calls[20:], 21))

    result = _run("auto", log=log, rules=("fr-2023",), source_tz="Europe/Paris")

    assert "row" == result["engine"]
    assert 40 == result["counts"]["rows"]
