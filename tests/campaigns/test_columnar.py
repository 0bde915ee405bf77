"""The columnar engine against the row engine: same violations, statistics, rejected rows and counts.

Each log is generated from a seed with the cases that break naive batching: rows out of order inside
and beyond the reorder window, several attempts of a person in the same second, DST change days,
holidays (Alsace-Moselle departments, overseas), overseas and national-form numbers, persons with two
numbers, refusals and opt-outs, list entries, consents, leads, two principals, malformed rows and
duplicate call ids, over dates where fr-2023's Bloctel rule ends and fr-2026's consent rule starts.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from campaigns import output as report
from campaigns.engines.audit import AuditRequest, run_audit
from campaigns.engines.columnar import attempts, people, reading
from campaigns.engines.columnar.phone_forms import NumberTable
from campaigns.engines.columnar.reading import parse_times
from campaigns.model.phones import PhoneBook, PhoneError, describe
from mystery_core.errors import InputError

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal,dial_mode,ring_s," \
         "region,lead"
DISPOSITIONS = ["no_answer"] * 6 + ["answered"] * 4 + ["busy", "voicemail", "failed", "refused", "opt_out", "abandoned"]
OFFSETS = ["+01:00", "+02:00", "Z", "+00:00", "-05:00", "+04:00"]


def _set(index: int, value: str) -> Any:
    def change(fields: list[str]) -> None:
        fields[index] = value if "{}" not in value else value.format(fields[index][:19])
    return change


BREAKAGES = [
    _set(1, "2026-02-30T10:00:00+01:00"), _set(1, "{}"),  # impossible date; naive time (needs --source-tz)
    _set(6, "maybe"), _set(5, "sales"), _set(2, "not-a-number"), _set(0, ""), _set(7, "-5"), _set(7, "12.5"),
    lambda fields: fields.__delitem__(slice(9, None)), lambda fields: fields.append("extra"), _set(10, "robot"),
    lambda fields: fields.__setitem__(1, fields[1][:19] + ".250000" + fields[1][19:]),
    _set(2, "+33 6 12 34 56 78"),
]
"""Ways a row goes wrong (each on 0.4 % of the rows)."""


def _persons(rng: random.Random, count: int) -> list[dict[str, Any]]:
    out = []
    for p in range(count):
        kind = rng.random()
        if kind < 0.55:
            numbers = [f"+336{p:08d}"]
        elif kind < 0.7:
            numbers = [f"06{p:08d}", f"+331{p:08d}"]  # national form and a landline: one person
        elif kind < 0.78:
            numbers = [f"+262692{p % 1000000:06d}"]  # Réunion
        elif kind < 0.82:
            numbers = [f"0692{p % 1000000:06d}"]  # Réunion written as a metropolitan number
        elif kind < 0.85:
            numbers = [f"+590690{p % 1000000:06d}"]  # Guadeloupe
        elif kind < 0.9:
            numbers = [f"+1208555{p % 10000:04d}"]  # US, split area code
        elif kind < 0.93:
            numbers = [f"+447700900{p % 1000:03d}"]  # UK drama range: no zone
        else:
            numbers = [f"+337{p:08d}", f"+336{(p + 50000):08d}"]
        out.append({"id": f"P{p}", "numbers": numbers, "region": rng.choice(["", "", "75", "57", "67", "68", "13"])})
    return out


def _log(path: Path, seed: int, rows: int, start: datetime, per_person: int = 6) -> dict[str, Any]:
    """A log of `rows` rows from `start` over ~40 days, about `per_person` calls per person, written out of
    order (most rows in place, some a few rows late, some hundreds of rows, i.e. days, late)."""
    rng = random.Random(seed)
    persons = _persons(rng, max(rows // per_person, 10))
    events = []
    span = 40 * 86400
    for i in range(rows):
        person = rng.choice(persons)
        moment = start + timedelta(seconds=rng.randrange(span))
        if rng.random() < 0.05 and events:  # same second as an earlier call to the same person
            moment = events[rng.randrange(len(events))][0]
        events.append((moment, person, i))
    events.sort(key=lambda e: e[0])
    # write in start order, then disturb: small jitter, a few hours, a few days late
    order = list(range(len(events)))
    for i in range(len(order)):
        r = rng.random()
        shift = 0 if r < 0.6 else rng.randrange(1, 30) if r < 0.9 else rng.randrange(30, 400)
        j = min(len(order) - 1, i + shift)
        order[i], order[j] = order[j], order[i]
    lines = [HEADER]
    ids = []
    for n, k in enumerate(order):
        moment, person, _ = events[k]
        phone = rng.choice(person["numbers"])
        call_id = f"c{seed}-{n}"
        if ids and rng.random() < 0.01:
            call_id = rng.choice(ids)  # duplicate call id
        ids.append(call_id)
        offset = rng.choice(OFFSETS)
        text = moment.astimezone(UTC).isoformat().replace("+00:00", "")
        local = datetime.fromisoformat(text).replace(tzinfo=UTC)
        if offset == "Z":
            stamp = local.strftime("%Y-%m-%dT%H:%M:%S") + "Z"
        else:
            sign = 1 if offset[0] == "+" else -1
            delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])) * sign
            stamp = (local + delta).strftime("%Y-%m-%dT%H:%M:%S") + offset
        if rng.random() < 0.03:
            stamp = stamp.replace("T", " ")
        if rng.random() < 0.03:  # a fraction of a second: such rows and the refusals they make take other paths
            stamp = stamp[:19] + f".{rng.randrange(10**6):06d}" + stamp[19:]
        principal = rng.choice(["acme", "acme", "acme", "", "globex"])
        campaign = rng.choice(["camp1", "camp2", "camp3", "reno", "c2026"])
        purpose = rng.choice(["canvassing"] * 8 + ["survey", "service"])
        mode = rng.choice(["", "predictive", "manual", "preview", "progressive"])
        caller = rng.choice(["+33162000001", "+33612345678", "", "abc", "+33948000000"])
        ring = rng.choice(["", "12", "20.5", "3"])
        region = rng.choice(["", "", "", "67", "57", "974"])
        lead = rng.choice(["", "", f"L{person['id']}", "L1"])
        duration = str(rng.randrange(0, 400))
        disposition = rng.choice(DISPOSITIONS)
        fields = [call_id, stamp, phone, caller, campaign, purpose, disposition, duration, f"ag{n % 5}", principal, mode,
                  ring, region, lead]
        bad = rng.random()
        if bad < len(BREAKAGES) * 0.004:
            BREAKAGES[int(bad / 0.004)](fields)
        lines.append(",".join(fields))
        if rng.random() < 0.003:
            lines.append(rng.choice(["", "   "]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"persons": persons}


def _inputs(tmp_path: Path, persons: list[dict[str, Any]], seed: int) -> dict[str, Path]:
    rng = random.Random(seed + 1)
    person_lines = ["person_id,phone,region"]
    opposition_lines = ["phone,listed_at,source"]
    consent_lines = ["phone,person_id,given_at,withdrawn_at,scope"]
    for person in persons:
        if len(person["numbers"]) > 1 or rng.random() < 0.3:
            for number in person["numbers"]:
                person_lines.append(f"{person['id']},{number},{person['region']}")
        if rng.random() < 0.08:
            opposition_lines.append(f"{person['numbers'][0]},2026-0{rng.randrange(3, 9)}-1{rng.randrange(9)},"
                                    f"{rng.choice(['bloctel', 'internal'])}")
        if rng.random() < 0.3:
            withdrawn = rng.choice(["", "", "2026-10-01T12:00:00+02:00"])
            who = rng.choice([(person["numbers"][0], ""), ("", person["id"])])
            consent_lines.append(f"{who[0]},{who[1]},2026-0{rng.randrange(5, 9)}-0{rng.randrange(1, 9)},{withdrawn},"
                                 f"{rng.choice(['canvassing', 'out_of_hours', 'all'])}")
    files = {"persons": person_lines, "oppositions": opposition_lines, "consents": consent_lines,
             "campaigns": ["campaign,principal,purpose,packs,sector", "camp1,acme,canvassing,,",
                           "reno,acme,canvassing,,energy_renovation", "c2026,globex,canvassing,fr-2026 policy,"]}
    out = {}
    for kind, lines in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out[kind] = path
    return out


def _run(engine: str, **request: Any) -> dict[str, Any]:
    violations: list[dict[str, Any]] = []
    rejected: list[tuple[str, str]] = []
    outcome = run_audit(AuditRequest(engine=engine, **request), lambda v: violations.append(v.as_json()),
                        lambda r: rejected.append((str(r), r.raw)))
    summary = report.summary(outcome)
    engine_used = summary.pop("engine")
    summary.pop("engine_note")
    evidence = outcome.evidence_pack()
    return {"engine": engine_used, "violations": violations, "rejected": rejected, "summary": summary,
            "suppression": outcome.suppression, "late": outcome.late, "counts": evidence["counts"],
            "first_last": (outcome.first_ts, outcome.last_ts)}


CASES = [
    # seed, rows, first day (UTC), packs, reorder hours
    (1, 2500, datetime(2026, 3, 20, 5, tzinfo=UTC), ("fr-2023",), 6.0),  # DST 29 March, Good Friday 3 April
    (2, 2500, datetime(2026, 4, 25, 5, tzinfo=UTC), ("fr-2023", "policy"), 6.0),  # 1, 8, 14, 25 May
    (3, 2500, datetime(2026, 7, 25, 5, tzinfo=UTC), ("fr-2026", "policy"), 2.0),  # Bloctel ends, consent starts
    (4, 2500, datetime(2026, 10, 10, 5, tzinfo=UTC), ("fr-2023", "fr-2026"), 48.0),  # DST 25 Oct, 1 and 11 Nov
    (5, 2500, datetime(2026, 12, 10, 5, tzinfo=UTC), ("fr-2026",), 0.5),  # 25-26 Dec (Alsace-Moselle)
    # 40 calls per person: late rows whose month of history a later-recorded call already trimmed
    (6, 4000, datetime(2026, 3, 2, 5, tzinfo=UTC), ("fr-2023", "policy"), 6.0, 40),
]


@pytest.mark.parametrize("block_bytes", [4 << 20, 6000])
@pytest.mark.parametrize("case", CASES)
def test_columnar_engine_gives_the_row_engines_results(tmp_path, monkeypatch, case, block_bytes):  # type: ignore[no-untyped-def]
    """Identical violations (full dicts, in order), rejected rows, summary, suppression list and counts,
    with the log in one block and in blocks of ~60 lines (rows wait, history and marks carry over, the
    cache of earlier attempts' evidence starts over every 40 dicts, and the store of attempts compacts)."""
    monkeypatch.setattr(reading, "BLOCK_BYTES", block_bytes)
    if block_bytes < 10_000:
        monkeypatch.setattr(people, "PAST_JSON_KEPT", 40)
        monkeypatch.setattr(attempts, "FIRST_CAPACITY", 64)  # the store grows often, and compacts
        monkeypatch.setattr(attempts, "DEAD_SHARE", 0.001)
    seed, rows, start, packs, reorder, *density = case
    log = tmp_path / "log.csv"
    shape = _log(log, seed, rows, start, *density)
    inputs = _inputs(tmp_path, shape["persons"], seed)
    request = {"log": log, "rules": packs, "inputs": inputs, "reorder_hours": reorder,
               "params": {"fr-2023.holiday.alsace_moselle": "by_region"}}

    columnar = _run("auto", **request)
    row = _run("row", **request)

    assert "columnar" == columnar["engine"]
    assert "row" == row["engine"]
    assert len(row["violations"]) > 200 and row["late"] > 50 and len(row["rejected"]) > 30
    assert row["violations"] == columnar["violations"]
    assert row["rejected"] == columnar["rejected"]
    assert row["summary"] == columnar["summary"]
    assert row["suppression"] == columnar["suppression"]
    assert (row["late"], row["counts"], row["first_last"]) == (columnar["late"], columnar["counts"],
                                                               columnar["first_last"])


def test_the_generated_logs_cover_every_rule_and_reason(tmp_path):  # type: ignore[no-untyped-def]
    """The differential cases are only worth something if the rules fire: check that they do."""
    seen_rules, seen_reasons = set(), set()
    for seed, rows, start, packs, reorder, *density in CASES:
        log = tmp_path / f"log{seed}.csv"
        shape = _log(log, seed, rows, start, *density)
        result = _run("columnar", log=log, rules=packs, inputs=_inputs(tmp_path, shape["persons"], seed),
                      reorder_hours=reorder)
        seen_rules |= {v["rule"] for v in result["violations"]}
        seen_reasons |= {reason.split(": ", 1)[0] for reason, _ in result["rejected"]}
        seen_reasons |= {reason for rule in result["summary"]["rules"] for reason in rule["not_evaluated"]}
    assert {"fr-2023.hours", "fr-2023.weekend", "fr-2023.holiday", "fr-2023.frequency", "fr-2023.refusal",
            "fr-2023.opposition", "fr-2023.caller_id", "fr-2023.sector_ban", "fr-2026.consent", "gdpr.objection",
            "policy.min_gap", "policy.max_per_day"} <= seen_rules
    assert "field dial_mode absent" in seen_reasons


def test_a_log_the_columnar_engine_cannot_read_falls_back_to_the_row_engine(tmp_path):  # type: ignore[no-untyped-def]
    log = tmp_path / "log.csv"
    # a quote inside an unquoted field is a character to csv.reader, not the start of a quoted field
    log.write_text(HEADER + '\nc1,2026-03-02T10:30:00+01:00,+33612345678,,camp "1",canvassing,answered,10,ag,acme,,,,\n')

    result = run_audit(AuditRequest(log=log, rules=("fr-2023",)), lambda v: None, lambda r: None)

    assert ("row", "the log has quotes inside unquoted fields") == (result.engine, result.engine_note)
    assert "row" == result.evidence_pack()["engine"]["name"]
    with pytest.raises(InputError, match="columnar engine cannot run this audit: the log has quotes inside unquoted"):
        run_audit(AuditRequest(log=log, rules=("fr-2023",), engine="columnar"), lambda v: None, lambda r: None)


def test_rules_without_a_columnar_version_fall_back_to_the_row_engine(tmp_path):  # type: ignore[no-untyped-def]
    log = tmp_path / "log.csv"
    log.write_text(HEADER + "\nc1,2026-03-02T10:30:00+01:00,+12085550100,,camp1,canvassing,answered,10,ag,acme,,,,\n")

    # every built-in pack runs columnar; judging a whole call's span against the windows does not
    result = run_audit(AuditRequest(log=log, rules=("fr-2023",), params={"fr-2023.hours.window_edge": "whole_call"}),
                       lambda v: None, lambda r: None)

    assert ("row", "fr-2023.hours: window_edge whole_call") == (result.engine, result.engine_note)


def test_vectorized_numbers_match_describe_for_every_number():  # type: ignore[no-untyped-def]
    rng = random.Random(11)
    raws = set()
    for _ in range(6000):
        k = rng.random()
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(6, 12)))
        if k < 0.3:
            raws.add("+33" + digits)
        elif k < 0.5:
            raws.add("0" + digits)
        elif k < 0.6:
            raws.add("+" + rng.choice(["1", "44", "49", "212", "262", "590", "594", "596", "34", "39", "7", "86"]) + digits)
        elif k < 0.7:
            raws.add(rng.choice(["0692", "0693", "0690", "+33692", "+262692", "0033612", "06 12 ", "+33 6 "]) + digits[:6])
        else:
            raws.add(rng.choice(["+336", "+337", "+339", "+338", "068", "07", "09", "+3980", "+331"]) + digits[:8])
    raws |= {"", "abc", "+", "0", "+33", "++33612345678", "+3312345678901234567890", "+33612345678"}
    table = NumberTable(PhoneBook("FR"))
    ordered = sorted(raws)
    keys, profiles = table.lookup(pa.array(ordered))

    for raw, key, profile in zip(ordered, keys.tolist(), profiles.tolist(), strict=True):
        try:
            info = describe(raw, "FR")
        except PhoneError as error:
            assert (-1, str(error)) == (key, str(table.errors[raw]))
            continue
        assert info == table.info(key, profile), raw


def test_vectorized_times_match_fromisoformat():  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    texts = []
    for _ in range(5000):
        moment = datetime(1995, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(40 * 365 * 86400),
                                                             microseconds=rng.choice([0, rng.randrange(10**6)]))
        text = moment.astimezone(rng.choice([UTC, *(datetime.now(UTC).astimezone().tzinfo,)])).isoformat()
        text = rng.choice([text, text.replace("T", " "), text.replace("+00:00", "Z"), text[:5] + "02-30" + text[10:],
                           text[:11] + "24" + text[13:], text[:-6], text[:-6] + "+24:00"])
        texts.append(text)
    ts, ok = parse_times(pa.array(texts))

    for text, value, good in zip(texts, ts.tolist(), ok.tolist(), strict=True):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if good:
            assert moment is not None and moment.tzinfo is not None and moment.timestamp() == value, text


def test_vectorized_evidence_times_match_localtime():  # type: ignore[no-untyped-def]
    """The columnar engine formats a block's moments at once; the texts must be localtime's own."""
    import numpy as np

    from campaigns.model.localtime import wall_text, wall_texts

    rng = random.Random(9)
    seconds = [rng.randrange(0, 4102444800) for _ in range(20000)] + [0, 4102444799, 951782400, 951868800]

    assert [wall_text(s) for s in seconds] == wall_texts(np.array(seconds))


def test_vectorized_local_and_utc_texts_match_localtime():  # type: ignore[no-untyped-def]
    """Local texts with their offset (negative, half- and quarter-hour ones too) and UTC texts with 'Z',
    made for many moments at once, are what local_iso and utc_iso write one at a time."""
    import numpy as np

    from campaigns.model.localtime import (
        local_iso,
        local_iso_reference,
        local_isos,
        offset_tails,
        utc_iso,
        utc_isos,
        utc_offset,
        wall_texts,
    )

    rng = random.Random(11)
    zones = ["Europe/Paris", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham", "America/Los_Angeles",
             "Asia/Kolkata", "UTC"]
    moments = [(rng.choice(zones), rng.randrange(631152000, 4102444800)) for _ in range(5000)]
    offsets = np.array([utc_offset(zone, ts) for zone, ts in moments], np.int64)
    seconds = np.array([ts for _, ts in moments], np.int64)

    assert [local_iso_reference(zone, ts) for zone, ts in moments] == wall_texts(seconds + offsets,
                                                                                 offset_tails(offsets))
    fractional = [float(ts) for ts in seconds[:100]] + [1.5, -3.0, 4102444800.0]
    assert [utc_iso(ts) for ts in fractional] == utc_isos(fractional)
    # fractions of a second and moments outside the fast range go one at a time, as local_iso writes them
    pairs = moments[:200] + [("Europe/Paris", 1.5), ("Asia/Kathmandu", 4102444800.5), ("UTC", -3.0)]
    assert [local_iso(zone, ts) for zone, ts in pairs] == local_isos([z for z, _ in pairs],
                                                                     np.array([ts for _, ts in pairs], np.float64))


def test_more_than_255_principals_keep_their_own_histories(tmp_path):  # type: ignore[no-untyped-def]
    lines = [HEADER]
    for i in range(600):
        lines.append(f"c{i},2026-03-0{2 + i % 4}T1{i % 8}:00:00+01:00,+3361234{i % 7:04d},,camp1,canvassing,"
                     f"{'refused' if i % 11 == 0 else 'answered'},10,ag,principal{i % 300},,,,")
    log = tmp_path / "log.csv"
    log.write_text("\n".join(lines) + "\n")

    columnar = _run("auto", log=log, rules=("fr-2023",))
    row = _run("row", log=log, rules=("fr-2023",))

    assert "columnar" == columnar["engine"]
    assert row["violations"] and row["violations"] == columnar["violations"]
    assert (row["summary"], row["suppression"]) == (columnar["summary"], columnar["suppression"])


@pytest.mark.parametrize("body", [
    "",  # header only
    "c1,bad,+33612345678,,camp1,canvassing,answered,10,ag,acme,,,,\nc2,,x,,camp1,sales,maybe,10,ag,acme,,,,\n",
    "c1,2026-03-02T22:30:00+01:00,+33612345678,,camp1,canvassing,answered,10,ag,acme,,,,",  # no final newline
    "c1,2026-03-02 22:30:00,0612345678,,camp1,canvassing,answered,10,ag,acme,,,,\n"
    "c2,2026-03-29T02:30:00,0612345678,,camp1,canvassing,refused,10,ag,acme,,,,\n"
    "c3,2026-03-30T10:30:00,0612345678,,camp1,canvassing,answered,10,ag,acme,,,,\n",  # naive: --source-tz
])
def test_small_and_odd_logs_give_the_same_results(tmp_path, body):  # type: ignore[no-untyped-def]
    log = tmp_path / "log.csv"
    log.write_text(HEADER + "\n" + body)
    request = {"log": log, "rules": ("fr-2023",), "source_tz": "Europe/Paris"}

    columnar = _run("columnar", **request)
    row = _run("row", **request)

    assert "columnar" == columnar["engine"]
    assert {key: value for key, value in row.items() if key != "engine"} == \
        {key: value for key, value in columnar.items() if key != "engine"}


def test_another_default_region_and_a_dispositions_file_give_the_same_results(tmp_path):  # type: ignore[no-untyped-def]
    """National-form numbers read as German ones, and dialer codes mapped by a --dispositions file."""
    log = tmp_path / "log.csv"
    shape = _log(log, 7, 1500, datetime(2026, 5, 20, 5, tzinfo=UTC))
    text = log.read_text().replace(",refused,", ",NI,").replace(",busy,", ",B,")
    log.write_text(text)
    mapping = tmp_path / "dispositions.csv"
    mapping.write_text("code,disposition\nNI,refused\nB,busy\n")
    request = {"log": log, "rules": ("fr-2023",), "inputs": _inputs(tmp_path, shape["persons"], 7),
               "default_region": "DE", "dispositions": mapping}

    columnar = _run("columnar", **request)
    row = _run("row", **request)

    assert len(row["violations"]) > 100
    assert {key: value for key, value in row.items() if key != "engine"} == \
        {key: value for key, value in columnar.items() if key != "engine"}


OTHER_PARAMETERS = [
    {"fr-2023.refusal.start": "timestamp", "fr-2023.frequency.subject": "campaign",
     "gdpr.objection.grace_days": "3", "gdpr.objection.business_days": "true", "gdpr.objection.list_sources": "[]"},
    {"fr-2023.frequency.window_days": "0", "fr-2023.frequency.window_hours": "72", "fr-2023.frequency.max_attempts": "2",
     "fr-2023.frequency.count_failed": "true", "fr-2023.weekend.days": "[fri, sat, sun]",
     "fr-2023.hours.windows": "['09:30-12:00', '13:30-18:00']", "fr-2023.refusal.dispositions": "[refused]",
     "gdpr.objection.grace_days": "2", "gdpr.objection.list_sources": "[]"},
]


@pytest.mark.parametrize("params", OTHER_PARAMETERS)
def test_array_verdicts_follow_the_rules_parameters(tmp_path, monkeypatch, params):  # type: ignore[no-untyped-def]
    """The array verdicts (columnar/verdicts.py) decide most flagged rows themselves, under parameters other
    than the packs' defaults, and still give the row engine's findings."""
    from campaigns.engines.columnar import verdicts

    decided = {"rows": 0, "found": 0}

    def counting(verdict):  # type: ignore[no-untyped-def]
        def run(*args):  # type: ignore[no-untyped-def]
            rows, found = verdict(*args)
            decided["rows"] += len(rows)
            decided["found"] += len(found.rows)
            return rows, found
        return run

    monkeypatch.setattr(verdicts, "VERDICTS", {name: counting(v) for name, v in verdicts.VERDICTS.items()})
    monkeypatch.setattr(reading, "BLOCK_BYTES", 20000)
    log = tmp_path / "log.csv"
    shape = _log(log, 8, 2500, datetime(2026, 3, 20, 5, tzinfo=UTC))
    request = {"log": log, "rules": ("fr-2023",), "inputs": _inputs(tmp_path, shape["persons"], 8), "params": params}

    columnar = _run("columnar", **request)
    row = _run("row", **request)

    arrays_can_find = [v for v in row["violations"] if v["rule"] in {
        "fr-2023.hours", "fr-2023.weekend", "fr-2023.holiday", "fr-2023.frequency", "fr-2023.refusal", "gdpr.objection"}]
    assert len(arrays_can_find) > 200
    assert decided["found"] > 0.75 * len(arrays_can_find)  # 3 % of starts have a fraction: evaluate's
    assert {key: value for key, value in row.items() if key != "engine"} == \
        {key: value for key, value in columnar.items() if key != "engine"}


def test_prefetched_blocks_keep_their_order_raise_where_the_reader_failed_and_stop_with_the_consumer():  # type: ignore[no-untyped-def]
    import itertools
    import threading

    from campaigns.engines.columnar.reading import prefetched

    def failing():  # type: ignore[no-untyped-def]
        yield from range(5)
        raise ValueError("line 42: unreadable")

    seen = []
    with pytest.raises(ValueError, match="line 42"):
        for item in prefetched(failing()):  # type: ignore[arg-type]
            seen.append(item)
    assert [0, 1, 2, 3, 4] == seen

    before = threading.active_count()
    early = prefetched(iter(range(1000)))  # type: ignore[arg-type]
    assert [0, 1, 2] == list(itertools.islice(early, 3))
    early.close()  # the reader thread, blocked on a full queue, ends with the consumer
    assert before - 1 <= threading.active_count() <= before
    assert not any(t.name == "log-reader" for t in threading.enumerate())


@pytest.mark.parametrize("engine", ["columnar", "row"])
def test_the_audit_reports_how_far_into_the_log_it_is(tmp_path, monkeypatch, engine):  # type: ignore[no-untyped-def]
    """Progress in bytes read: each block (columnar), every FREEZE_EVERY rows (row); it only grows and
    ends at the file's size."""
    import campaigns.engines.audit as audit_module

    monkeypatch.setattr(reading, "BLOCK_BYTES", 20000)
    monkeypatch.setattr(audit_module, "FREEZE_EVERY", 300)
    log = tmp_path / "log.csv"
    _log(log, 9, 2500, datetime(2026, 3, 20, 5, tzinfo=UTC))
    done: list[int] = []

    outcome = run_audit(AuditRequest(log=log, rules=("fr-2023",), engine=engine), lambda v: None, lambda r: None,
                        done.append)

    assert engine == outcome.engine
    assert len(done) >= 5
    assert done == sorted(done) and done[0] > 0
    size = log.stat().st_size
    assert done[-1] == size if engine == "columnar" else done[-1] <= size


def test_call_id_hashes_match_for_equal_texts_and_differ_otherwise():  # type: ignore[no-untyped-def]
    """The duplicate call id test hashes ids on the reader thread: equal ids (in any block, at any offset
    of a sliced column) hash alike, and 300,000 distinct ids of mixed lengths (a prefix of another, one
    byte apart, empty) all hash apart."""
    import numpy as np
    import pyarrow as pa

    from campaigns.engines.columnar.reading import text_hashes

    ids = [f"c{i}" for i in range(100_000)] + [f"{i:032x}" for i in range(100_000)] + \
        [f"call-{i}-é" for i in range(99_997)] + ["", "c1\u00a0", "c10"[:2]]
    hashes = text_hashes(pa.array(ids))
    assert len(set(ids)) == len(np.unique(hashes)) == len(ids) - 1  # "c10"[:2] is "c1" again
    assert hashes[1] == hashes[-1]
    column = pa.array(["x", *ids[:1000]]).slice(1)
    assert (text_hashes(column) == hashes[:1000]).all()
    assert np.bincount(hashes[:200_000] & 0xFF).min() > 600  # low bits spread (the slot filter reads them)


def test_history_order_is_the_lexsort_by_row_start_and_position():  # type: ignore[no-untyped-def]
    """Pairs ordered by (row, merged index), with the rows whose starts fall out of order sorted again,
    come out as a lexsort by (row, start, position) puts them: equal starts, and late rows."""
    import numpy as np

    from campaigns.engines.columnar.verdicts import history_order

    rng = np.random.default_rng(3)
    for late_share in (0.0, 0.02, 0.5):
        pos = np.arange(5000)
        ts = 1.7e9 + pos * 60.0 + rng.integers(0, 3, 5000) * 30.0  # equal starts happen
        late = rng.random(5000) < late_share
        ts[late] -= rng.integers(1, 7200, int(late.sum()))
        merged = {"ts": ts, "pos": pos}
        pairs = np.unique((rng.integers(0, 300, 20000) << 20) | rng.integers(0, 5000, 20000))  # each pair once
        pairs = pairs[rng.permutation(len(pairs))]
        pr, pj = pairs >> 20, pairs & ((1 << 20) - 1)
        expected = np.lexsort((pos[pj], ts[pj], pr))
        got = history_order(pr, pj, merged)
        assert np.array_equal(pr[expected], pr[got]) and np.array_equal(pj[expected], pj[got])
    assert history_order(np.zeros(0, np.int64), np.zeros(0, np.int64), merged).size == 0
