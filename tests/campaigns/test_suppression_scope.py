"""A suppression list entry carries its principal, purpose and until-date and is honoured by them (issue 17): past
its until-date it no longer suppresses, and one scoped to a principal or purposes binds only those calls. The list
that `campaigns audit --suppression` writes is read back with `--oppositions` as it is. Both engines."""

from __future__ import annotations

import csv

import pytest

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal"
ENGINES = pytest.mark.parametrize("engine", ["columnar", "row"])


@ENGINES
def test_an_entry_binds_only_its_principal_and_purposes_and_ends_at_its_until_date(write, audit, engine):  # type: ignore[no-untyped-def]
    # GDPR art. 21 (gdpr.objection reads the firm's internal list): acme's entry for canvassing until 1 May.
    entries = write("internal.csv", "phone,listed_at,source,principal,purpose,until\n"
                                    "+33142345678,2026-03-01,internal,acme,canvassing newspaper,2026-05-01\n"
                                    "+33142345679,2026-03-01,internal,,all,")
    log = write("log.csv", HEADER + "\n"
                "within,2026-04-01T11:00:00+02:00,+33142345678,,camp,canvassing,answered,30,a1,acme\n"
                "survey,2026-04-02T11:00:00+02:00,+33142345678,,poll,survey,answered,30,a1,acme\n"
                "beta,2026-04-03T11:00:00+02:00,+33142345678,,camp,canvassing,answered,30,a1,beta\n"
                "ended,2026-05-04T11:00:00+02:00,+33142345678,,camp,canvassing,answered,30,a1,acme\n"
                "unscoped,2026-05-04T11:05:00+02:00,+33142345679,,poll,survey,answered,30,a1,beta")
    run = audit(log, "gdpr", "--oppositions", str(entries), "--engine", engine)

    assert ["gdpr.objection"] == run.rules_of("within")
    assert [] == run.rules_of("survey")  # the entry bars canvassing and newspaper offers only
    assert [] == run.rules_of("beta")  # it is acme's
    assert [] == run.rules_of("ended")  # 1 May has passed
    assert ["gdpr.objection"] == run.rules_of("unscoped")  # no principal, every purpose, no end
    within = next(v for v in run.violations if v["call_id"] == "within")
    assert {"principal": "acme", "purposes": ["canvassing", "newspaper"], "until": "2026-05-01T00:00:00+00:00"} \
        .items() <= within["evidence"]["list_entry"].items()


def test_the_guard_reopens_a_number_at_its_entrys_until_date(write):  # type: ignore[no-untyped-def]
    from campaigns.guard.decide import Guard
    from campaigns.ingest.inputs import load_input
    from campaigns.model.facts import Facts
    from campaigns.rules.load import load_packs
    from campaigns.rules.select import RuleSet

    facts = Facts()
    load_input(facts, "oppositions", write("internal.csv", "phone,listed_at,source,principal,purpose,until\n"
                                                           "+33142345678,2026-03-01,internal,acme,canvassing,2026-05-01"))
    guard = Guard(RuleSet(load_packs(["gdpr"], {}), ["gdpr"], facts), facts)
    decision = guard.decide(guard.question("+33142345678", "camp", 1775034000.0, purpose="canvassing",
                                           principal="acme"))  # 2026-04-01 09:00 UTC
    assert (False, False, "2026-05-01T00:00:00Z") == (decision.allowed, decision.permanent_block,
                                                     decision.next_allowed_at)


@ENGINES
def test_the_suppression_export_read_back_keeps_each_entrys_scope(write, audit, tmp_path, engine):  # type: ignore[no-untyped-def]
    # A refusal (D223-9 al. 3: 60 full days) written to the suppression list with its purposes and end, then read
    # back as the next audit's internal list: a canvassing call before its end is flagged, a survey call or a
    # call after its end is not.
    first = write("log1.csv", HEADER + "\n"
                  "r,2026-03-02T11:00:00+01:00,+33142345678,,camp,canvassing,refused,30,a1,acme")
    export = tmp_path / "stop.csv"
    audit(first, "fr-2023", "--suppression", str(export), "--engine", engine)
    with export.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [("+33142345678", "acme", "canvassing newspaper", "2026-05-02")] == \
        [(r["phone"], r["principal"], r["purpose"], r["until"]) for r in rows]

    second = write("log2.csv", HEADER + "\n"
                   "early,2026-04-01T11:00:00+02:00,+33142345678,,camp,canvassing,answered,30,a1,acme\n"
                   "poll,2026-04-02T11:00:00+02:00,+33142345678,,poll,survey,answered,30,a1,acme\n"
                   "reopened,2026-05-04T11:00:00+02:00,+33142345678,,camp,canvassing,answered,30,a1,acme")
    run = audit(second, "gdpr", "--oppositions", str(export), "--engine", engine)
    assert ["gdpr.objection"] == run.rules_of("early")
    assert [] == run.rules_of("poll") == run.rules_of("reopened")
    assert "internal" == next(v for v in run.violations)["evidence"]["list_entry"]["source"]
