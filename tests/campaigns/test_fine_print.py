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
