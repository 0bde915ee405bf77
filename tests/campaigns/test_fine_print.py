"""The law's fine print (issue 17 parts 1-2): each scope fix as a rule change, with the article it rests on,
checked on both engines (the row engine is the reference, the columnar engine must agree)."""

from __future__ import annotations

import pytest

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal"
ENGINES = pytest.mark.parametrize("engine", ["columnar", "row"])


def _log(write, rows):  # type: ignore[no-untyped-def]
    """rows: (call_id, start, phone, disposition[, {campaign, purpose, principal}])."""
    lines = []
    for row in rows:
        cid, start, phone, disposition = row[:4]
        extra = row[4] if len(row) > 4 else {}
        lines.append(f"{cid},{start},{phone},,{extra.get('campaign', 'camp')},{extra.get('purpose', 'canvassing')},"
                     f"{disposition},30,a1,{extra.get('principal', 'acme')}")
    return write("log.csv", HEADER + "\n" + "\n".join(lines))


@ENGINES
def test_housing_adaptation_is_banned_only_from_the_2025_law_that_added_it(write, audit, engine):  # type: ignore[no-untyped-def]
    # C. consom. L223-1 as widened by loi 2025-594 art. 13 (in force 2025-07-02): housing adaptation joins
    # energy renovation (loi 2020-901) in the sector ban; a call before that date breaks nothing.
    campaigns = write("campaigns.csv", "campaign,principal,purpose,packs,sector\n"
                                       "adapt,acme,canvassing,,housing_adaptation\nsolar,acme,canvassing,,energy_renovation")
    log = _log(write, [("adapt_before", "2025-06-30T11:00:00+02:00", "+33142345678", "answered", {"campaign": "adapt"}),
                       ("adapt_after", "2025-07-02T11:00:00+02:00", "+33142345679", "answered", {"campaign": "adapt"}),
                       ("solar_before", "2025-06-30T11:05:00+02:00", "+33142345670", "answered", {"campaign": "solar"})])
    run = audit(log, "fr-2023", "--campaigns", str(campaigns), "--engine", engine)

    assert [] == run.rules_of("adapt_before")
    assert ["fr-2023.sector_ban"] == run.rules_of("adapt_after")
    assert ["fr-2023.sector_ban"] == run.rules_of("solar_before")
    assert 2 == run.count("fr-2023.sector_ban")
    found = next(v for v in run.violations if v["call_id"] == "adapt_after")
    assert "2025-07-02" == found["evidence"]["sector_banned_since"]
    assert "also_breaches" not in found


@ENGINES
def test_a_consent_binds_only_the_professional_it_was_given_to(write, audit, engine):  # type: ignore[no-untyped-def]
    # C. consom. L223-1 (from 2026-08-11): the consumer consents to canvassing by one professional; beta's
    # call does not pass on acme's consent. A consent without a principal counts for all, and the summary says so.
    consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope,principal\n"
                                     "+33142345678,,2026-08-01,,canvassing,acme\n"
                                     "+33142345679,,2026-08-01,,canvassing,")
    log = _log(write, [("acme", "2026-08-12T11:00:00+02:00", "+33142345678", "answered"),
                       ("beta", "2026-08-12T11:05:00+02:00", "+33142345678", "answered", {"principal": "beta"}),
                       ("any_acme", "2026-08-12T11:10:00+02:00", "+33142345679", "answered"),
                       ("any_beta", "2026-08-12T11:15:00+02:00", "+33142345679", "answered", {"principal": "beta"})])
    run = audit(log, "fr-2026", "--consents", str(consents), "--engine", engine)

    assert (["fr-2026.consent"], 1) == (run.rules_of("beta"), run.count("fr-2026.consent"))
    assert [] == run.rules_of("acme") == run.rules_of("any_acme") == run.rules_of("any_beta")
    found = next(v for v in run.violations if v["call_id"] == "beta")
    assert "given to acme, not to beta" == found["evidence"]["consents_seen"][0]["not_applied_because"]
    assert "also_breaches" not in found
    assert any("1 consent(s) name no principal" in w for w in run.summary["warnings"])


@ENGINES
def test_a_refusal_or_opt_out_withdraws_consent(write, audit, engine):  # type: ignore[no-untyped-def]
    # C. consom. L223-1 (from 2026-08-11): consent may be withdrawn at any time; a person who consented and
    # then refused (or opted out) on acme's call is not called again on that consent two months later.
    consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope,principal\n"
                                     "+33142345678,,2026-08-01,,canvassing,acme\n"
                                     "+33142345679,,2026-08-01,,canvassing,acme\n"
                                     "+33142345670,,2026-08-01,,canvassing,acme\n"
                                     "+33142345670,,2026-09-01,,canvassing,acme")
    log = _log(write, [("refuse", "2026-08-12T11:00:00+02:00", "+33142345678", "refused"),
                       ("later", "2026-10-13T11:00:00+02:00", "+33142345678", "answered"),
                       ("optout", "2026-08-12T11:05:00+02:00", "+33142345679", "opt_out"),
                       ("after_optout", "2026-10-13T11:05:00+02:00", "+33142345679", "answered"),
                       ("refuse2", "2026-08-12T11:10:00+02:00", "+33142345670", "refused"),
                       ("reconsented", "2026-10-13T11:10:00+02:00", "+33142345670", "answered")])
    run = audit(log, "fr-2026", "--consents", str(consents), "--engine", engine)

    assert ["fr-2026.consent"] == run.rules_of("later")
    assert ["fr-2026.consent", "gdpr.objection"] == run.rules_of("after_optout")
    assert [] == run.rules_of("reconsented")  # a new consent given after the refusal
    assert 2 == run.count("fr-2026.consent")
    later = next(v for v in run.violations if v["call_id"] == "later")
    assert "withdrawn by the callee's refused on call refuse" == \
        later["evidence"]["consents_seen"][0]["not_applied_because"]


@ENGINES
def test_only_canvassing_attempts_count_toward_four_in_thirty_days(write, audit, engine):  # type: ignore[no-untyped-def]
    # C. consom. D223-9 al. 3 limits canvassing attempts to 4 per 30 days: three service calls (delivery,
    # after-sales) before four canvassing calls leave the fourth canvassing call within the cap; a fifth
    # canvassing call breaks it, and its evidence lists the four canvassing attempts only.
    service = {"purpose": "service", "campaign": "after_sales"}
    rows = [(f"s{i}", f"2026-03-0{i + 2}T11:00:00+01:00", "+33142345678", "answered", service) for i in range(3)]
    rows += [(f"c{i}", f"2026-03-{9 + i:02d}T11:00:00+01:00", "+33142345678", "no_answer") for i in range(5)]
    run = audit(_log(write, rows), "fr-2023", "--engine", engine)

    assert [] == run.rules_of("c3")
    assert (["fr-2023.frequency"], 1) == (run.rules_of("c4"), run.count("fr-2023.frequency"))
    found = next(v for v in run.violations if v["call_id"] == "c4")
    assert ["c0", "c1", "c2", "c3"] == [p["call_id"] for p in found["evidence"]["earlier_attempts"]]
    assert "also_breaches" not in found


@ENGINES
def test_nine_pm_sharp_is_not_after_nine_pm(write, audit, engine):  # type: ignore[no-untyped-def]
    # 47 CFR 64.1200(c)(1): no solicitation "before the hour of 8 a.m. or after 9 p.m." local time: a call
    # starting at 21:00:00 is within the hours, one at 21:00:01 is not (both in the same minute).
    log = _log(write, [("sharp", "2027-01-12T21:00:00-05:00", "+12125551234", "answered"),
                       ("late", "2027-01-12T21:00:01-05:00", "+12125551235", "answered"),
                       ("eight", "2027-01-13T08:00:00-05:00", "+12125551236", "answered"),
                       ("early", "2027-01-13T07:59:59-05:00", "+12125551237", "answered")])
    run = audit(log, "us-federal", "--engine", engine)

    assert [] == run.rules_of("sharp") == run.rules_of("eight")
    assert ["us-federal.hours"] == run.rules_of("late") == run.rules_of("early")
    assert 2 == run.count("us-federal.hours")
    assert "also_breaches" not in run.violations[0]


@ENGINES
def test_mi_careme_is_a_regional_day_of_the_policy_pack_not_of_d223_9(write, audit, engine):  # type: ignore[no-untyped-def]
    # C. consom. D223-9 al. 1 bars the public holidays of C. trav. L3133-1 only; Mi-Carême (Guadeloupe,
    # 2026-03-12) is a local day: policy.regional_holidays (no fine), never fr-2023.holiday.
    log = _log(write, [("mi_careme", "2026-03-12T11:00:00-04:00", "+590590123456", "answered")])
    run = audit(log, "fr-2023,policy", "--engine", engine)

    assert (["policy.regional_holidays"], 1) == (run.rules_of("mi_careme"), run.count("policy.regional_holidays"))
    assert "Mi-Careme" == run.violations[0]["evidence"]["holiday"]
    assert 0 == run.count("fr-2023.holiday")
    assert next(r for r in run.summary["rules"] if r["rule"] == "policy.regional_holidays")["fine"] is None


def test_fine_exposure_is_one_maximum_per_breach_type_with_gdprs_cap(write, audit):  # type: ignore[no-untyped-def]
    # GDPR art. 83(5) sets EUR 20 M per infringement and art. 83(3) caps several at the gravest one's amount:
    # four calls after one objection are one infringement (EUR 20 M), not EUR 80 M. C. consom. L242-16 fines
    # a breach (EUR 375,000 per breach type, the types adding up); TCPA damages stay per call.
    rows = [("opt", "2026-03-02T11:00:00+01:00", "+33142345678", "opt_out")]
    rows += [(f"after{i}", f"2026-03-0{3 + i}T11:00:00+01:00", "+33142345678", "answered") for i in range(4)]
    run = audit(_log(write, rows), "fr-2023")

    # the four calls break D223-9's refusal bar and GDPR art. 21 at once: one finding each (same_act.py)
    assert (0, 4) == (run.count("gdpr.objection"), run.count("fr-2023.refusal"))
    refusal = next(r for r in run.summary["rules"] if r["rule"] == "fr-2023.refusal")
    assert (0, 375_000) == (refusal["fine"]["exposure_low"], refusal["fine"]["exposure_high"])
    by_pack = {e["pack"]: e for e in run.summary["fine_exposure"]}
    assert ["fr-2023.frequency", "fr-2023.refusal"] == by_pack["fr-2023"]["breach_types"]
    assert 2 * 375_000 == by_pack["fr-2023"]["high"]
    # beyond D223-9's 60 days the objection alone remains: GDPR's EUR 20 M once, capped (art. 83(3))
    late = [(f"late{i}", f"2026-0{5 + i}-0{4 + i}T11:00:00+02:00", "+33142345678", "answered") for i in range(4)]
    run = audit(_log(write, rows[:1] + late), "fr-2023")
    objection = next(r for r in run.summary["rules"] if r["rule"] == "gdpr.objection")
    assert (4, 0, 20_000_000) == (run.count("gdpr.objection"), run.count("fr-2023.refusal"),
                                  objection["fine"]["exposure_high"])
    gdpr = next(e for e in run.summary["fine_exposure"] if e["pack"] == "gdpr")
    assert (20_000_000, 4) == (gdpr["high"], gdpr["calls"])
    assert gdpr["cap"].startswith("gravest")

    us = audit(_log(write, [("late1", "2027-01-12T21:30:00-05:00", "+12125551234", "answered"),
                            ("late2", "2027-01-12T21:40:00-05:00", "+12125551235", "answered")]), "us-federal")
    assert {"pack": "us-federal", "low": 2 * 500, "high": 2 * 1500, "basis": "call"}.items() <= \
        us.summary["fine_exposure"][0].items()


@ENGINES
def test_a_mayotte_only_range_is_judged_in_mayottes_zone_only(write, audit, engine):  # type: ignore[no-untyped-def]
    # C. consom. D223-9 al. 1 (10:00-13:00, 14:00-20:00 callee local time): +262 639 is a Mayotte mobile range
    # (UTC+3) that phonenumbers also places in Réunion (UTC+4). 19:30 in Mayotte (20:30 in Réunion) is no
    # breach; 09:30 in Mayotte is one, judged in Mayotte only. A Réunion/Mayotte +262 692 mobile is still
    # judged in both zones.
    log = _log(write, [("early", "2026-03-10T09:30:00+03:00", "+262639012345", "answered"),
                       ("fine", "2026-03-11T19:30:00+03:00", "+262639012346", "answered"),
                       ("shared", "2026-03-10T09:30:00+03:00", "+262692123456", "answered")])
    run = audit(log, "fr-2023", "--engine", engine)

    assert ([], 2) == (run.rules_of("fine"), run.count("fr-2023.hours"))
    early = next(v for v in run.violations if v["call_id"] == "early")
    assert (["Indian/Mayotte"], "fr-2023.hours") == (early["zones"], early["rule"])
    assert "also_breaches" not in early
    shared = next(v for v in run.violations if v["call_id"] == "shared")
    assert ["Indian/Mayotte", "Indian/Reunion"] == shared["zones"]


@ENGINES
def test_an_opt_out_during_a_survey_is_one_finding_under_d223_9_also_breaching_gdpr(write, audit, engine):  # type: ignore[no-untyped-def]
    # An opt-out said on a survey call, then canvassing calls 10 and 70 days later: within D223-9 al. 3's 60
    # days one finding, fr-2023.refusal, with also_breaches [gdpr.objection] (the same act); after them
    # gdpr.objection (GDPR art. 21) alone. Counts follow the findings.
    survey = {"purpose": "survey", "campaign": "poll"}
    log = _log(write, [("poll", "2026-03-02T11:00:00+01:00", "+33142345678", "opt_out", survey),
                       ("day10", "2026-03-12T11:00:00+01:00", "+33142345678", "answered"),
                       ("day70", "2026-05-11T11:00:00+02:00", "+33142345678", "answered")])
    run = audit(log, "fr-2023", "--engine", engine)

    assert ["fr-2023.refusal"] == run.rules_of("day10")
    day10 = next(v for v in run.violations if v["call_id"] == "day10")
    assert ["gdpr.objection"] == day10["also_breaches"]
    assert ["gdpr.objection"] == run.rules_of("day70")
    assert "also_breaches" not in next(v for v in run.violations if v["call_id"] == "day70")
    counts = {r["rule"]: r["violations"] for r in run.summary["rules"]}
    assert (1, 1) == (counts["fr-2023.refusal"], counts["gdpr.objection"])
    assert {"fr-2023.refusal": 1, "gdpr.objection": 1} == run.summary["campaigns"]["camp"]


@ENGINES
@pytest.mark.parametrize(("pack", "rule", "phone", "start"), [
    ("fr-2023", "fr-2023.automated_consent", "+33142345678", "2026-03-10T11:00:00+01:00"),  # CPCE L34-5
    ("us-federal", "us-federal.prerecorded_consent", "+12125551234", "2027-01-12T11:00:00-05:00"),  # TCPA 227(b)
    ("uk", "uk.recorded_consent", "+442079460000", "2026-03-10T11:00:00+00:00"),  # PECR reg. 19
    ("ca", "ca.adad_consent", "+14165550123", "2026-03-10T11:00:00-04:00"),  # CRTC UTR Part IV
])
def test_a_prerecorded_call_needs_prior_consent(write, audit, engine, pack, rule, phone, start):  # type: ignore[no-untyped-def]
    # Automated calling systems / prerecorded voice need the callee's prior consent (scope `automated` or
    # `all`); a live agent's call in the same log does not; a consent of the canvassing scope is not one.
    header = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal,dial_mode"
    other = phone[:-1] + ("1" if phone[-1] != "1" else "2")
    log = write("log.csv", "\n".join([header, f"robot,{start},{phone},,camp,canvassing,answered,30,a1,acme,prerecorded",
                                      f"agent,{start},{other},,camp,canvassing,answered,30,a1,acme,manual"]))
    consents = write("consents.csv", f"phone,person_id,given_at,withdrawn_at,scope\n{phone},,2025-01-01,,canvassing")
    run = audit(log, pack, "--consents", str(consents), "--engine", engine)

    assert ([rule], []) == ([r for r in run.rules_of("robot") if r == rule], run.rules_of("agent"))
    assert 1 == run.count(rule)
    found = next(v for v in run.violations if v["rule"] == rule)
    assert "prerecorded call without prior consent" in found["message"]
    assert "also_breaches" not in found
    consented = write("consents.csv", f"phone,person_id,given_at,withdrawn_at,scope\n{phone},,2025-01-01,,automated")
    assert 0 == audit(log, pack, "--consents", str(consented), "--engine", engine).count(rule)
    without = audit(log, pack, "--engine", engine)
    stats = next(r for r in without.summary["rules"] if r["rule"] == rule)
    assert (0, {"field consents absent (no --consents file)": 1}) == (stats["violations"], stats["not_evaluated"])


@ENGINES
def test_a_dncl_copy_older_than_31_days(write, audit, engine):  # type: ignore[no-untyped-def]
    # CRTC UTR Part II: telemarketers use a version of the National DNCL no older than 31 days.
    scrubs = write("scrubs.csv", "principal,source,scrubbed_at\nacme,dncl,2026-02-01\nacme,dncl,2026-03-10")
    log = _log(write, [("stale", "2026-03-05T11:00:00-05:00", "+14165550123", "answered"),
                       ("fresh", "2026-03-12T11:00:00-04:00", "+14165550124", "answered")])
    run = audit(log, "ca", "--scrubs", str(scrubs), "--engine", engine)

    assert (["ca.dncl_copy"], [], 1) == (run.rules_of("stale"), run.rules_of("fresh"), run.count("ca.dncl_copy"))
    assert "acme's last dncl scrub was 33 days before the call (2026-02-01)" in run.violations[0]["message"]


@ENGINES
def test_decree_2026_662_consent_lifetime_is_modelled_unverified(write, audit, engine):  # type: ignore[no-untyped-def]
    # Décret 2026-662 (secondary source, [U]): consent valid at most a year. A call on a 13-month-old consent
    # is fr-2026.consent_lifetime (not fr-2026.consent, which the consent still satisfies); a call with no
    # consent is fr-2026.consent only; a fresh consent passes both.
    consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope,principal\n"
                                     "+33142345678,,2025-08-01,,canvassing,acme\n"
                                     "+33142345679,,2026-08-01,,canvassing,acme")
    log = _log(write, [("old", "2026-09-01T11:00:00+02:00", "+33142345678", "answered"),
                       ("fresh", "2026-09-01T11:05:00+02:00", "+33142345679", "answered"),
                       ("none", "2026-09-01T11:10:00+02:00", "+33142345670", "answered")])
    run = audit(log, "fr-2026", "--consents", str(consents), "--engine", engine)

    assert ["fr-2026.consent_lifetime"] == run.rules_of("old")
    assert [] == run.rules_of("fresh")
    assert ["fr-2026.consent"] == run.rules_of("none")
    assert (1, 1) == (run.count("fr-2026.consent_lifetime"), run.count("fr-2026.consent"))
    old = next(v for v in run.violations if v["call_id"] == "old")
    assert "canvassing call on a consent older than 365 days" == old["message"]
    assert "also_breaches" not in old
    rule = next(r for r in run.summary["rules"] if r["rule"] == "fr-2026.consent_lifetime")
    assert ("U", 3, 5) == (rule["certainty"], rule["params"]["proof_retention_years"],
                           rule["params"]["callback_within_working_days"])


@ENGINES
@pytest.mark.parametrize(("pack", "rule", "source", "phone", "ebr"), [
    ("us-federal", "us-federal.dnc", "dnc", "+1212555123", True),  # 64.1200(c)(2)(ii), (f)(5)
    ("uk", "uk.tps", "tps", "+44207946000", False),  # PECR reg. 21(4): consent only
    ("ca", "ca.dncl", "dncl", "+1416555012", True),  # CRTC UTR Part II: consent, 18-month relationship
])
def test_consent_and_business_relationship_exemptions_from_do_not_call_lists(write, audit, engine, pack, rule,  # type: ignore[no-untyped-def]
                                                                            source, phone, ebr):
    # Five listed numbers called on 2027-03-10: one consented to acme, one consented to beta only, one with a
    # contract with acme ended 12 months before, one ended 20 months before, one with nothing.
    numbers = {name: f"{phone}{i}" for i, name in enumerate(["consent", "beta_consent", "ebr12", "ebr20", "none"])}
    opp = write("opp.csv", "phone,listed_at,source\n" + "\n".join(f"{n},2020-01-01,{source}" for n in numbers.values()))
    consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope,principal\n"
                                     f"{numbers['consent']},,2026-01-01,,canvassing,acme\n"
                                     f"{numbers['beta_consent']},,2026-01-01,,canvassing,beta")
    contracts = write("contracts.csv", "principal,started_at,subject,phone,person_id,ended_at\n"
                                       f"acme,2020-01-01,gas,{numbers['ebr12']},,2026-03-10\n"
                                       f"acme,2020-01-01,gas,{numbers['ebr20']},,2025-07-10")
    start = "2027-03-10T12:00:00-05:00" if pack != "uk" else "2027-03-10T12:00:00+00:00"
    log = _log(write, [(name, start, number, "answered") for name, number in numbers.items()])
    run = audit(log, pack, "--oppositions", str(opp), "--consents", str(consents), "--contracts", str(contracts),
                "--engine", engine)

    flagged = sorted(name for name in numbers if rule in run.rules_of(name))
    assert (["beta_consent", "ebr20", "none"] if ebr else ["beta_consent", "ebr12", "ebr20", "none"]) == flagged
    assert len(flagged) == run.count(rule)
    assert all("also_breaches" not in v for v in run.violations)


@ENGINES
def test_caller_id_rules_flag_masked_and_invalid_numbers_on_every_call(write, audit, engine):  # type: ignore[no-untyped-def]
    # C. consom. L221-17 (caller-id.fr), 47 CFR 64.1601(e) / TSR 310.4(a)(8) (caller-id.us): every telemarketing
    # call, live or automated, presents a valid number the callee can call back; an empty caller ID is masked.
    header = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal,dial_mode"
    log = write("log.csv", "\n".join([
        header,
        "masked,2026-03-10T11:00:00+01:00,+33142345678,,camp,canvassing,answered,30,a1,acme,manual",
        "junk,2026-03-10T11:05:00+01:00,+33142345679,anonymous,camp,canvassing,answered,30,a1,acme,manual",
        "shown,2026-03-10T11:10:00+01:00,+33142345670,+33162000000,camp,canvassing,answered,30,a1,acme,manual",
        "us_masked,2027-01-12T11:00:00-05:00,+12125551234,,camp,canvassing,answered,30,a1,acme,predictive",
        "us_shown,2027-01-12T11:05:00-05:00,+12125551235,+12125550100,camp,canvassing,answered,30,a1,acme,manual"]))
    run = audit(log, "fr-2023,us-federal,caller-id", "--engine", engine)

    assert (["caller-id.fr"], ["caller-id.fr"], []) == tuple(
        [r for r in run.rules_of(c) if r.startswith("caller-id")] for c in ("masked", "junk", "shown"))
    assert ["caller-id.us"] == [r for r in run.rules_of("us_masked") if r.startswith("caller-id")]
    assert [] == [r for r in run.rules_of("us_shown") if r.startswith("caller-id")]
    assert (2, 1) == (run.count("caller-id.fr"), run.count("caller-id.us"))
    masked = next(v for v in run.violations if v["call_id"] == "masked" and v["rule"] == "caller-id.fr")
    assert "call with no caller ID presented" == masked["message"]
    assert "also_breaches" not in masked


@ENGINES
def test_an_internal_do_not_call_list_binds_its_own_principal(write, audit, engine):  # type: ignore[no-untyped-def]
    # 47 CFR 64.1200(d) (us-federal.internal_dnc) and GDPR art. 21 (gdpr.objection): a company's internal
    # list binds that company; acme's entry does not stop beta's call. An entry without a principal binds all.
    opp = write("opp.csv", "phone,listed_at,source,principal\n"
                           "+12125551234,2026-01-01,internal,acme\n+12125551235,2026-01-01,internal,")
    log = _log(write, [("acme", "2027-01-12T11:00:00-05:00", "+12125551234", "answered"),
                       ("beta", "2027-01-12T11:05:00-05:00", "+12125551234", "answered", {"principal": "beta"}),
                       ("any_beta", "2027-01-12T11:10:00-05:00", "+12125551235", "answered", {"principal": "beta"})])
    run = audit(log, "us-federal", "--oppositions", str(opp), "--engine", engine)

    assert ["us-federal.internal_dnc"] == run.rules_of("acme") == run.rules_of("any_beta")
    assert [] == run.rules_of("beta")
    assert 2 == run.count("us-federal.internal_dnc")
    assert all("also_breaches" not in v for v in run.violations)


@ENGINES
def test_newspaper_offers_skip_bloctel_but_keep_d223_9_and_b2b_calls_are_outside_the_consumer_rules(  # type: ignore[no-untyped-def]
        write, audit, engine):
    # C. consom. L223-5: the Bloctel ban does not apply to newspaper, periodical or magazine offers; D223-9's
    # hours still do (it governs telephone canvassing). A b2b call is outside D223-9 and Bloctel (consumers).
    opp = write("opp.csv", "phone,listed_at,source\n+33142345678,2025-01-01,bloctel\n+33142345679,2025-01-01,bloctel")
    news, b2b = {"purpose": "newspaper", "campaign": "press"}, {"purpose": "b2b", "campaign": "firms"}
    log = _log(write, [("press_ok", "2026-03-10T11:00:00+01:00", "+33142345678", "answered", news),
                       ("press_late", "2026-03-10T20:30:00+01:00", "+33142345678", "answered", news),
                       ("firm_late", "2026-03-10T20:30:00+01:00", "+33142345679", "answered", b2b),
                       ("canvass", "2026-03-11T11:00:00+01:00", "+33142345679", "answered")])
    run = audit(log, "fr-2023", "--oppositions", str(opp), "--engine", engine)

    assert ([], ["fr-2023.hours"], []) == (run.rules_of("press_ok"), run.rules_of("press_late"),
                                           run.rules_of("firm_late"))
    assert ["fr-2023.opposition"] == run.rules_of("canvass")
    assert (1, 1) == (run.count("fr-2023.opposition"), run.count("fr-2023.hours"))
    opposition = next(r for r in run.summary["rules"] if r["rule"] == "fr-2023.opposition")
    assert {"purpose newspaper (rule covers canvassing)": 2, "purpose b2b (rule covers canvassing)": 1} == \
        opposition["out_of_scope"]
    assert "also_breaches" not in run.violations[0]


@ENGINES
def test_newspaper_offers_are_telemarketing_in_the_us_and_exempt_only_from_canadas_dncl(write, audit, engine):  # type: ignore[no-untyped-def]
    # TSR / 47 CFR 64.1200(c)(1): a subscription offer is a telephone solicitation (hours apply); Canada:
    # newspapers of general circulation are exempt from the DNCL (Telecommunications Act s. 41.7), not from hours.
    opp = write("opp.csv", "phone,listed_at,source\n+14165550123,2020-01-01,dncl")
    news = {"purpose": "newspaper", "campaign": "press"}
    log = _log(write, [("us_late", "2027-01-12T21:30:00-05:00", "+12125551234", "answered", news),
                       ("ca_listed", "2027-01-12T11:00:00-05:00", "+14165550123", "answered", news),
                       ("ca_late", "2027-01-12T22:00:00-05:00", "+14165550124", "answered", news)])
    run = audit(log, "us-federal,ca", "--oppositions", str(opp), "--engine", engine)

    assert (["us-federal.hours"], [], ["ca.hours"]) == (run.rules_of("us_late"), run.rules_of("ca_listed"),
                                                       run.rules_of("ca_late"))
    assert (0, 1, 1) == (run.count("ca.dncl"), run.count("ca.hours"), run.count("us-federal.hours"))
