"""Dialer log formats: VICIdial, Asterisk Master.csv, FreeSWITCH mod_cdr_csv, each with a golden file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from campaigns.cli import main
from campaigns.ingest.reader import LogReader
from campaigns.model.records import Attempt, RejectedRow

DATA = Path(__file__).resolve().parents[1] / "data" / "campaigns"

REGISTRY = str(DATA / "campaigns_registry.csv")


def _read(name: str, **kwargs):  # type: ignore[no-untyped-def]
    reader = LogReader(DATA / name, **kwargs)
    items = list(reader)
    return reader, [i for i in items if isinstance(i, Attempt)], [i for i in items if isinstance(i, RejectedRow)]


def test_vicidial_export_is_detected_and_unmapped_codes_are_reported_not_guessed():
    reader, attempts, rejected = _read("vicidial_log.csv", source_tz="Europe/Paris")

    assert "vicidial" == reader.format
    assert (5, 4, 1) == (reader.rows, reader.attempts, reader.rejected)
    assert "status" == rejected[0].field
    assert "unmapped vicidial disposition code 'XSALE'" in rejected[0].reason
    assert {"XSALE": 1} == dict(reader.unmapped)
    first = attempts[0]
    assert ("+33612345678", "refused", "501", "SOLAR") == (first.phone, first.disposition, first.lead, first.campaign)
    assert 1773655200.0 == first.ts  # 2026-03-16 11:00 Paris


def test_vicidial_mapping_file_and_lead_ids_link_a_persons_numbers(audit):  # type: ignore[no-untyped-def]
    run = audit(DATA / "vicidial_log.csv", "fr-2023", "--source-tz", "Europe/Paris", "--dispositions",
                str(DATA / "vicidial_dispositions.csv"), "--campaigns", REGISTRY)

    assert "5 rows read = 5 attempts + 0 rejected" in run.summary["reconciliation"][0]
    # lead 501 refused on its mobile at 11:00; its landline was dialled at 11:10 (ALT number).
    refusal = next(v for v in run.violations if v["rule"] == "fr-2023.refusal")
    assert "1773655800.1002" == refusal["call_id"]
    assert "lead" == refusal["evidence"]["person_key_basis"]
    assert 5 == run.count("fr-2023.sector_ban")


def test_asterisk_master_csv_needs_a_source_zone(tmp_path):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["ingest", str(DATA / "asterisk_Master.csv")])

    assert 2 == result.exit_code
    assert "pass --source-tz ZONE" in result.stderr


def test_asterisk_master_csv_reads_the_number_from_dial_when_dst_is_empty(audit):  # type: ignore[no-untyped-def]
    reader, attempts, rejected = _read("asterisk_Master.csv", source_tz="Europe/Paris")

    assert ("asterisk", 4, []) == (reader.format, len(attempts), rejected)
    assert ["+33612345678", "+33142345678", "+33687654321", "+33611223344"] == [a.phone for a in attempts]
    assert ["answered", "no_answer", "busy", "failed"] == [a.disposition for a in attempts]
    assert (12.0, 108.0) == (attempts[0].ring_s, attempts[0].talk_s)
    run = audit(DATA / "asterisk_Master.csv", "fr-2023", "--source-tz", "Europe/Paris", "--campaigns", REGISTRY)
    assert ["fr-2023.sector_ban", "fr-2023.weekend"] == run.rules_of("1774085400.3")


def test_freeswitch_cdr_splits_normal_clearing_on_answer_and_reports_unknown_causes(audit):  # type: ignore[no-untyped-def]
    reader, attempts, rejected = _read("freeswitch_cdr.csv", source_tz="Europe/Paris")

    assert "freeswitch" == reader.format
    assert ["answered", "no_answer", "busy"] == [a.disposition for a in attempts]
    assert 1 == len(rejected) and "CALL_REJECTED" in rejected[0].reason
    run = audit(DATA / "freeswitch_cdr.csv", "fr-2023", "--source-tz", "Europe/Paris")
    hours = next(r for r in run.summary["rules"] if r["rule"] == "fr-2023.hours")
    # no registry: the purpose is unknown, so canvassing rules are not evaluated, never "compliant"
    assert {"field purpose absent (give it in the log or the campaigns registry)": 3} == hours["not_evaluated"]
    assert 3 == run.exit_code  # coverage gaps (and the rejected CALL_REJECTED row)


def test_ingest_prints_counts_that_reconcile(tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "normalized.csv"
    result = CliRunner().invoke(main, ["ingest", str(DATA / "freeswitch_cdr.csv"), "--source-tz", "Europe/Paris",
                                       "--output", str(out)])

    assert 1 == result.exit_code
    assert "freeswitch_cdr.csv: 4 rows read = 3 attempts + 1 rejected" in result.stdout
    assert 4 == len(out.read_text().splitlines())  # header + 3 attempts
