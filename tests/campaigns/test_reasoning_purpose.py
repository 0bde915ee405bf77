"""A frequency or cooling-off finding shows what it counted: each earlier attempt with its purpose, in the
evidence and in the reasoning (issue 17: "earlier attempts with their purpose"), on both engines."""

from __future__ import annotations

import pytest

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal"
ENGINES = pytest.mark.parametrize("engine", ["columnar", "row"])


@ENGINES
def test_a_frequency_finding_lists_the_canvassing_attempts_it_counted_with_their_purpose(write, audit, engine):  # type: ignore[no-untyped-def]
    # C. consom. D223-9 al. 3: 4 canvassing attempts per 30 days; the service calls before them are not counted,
    # and the finding says so by listing each counted attempt's purpose.
    rows = [f"s{i},2026-03-0{i + 2}T11:00:00+01:00,+33142345678,,after_sales,service,answered,30,a1,acme"
            for i in range(3)]
    rows += [f"c{i},2026-03-{9 + i:02d}T11:00:00+01:00,+33142345678,,camp,canvassing,no_answer,30,a1,acme"
             for i in range(5)]
    run = audit(write("log.csv", HEADER + "\n" + "\n".join(rows)), "fr-2023", "--engine", engine)

    found = next(v for v in run.violations if v["rule"] == "fr-2023.frequency")
    assert [("c0", "canvassing"), ("c1", "canvassing"), ("c2", "canvassing"), ("c3", "canvassing")] == \
        [(a["call_id"], a["purpose"]) for a in found["evidence"]["earlier_attempts"]]
    counted = next(s for s in found["reasoning"] if s.startswith("earlier attempts counted (4):"))
    assert 4 == counted.count("purpose canvassing")
    assert "service" not in counted


@ENGINES
def test_a_cooling_off_finding_shows_the_purpose_of_the_call_the_refusal_was_said_on(write, audit, engine):  # type: ignore[no-untyped-def]
    # D223-9 al. 3 (60 full days after a refusal): the refusal was said on a survey call; the finding says so.
    log = write("log.csv", HEADER + "\n"
                "poll,2026-03-02T11:00:00+01:00,+33142345678,,poll,survey,refused,30,a1,acme\n"
                "day10,2026-03-12T11:00:00+01:00,+33142345678,,camp,canvassing,answered,30,a1,acme")
    run = audit(log, "fr-2023", "--engine", engine)

    found = next(v for v in run.violations if v["rule"] == "fr-2023.refusal")
    assert ("poll", "survey") == (found["evidence"]["refusal"]["call_id"], found["evidence"]["refusal"]["purpose"])
    assert any(s.startswith("refusal: poll") and "purpose survey" in s for s in found["reasoning"])
