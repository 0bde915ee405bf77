"""`--lang fr` writes every finding message, reason, warning, heading and report string in French (issue 17 part 3);
only identifiers, citations, dates and the rule texts of the non-French packs stay as they are."""

from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup
from click.testing import CliRunner

from campaigns.cli import main

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal,dial_mode,ring_s"
ROWS = [
    # D223-9 hours, weekend, holiday (Easter Monday), frequency, refusal; the NPV caller ID rule; a regional day
    "late,2026-03-16T20:30:00+01:00,+33142345678,+33162000001,camp,canvassing,answered,30,a1,acme,predictive,",
    "sat,2026-03-14T15:00:00+01:00,+33142345679,+33162000001,camp,canvassing,answered,30,a1,acme,predictive,",
    "easter,2026-04-06T11:00:00+02:00,+33142345670,+33162000001,camp,canvassing,answered,30,a1,acme,predictive,",
    *(f"f{i},2026-03-{2 + i:02d}T11:00:00+01:00,+33155667788,+33162000001,camp,canvassing,no_answer,30,a1,acme,"
      "predictive," for i in range(5)),
    "refuse,2026-03-09T11:00:00+01:00,+33155667700,+33162000001,camp,canvassing,refused,30,a1,acme,predictive,",
    "after,2026-03-10T11:00:00+01:00,+33155667700,+33162000001,camp,canvassing,answered,30,a1,acme,predictive,",
    "optout,2026-03-09T11:30:00+01:00,+33155667701,+33162000001,poll,survey,opt_out,30,a1,acme,manual,",
    "objected,2026-05-20T11:30:00+02:00,+33155667701,+33162000001,camp,canvassing,answered,30,a1,acme,manual,",
    "mobilecli,2026-03-10T11:05:00+01:00,+33155667702,+33612345678,camp,canvassing,answered,30,a1,acme,predictive,",
    "nocli,2026-03-10T11:10:00+01:00,+33155667703,,camp,canvassing,answered,30,a1,acme,predictive,",
    "robot,2026-03-10T11:15:00+01:00,+33155667704,+33162000001,camp,canvassing,answered,30,a1,acme,prerecorded,",
    "listed,2026-03-10T11:20:00+01:00,+33155667705,+33162000001,camp,canvassing,answered,30,a1,acme,predictive,",
    "solar,2026-03-10T11:25:00+01:00,+33155667706,+33162000001,solar,canvassing,answered,30,a1,acme,predictive,",
    "optin,2026-08-12T11:00:00+02:00,+33155667707,+33162000001,camp,canvassing,answered,30,a1,acme,predictive,",
    # US: a state window (Utah), ring time, a DNC number
    "ut,2027-01-12T21:00:00-07:00,+18015550109,,camp,canvassing,answered,30,a1,acme,manual,",
    "ring,2027-01-12T11:00:00-05:00,+12125550101,,camp,canvassing,no_answer,5,a1,acme,manual,5",
    "dnc,2027-01-12T11:05:00-05:00,+12125550102,,camp,canvassing,answered,30,a1,acme,manual,",
]
ENGLISH = re.compile(r"\b(the|called|after|before|within|with|without|not|on a|is on|is closed|outside|attempt|"
                     r"presenting|given up|redial|abandoned|campaign|consent|scrub|list since)\b")


def _run(write, tmp_path, lang):  # type: ignore[no-untyped-def]
    log = write("log.csv", HEADER + "\n" + "\n".join(ROWS))
    lists = write("lists.csv", "phone,listed_at,source\n+33155667705,2025-01-01,bloctel\n+12125550102,2025-01-01,dnc")
    consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope")
    scrubs = write("scrubs.csv", "principal,source,scrubbed_at\nacme,bloctel,2026-01-01")
    registry = write("campaigns.csv", "campaign,principal,purpose,packs,sector\ncamp,acme,canvassing,,\n"
                                      "poll,acme,survey,,\nsolar,acme,canvassing,,energy_renovation")
    out, summary, page = tmp_path / f"v-{lang}.jsonl", tmp_path / f"s-{lang}.txt", tmp_path / f"r-{lang}.html"
    common = ["audit", "--no-store", "--log", str(log), "--rules", "fr-2023,fr-2026,caller-id,us-federal,us-states",
              "--oppositions", str(lists), "--campaigns", str(registry), "--consents", str(consents), "--scrubs",
              str(scrubs), "--lang", lang]
    result = CliRunner().invoke(main, [*common, "--format", "json", "--output", str(out), "--summary", str(summary)])
    assert result.exit_code in (1, 3), result.output
    CliRunner().invoke(main, [*common, "--format", "html", "--output", str(page)])
    findings = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return ([f for f in findings if f.get("record") != "coverage"], summary.read_text(encoding="utf-8"),
            page.read_text(encoding="utf-8"))


def test_every_finding_message_and_reasoning_line_is_french(write, tmp_path):  # type: ignore[no-untyped-def]
    english, _, _ = _run(write, tmp_path, "en")
    french, _, _ = _run(write, tmp_path, "fr")
    assert len(english) == len(french) >= 20
    kinds = {f["rule"] for f in french}
    assert {"fr-2023.hours", "fr-2023.weekend", "fr-2023.holiday", "fr-2023.frequency", "fr-2023.refusal",
            "fr-2023.opposition", "fr-2023.scrub", "fr-2023.caller_id", "fr-2023.automated_consent",
            "fr-2023.sector_ban", "fr-2026.consent", "gdpr.objection", "caller-id.fr", "us-states.hours",
            "us-federal.ring", "us-federal.dnc"} <= kinds
    untranslated = [(f["rule"], f["message"]) for f in french if ENGLISH.search(f["message"])]
    assert [] == untranslated
    by_key = {(f["call_id"], f["rule"]): f["message"] for f in english}
    assert all(by_key[(f["call_id"], f["rule"])] != f["message"] for f in french)
    lines = [(f["rule"], line) for f in french for line in f["reasoning"]
             if ENGLISH.search(re.sub(r"[\w.-]+\.(hours|weekend|holiday|frequency|refusal|opposition|scrub|caller_id|"
                                      r"automated_consent|sector_ban|consent|objection|fr|ring|dnc)\b", "", line))]
    # the rule sentence keeps the citation as written ("règle <id> : <texte> (<citation> ; certitude ...)"), and the
    # rule texts of the US packs stay English (documented); every other line is French
    assert all(f["reasoning"][0].startswith("règle ") and "; certitude " in f["reasoning"][0] for f in french)
    assert [] == [(rule, line) for rule, line in lines
                  if not line.startswith("règle ") and not rule.startswith(("us-", "caller-id.us"))]


def test_the_summary_and_the_report_are_french(write, tmp_path):  # type: ignore[no-untyped-def]
    _, summary, page = _run(write, tmp_path, "fr")
    for english in ("rows read", "attempts +", "not evaluated:", "out of scope:", "violation(s)", "evaluated attempts",
                    "field dial_mode", "absent (no", "purpose survey (rule covers", "callee country"):
        assert english not in summary, english
    assert "lignes lues" in summary and "hors champ : finalité" in summary
    soup = BeautifulSoup(page, "html.parser")
    assert "fr" == soup.html["lang"]
    text = soup.get_text(" ")
    for english in ("rows read", "not evaluated:", "out of scope:", "Findings per", "Violations", "reasoning",
                    "callee local time", "Warning"):
        assert english not in text, english
    assert "Manquements par règle" in text and "lignes lues" in text
