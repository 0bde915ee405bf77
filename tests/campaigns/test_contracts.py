"""The ongoing-contract exception (L223-1): a call about the subject of a contract the person holds with
the principal is exempt from Bloctel (until 2026-08-10), prior consent (from 2026-08-11) and the sector
ban, while D223-9's hours still apply; anything short of that is flagged with the contracts it saw."""

from __future__ import annotations

import pytest

P1_MOBILE, P1_LANDLINE, P2, P3 = "+33612345678", "+33142345678", "+33687654321", "+33698765432"
HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal"


@pytest.fixture
def inputs(write):  # type: ignore[no-untyped-def]
    persons = write("persons.csv", f"person_id,phone\nP1,{P1_MOBILE}\nP1,{P1_LANDLINE}\nP2,{P2}\nP3,{P3}")
    oppositions = write("oppositions.csv", "phone,listed_at,source\n" + "\n".join(
        f"{phone},2025-01-10,bloctel" for phone in (P1_MOBILE, P1_LANDLINE, P2, P3)))
    consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope")
    contracts = write("contracts.csv", "person_id,phone,principal,started_at,ended_at,subject\n"
                                       "P1,,acme,2025-06-01,,Energy\n"  # ongoing: the exception applies
                                       f",{P2},acme,2025-06-01,2026-02-01,energy\n"  # ended before the calls
                                       "P3,,beta,2025-06-01,,energy\n"  # held with another principal
                                       ",,acme,2025-06-01,,energy\n"  # rejected: no phone, no person
                                       "P2,,acme,2026-06-01,2026-05-01,energy\n")  # rejected: ends before it starts
    campaigns = write("campaigns.csv", "campaign,principal,purpose,sector,subjects\n"
                                       "upsell,acme,canvassing,,energy;insurance\n"
                                       "cold,acme,canvassing,,\n"
                                       "solar,acme,canvassing,energy_renovation,energy\n")
    return ["--persons", str(persons), "--oppositions", str(oppositions), "--consents", str(consents),
            "--contracts", str(contracts), "--campaigns", str(campaigns)]


def _log(write, day: str, offset: str):  # type: ignore[no-untyped-def]
    rows = [("up1", P1_LANDLINE, "upsell", "11:00"), ("up2", P2, "upsell", "11:05"), ("up3", P3, "upsell", "11:10"),
            ("cold1", P1_MOBILE, "cold", "14:30"), ("solar1", P1_MOBILE, "solar", "15:00"),
            ("solar2", P2, "solar", "15:05"), ("late1", P1_LANDLINE, "upsell", "20:30")]
    return write("log.csv", HEADER + "\n" + "\n".join(
        f"{cid},{day}T{hour}:00{offset},{phone},+33162000001,{campaign},canvassing,no_answer,20,ag,acme"
        for cid, phone, campaign, hour in rows))


@pytest.mark.parametrize("engine", ["columnar", "row"])
def test_bloctel_and_the_sector_ban_spare_calls_about_an_ongoing_contract(write, audit, inputs, engine):  # type: ignore[no-untyped-def]
    run = audit(_log(write, "2026-03-03", "+01:00"), "fr-2023", *inputs, "--engine", engine)

    assert [] == run.rules_of("up1")
    assert ["fr-2023.opposition"] == run.rules_of("up2")
    assert ["fr-2023.opposition"] == run.rules_of("up3")
    assert ["fr-2023.opposition"] == run.rules_of("cold1")
    assert [] == run.rules_of("solar1")
    assert ["fr-2023.opposition", "fr-2023.sector_ban"] == run.rules_of("solar2")
    assert ["fr-2023.hours"] == run.rules_of("late1")  # D223-9 still binds calls under a contract
    why = {v["call_id"]: [c["not_applied_because"] for c in v["evidence"].get("contracts_seen", [])]
           for v in run.violations if v["rule"] == "fr-2023.opposition"}
    assert ["ended before the call"] == why["up2"]
    assert ["held with beta, not with acme"] == why["up3"]
    assert ["campaign 'cold' declares no contract subjects in the campaigns registry"] == why["cold1"]
    rejected = [line for line in run.stderr.splitlines() if "contracts.csv" in line]
    assert 2 == len(rejected)
    assert "contracts.csv:5: phone: give a phone or a person_id" in rejected[0]
    assert "contracts.csv:6: ended_at: before started_at (2026-06-01)" in rejected[1]
    assert any("contracts.csv: 5 rows read = 3 contracts + 2 rejected" in line for line in run.summary["reconciliation"])


@pytest.mark.parametrize("engine", ["columnar", "row"])
def test_prior_consent_is_not_needed_for_a_call_about_an_ongoing_contract(write, audit, inputs, engine):  # type: ignore[no-untyped-def]
    run = audit(_log(write, "2026-09-08", "+02:00"), "fr-2026", *inputs, "--engine", engine)

    assert [] == run.rules_of("up1")
    for call in ("up2", "up3", "cold1"):
        assert ["fr-2026.consent"] == run.rules_of(call)
    assert ["fr-2023.sector_ban", "fr-2026.consent"] == run.rules_of("solar2")
    consent = next(v for v in run.violations if v["call_id"] == "up2" and v["rule"] == "fr-2026.consent")
    assert "energy" == consent["evidence"]["contracts_seen"][0]["subject"]
