"""Malformed inputs: every row is accounted for, each rejection names file, line, field and reason."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from campaigns.cli import main

HEADER = b"call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent\n"


def _bad_log(tmp_path: Path) -> Path:
    rows = [
        b"ok1,2026-03-16T11:00:00+01:00,+33142345678,,c,canvassing,answered,30,a1",
        b"bad_date,2026-03-32T11:00:00+01:00,+33142345678,,c,canvassing,answered,30,a1",
        b"no_tz,2026-03-16 11:00:00,+33142345678,,c,canvassing,answered,30,a1",
        b"bad_disp,2026-03-16T11:05:00+01:00,+33142345678,,c,canvassing,HUNG_UP,30,a1",
        b"truncated,2026-03-16T11:06:00+01:00,+3314",
        b"latin1,2026-03-16T11:07:00+01:00,+33142345678,,c,canvassing,answered,30,J\xe9r\xf4me",
        b"ok1,2026-03-16T11:08:00+01:00,+33142345678,,c,canvassing,answered,30,a1",
        b"bad_phone,2026-03-16T11:09:00+01:00,call me,,c,canvassing,answered,30,a1",
        b"bad_purpose,2026-03-16T11:10:00+01:00,+33142345678,,c,sales,answered,30,a1",
        b"bad_duration,2026-03-16T11:11:00+01:00,+33142345678,,c,canvassing,answered,-4,a1",
        b"ok2,2026-03-16T11:12:00+01:00,+33142345678,,c,canvassing,answered,30,Ren\xc3\xa9",
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes(HEADER + b"\n".join(rows) + b"\n")
    return path


def test_every_malformed_row_is_rejected_with_file_line_field_and_reason(tmp_path, audit):  # type: ignore[no-untyped-def]
    log = _bad_log(tmp_path)
    run = audit(log, "fr-2023", "--param", "fr-2023.frequency.max_attempts=20")

    assert 3 == run.exit_code  # rejected rows are rows not audited: a coverage gap
    assert f"{log}: 11 rows read = 2 attempts + 9 rejected" == run.summary["reconciliation"][0]
    rejected = [line.removeprefix("rejected: ") for line in run.stderr.splitlines() if line.startswith("rejected: ")]
    assert [
        f"{log}:3: start: not an ISO 8601 date-time: '2026-03-32T11:00:00+01:00'",
        f"{log}:4: start: '2026-03-16 11:00:00' has no UTC offset; pass --source-tz ZONE",
        f"{log}:5: disposition: unknown disposition 'HUNG_UP'; expected one of abandoned, answered, busy, failed, "
        "no_answer, opt_out, refused, voicemail or a code from --dispositions",
        f"{log}:6: row: expected 9 fields, got 3 (truncated line?)",
        f"{log}:7: (encoding): not valid utf-8 (a byte could not be decoded; re-export the file as UTF-8 or pass "
        "--encoding latin-1)",
        f"{log}:8: call_id: duplicate call id 'ok1' (already seen earlier in the file; this row is not audited)",
        f"{log}:9: callee: not a phone number: 'call me' ((1) The string supplied did not seem to be a phone "
        "number.)",
        f"{log}:10: purpose: expected one of canvassing, survey, service, collection, newspaper, b2b, got 'sales'",
        f"{log}:11: duration_s: expected a non-negative number, got '-4'",
    ] == rejected


def test_a_duration_that_is_not_a_finite_number_is_a_rejected_row(tmp_path, audit):  # type: ignore[no-untyped-def]
    """float() reads "nan", "inf" and "1e999"; a call's length is none of them (the house's one number parser)."""
    rows = [f"d{i},2026-03-16T11:0{i}:00+01:00,+33142345678,,c,canvassing,answered,{value},a1".encode()
            for i, value in enumerate(["nan", "inf", "1e999", "12.5"])]
    log = tmp_path / "durations.csv"
    log.write_bytes(HEADER + b"\n".join(rows) + b"\n")
    run = audit(log, "fr-2023", "--param", "fr-2023.frequency.max_attempts=20")
    rejected = [line.removeprefix("rejected: ") for line in run.stderr.splitlines() if line.startswith("rejected: ")]
    assert [f"{log}:{n}: duration_s: expected a number of seconds, got '{v}'" for n, v in
            ((2, "nan"), (3, "inf"), (4, "1e999"))] == rejected
    assert f"{log}: 4 rows read = 1 attempts + 3 rejected" == run.summary["reconciliation"][0]


def test_a_quote_never_closed_makes_the_rest_of_the_file_one_rejected_row(tmp_path, audit):  # type: ignore[no-untyped-def]
    """A writer that stopped inside a quoted field (Asterisk's testsuite keeps such a file, buggy.csv): csv, not
    strict, hands the record over as if the quote had been closed at the end of the file; it is a truncated
    record, rejected where it starts, and the rows before it are audited."""
    rows = [b"ok1,2026-03-16T11:00:00+01:00,+33142345678,,c,canvassing,answered,30,a1",
            b'cut,2026-03-16T11:01:00+01:00,+33142345679,,c,canvassing,answered,30,"Jean',
            b"swallowed,2026-03-16T11:02:00+01:00,+33142345670,,c,canvassing,answered,30,a1"]
    log = tmp_path / "cut.csv"
    log.write_bytes(HEADER + b"\n".join(rows) + b"\n")
    run = audit(log, "fr-2023")
    rejected = [line.removeprefix("rejected: ") for line in run.stderr.splitlines() if line.startswith("rejected: ")]
    assert [f"{log}:3: row: a quoted field is opened and never closed: the file ends inside it (a truncated "
            "record; the writer stopped mid-line?)"] == rejected
    assert f"{log}: 2 rows read = 1 attempts + 1 rejected" == run.summary["reconciliation"][0]


def test_rejected_rows_are_stored_with_the_run(tmp_path, audit, database_url):  # type: ignore[no-untyped-def]
    from campaigns.store.repo import load_rejected, load_run
    from mystery_core.store.engine import make_engine

    log = _bad_log(tmp_path)
    run = audit(log, "fr-2023", database_url=database_url)
    engine = make_engine(database_url)
    stored = load_rejected(engine, run.summary["run_id"])
    counts = tuple(load_run(engine, run.summary["run_id"])[k] for k in ("rows", "attempts", "rejected"))
    engine.dispose()

    assert 9 == len(stored)
    assert {"source": str(log), "line": 6, "field": "row", "reason": "expected 9 fields, got 3 (truncated line?)"} \
        == stored[3]
    assert (11, 2, 9) == counts


def test_latin1_file_reads_cleanly_with_the_encoding_option(tmp_path, audit):  # type: ignore[no-untyped-def]
    log = tmp_path / "latin1.csv"
    log.write_bytes(HEADER + b"x1,2026-03-16T11:07:00+01:00,+33142345678,,c,canvassing,answered,30,J\xe9r\xf4me\n")

    run = audit(log, "fr-2023", "--encoding", "latin-1")

    assert (1, 0) == (run.summary["attempts"], run.summary["rejected"])
    assert 3 == run.exit_code  # no violation, but fr-2023.opposition & co. not evaluated (no input files)
    assert 0 == run.summary["violations"]


def test_a_wrong_header_is_unusable_input_with_one_line_and_exit_2(write):  # type: ignore[no-untyped-def]
    log = write("log.csv", "id,when,number\n1,2,3")
    result = CliRunner().invoke(main, ["audit", "--log", str(log), "--rules", "fr-2023", "--no-store"])

    assert 2 == result.exit_code
    assert [f"error: {log}:1: cannot tell the log format from the first line; pass --log-format (generic, "
            "vicidial, asterisk, freeswitch)"] == result.stderr.splitlines()


def test_a_generic_log_with_columns_out_of_order_names_them(write):  # type: ignore[no-untyped-def]
    log = write("log.csv", "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent\n")
    log.write_text("start,call_id,callee,caller_id,campaign,purpose,disposition,duration_s,agent\n")
    result = CliRunner().invoke(main, ["audit", "--log", str(log), "--log-format", "generic", "--rules", "fr-2023",
                                       "--no-store"])

    assert 2 == result.exit_code
    assert "header: expected the columns call_id,start,callee" in result.stderr


def test_an_unknown_pack_and_a_bad_parameter_are_exit_2(write):  # type: ignore[no-untyped-def]
    log = write("log.csv", "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent")
    unknown = CliRunner().invoke(main, ["audit", "--log", str(log), "--rules", "fr-2099", "--no-store"])
    bad = CliRunner().invoke(main, ["audit", "--log", str(log), "--rules", "fr-2023", "--no-store",
                                    "--param", "fr-2023.holiday.alsace_moselle=sometimes"])

    assert 2 == unknown.exit_code and "unknown rule pack 'fr-2099'" in unknown.stderr
    assert 2 == bad.exit_code
    assert "error: --param: fr-2023.holiday: alsace_moselle: expected by_region, always or never, got 'sometimes'" \
        == bad.stderr.strip()


def test_bad_rows_in_list_files_are_counted_and_reported(write, audit):  # type: ignore[no-untyped-def]
    log = write("log.csv", "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent\n"
                           "x1,2026-03-16T11:00:00+01:00,+33142345678,,c,canvassing,answered,30,a1")
    oppositions = write("opp.csv", "phone,listed_at,source\n+33142345678,2025-13-01,bloctel\n+33142345678,"
                                   "2025-01-01,pacitel\n+33142345678,2025-01-01,bloctel")
    run = audit(log, "fr-2023", "--oppositions", str(oppositions))

    assert f"{oppositions}: 3 rows read = 1 oppositions + 2 rejected" == run.summary["reconciliation"][1]
    assert f"rejected: {oppositions}:3: source: expected one of bloctel, internal, tps, dnc, dncl, robinson, state_dnc, got 'pacitel'" \
        in run.stderr
    assert ["fr-2023.opposition"] == run.rules_of("x1")


def test_verbose_comes_from_the_flag_not_the_environment(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mystery_core.errors import InputError

    missing = tmp_path / "nope.csv"
    args = ["audit", "--log", str(missing), "--rules", "fr-2023", "--no-store"]
    monkeypatch.setenv("MYSTERY_VERBOSE", "1")  # the old channel: no longer read
    quiet = CliRunner().invoke(main, args)
    assert 2 == quiet.exit_code
    assert f"error: --log: no such file: {missing}\n" == quiet.stderr
    verbose = CliRunner().invoke(main, ["--verbose", *args])
    assert isinstance(verbose.exception, InputError)
    assert f"--log: no such file: {missing}" == str(verbose.exception)
