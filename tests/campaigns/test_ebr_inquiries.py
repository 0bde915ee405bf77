"""The inquiry part of the existing-business-relationship exemption from the do-not-call lists (issue 17), on both
engines: a `kind: inquiry` row of the contracts file exempts a listed number for 3 months in the US and 6 months
in Canada; it is never an ongoing contract (L223-1's exception needs a contract)."""

from __future__ import annotations

import pytest

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal"
ENGINES = pytest.mark.parametrize("engine", ["columnar", "row"])


@ENGINES
def test_an_inquiry_exempts_a_us_dnc_number_for_three_months(write, audit, engine):  # type: ignore[no-untyped-def]
    # 47 CFR 64.1200(f)(5) / 16 CFR 310.2(o): an established business relationship includes the consumer's
    # "inquiry or application regarding a product or service offered by the seller within the three months
    # immediately preceding the date of a telemarketing call".
    dnc = write("dnc.csv", "phone,listed_at,source\n+12125550101,2025-01-01,dnc\n+12125550102,2025-01-01,dnc")
    contracts = write("contracts.csv", "phone,principal,started_at,subject,kind\n"
                                       "+12125550101,acme,2026-01-10,solar,inquiry\n"
                                       "+12125550102,other,2026-01-10,solar,inquiry")
    log = write("log.csv", HEADER + "\n"
                "in3,2026-04-09T11:00:00-04:00,+12125550101,,camp,canvassing,answered,30,a1,acme\n"
                "after3,2026-04-11T11:00:00-04:00,+12125550101,,camp,canvassing,answered,30,a1,acme\n"
                "elsewhere,2026-02-10T11:00:00-05:00,+12125550102,,camp,canvassing,answered,30,a1,acme")
    run = audit(log, "us-federal", "--oppositions", str(dnc), "--contracts", str(contracts), "--engine", engine)

    assert [] == run.rules_of("in3")  # 10 Jan + 3 months = 10 Apr: 9 Apr is within
    assert ["us-federal.dnc"] == run.rules_of("after3")
    assert ["us-federal.dnc"] == run.rules_of("elsewhere")  # the inquiry was made to another seller
    assert 3 == next(r for r in run.summary["rules"] if r["rule"] == "us-federal.dnc")["params"]["inquiry_months"]


@ENGINES
def test_an_inquiry_exempts_a_dncl_number_for_six_months_in_canada(write, audit, engine):  # type: ignore[no-untyped-def]
    # Telecommunications Act s. 41.7 / CRTC UTR Part II (DNCL exemptions): an existing business relationship
    # includes an inquiry or application within the six months immediately before the telecommunication.
    dncl = write("dncl.csv", "phone,listed_at,source\n+14165550101,2025-01-01,dncl")
    contracts = write("contracts.csv", "phone,principal,started_at,subject,kind\n"
                                       "+14165550101,acme,2026-01-10,solar,inquiry")
    log = write("log.csv", HEADER + "\n"
                "in6,2026-07-09T11:00:00-04:00,+14165550101,,camp,canvassing,answered,30,a1,acme\n"
                "after6,2026-07-11T11:00:00-04:00,+14165550101,,camp,canvassing,answered,30,a1,acme")
    run = audit(log, "ca", "--oppositions", str(dncl), "--contracts", str(contracts), "--engine", engine)

    assert [] == run.rules_of("in6")
    assert ["ca.dncl"] == run.rules_of("after6")


@ENGINES
def test_an_inquiry_is_not_an_ongoing_contract_for_bloctel(write, audit, engine):  # type: ignore[no-untyped-def]
    # C. consom. L223-1 (until 2026-08-10): only an ongoing contract about the call's subject lets a Bloctel-listed
    # number be canvassed; a consumer's inquiry is not one.
    bloctel = write("bloctel.csv", "phone,listed_at,source\n+33142345678,2025-01-01,bloctel")
    contracts = write("contracts.csv", "phone,principal,started_at,subject,kind\n"
                                       "+33142345678,acme,2026-03-01,solar,inquiry")
    campaigns = write("campaigns.csv", "campaign,principal,purpose,packs,sector,subjects\n"
                                       "camp,acme,canvassing,,,solar")
    log = write("log.csv", HEADER + "\n"
                "c1,2026-03-10T11:00:00+01:00,+33142345678,,camp,canvassing,answered,30,a1,acme")
    run = audit(log, "fr-2023", "--oppositions", str(bloctel), "--contracts", str(contracts), "--campaigns",
                str(campaigns), "--engine", engine)

    assert "fr-2023.opposition" in run.rules_of("c1")
    found = next(v for v in run.violations if v["rule"] == "fr-2023.opposition")
    assert ["an inquiry, not a contract"] == [c["not_applied_because"] for c in found["evidence"]["contracts_seen"]]


def test_a_contract_kind_other_than_contract_or_inquiry_is_rejected(write, audit):  # type: ignore[no-untyped-def]
    contracts = write("contracts.csv", "phone,principal,started_at,subject,kind\n+12125550101,acme,2026-01-10,x,lead")
    log = write("log.csv", HEADER + "\nc1,2026-04-09T11:00:00-04:00,+12125550101,,camp,canvassing,answered,30,a1,acme")
    run = audit(log, "us-federal", "--contracts", str(contracts))
    assert any("contracts.csv:2: kind: expected one of contract, inquiry, got 'lead'" in line
               for line in run.stderr.splitlines())
