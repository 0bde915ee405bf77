"""After the person said no: the cooling-off bar after a refusal, and objections that never expire."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from campaigns.checks.base import Check, Outcome
from campaigns.checks.lists import entry_json
from campaigns.model.call import Call
from campaigns.model.facts import Facts
from campaigns.model.history import Past, PersonHistory
from campaigns.model.localtime import day_to_date, local_iso, utc_iso, wall_to_utc
from campaigns.model.records import Finding


@dataclass(frozen=True, slots=True)
class CoolingParams:
    dispositions: frozenset[str]
    days: int
    from_next_day: bool


def prepare_cooling(params: Mapping[str, Any]) -> CoolingParams:
    start = str(params.get("start", "next_local_day"))
    if start not in {"next_local_day", "timestamp"}:
        raise ValueError(f"start: expected next_local_day or timestamp, got {start!r}")
    return CoolingParams(frozenset(params.get("dispositions", ["refused", "opt_out"])), int(params["days"]),
                         start == "next_local_day")


def eval_cooling_off(call: Call, rule: Any, p: CoolingParams, history: PersonHistory | None,
                     facts: Facts) -> Outcome:
    refusal = history.refusal if history else None
    ts = call.attempt.ts
    if refusal is None or refusal.ts >= ts or refusal.disposition not in p.dispositions:
        return None
    if p.from_next_day:
        zone = call.locals[0].zone if call.locals else "UTC"
        end = wall_to_utc(zone, refusal.day + p.days + 1, 0)
    else:
        end = refusal.ts + p.days * 86400
    if ts >= end:
        return None
    return Finding(rule.id, cooling_off_message((ts - refusal.ts) / 86400, cooling_off_terms(refusal, p)),
                   cooling_off_evidence(refusal.as_json(), utc_iso(end), call.person_key, call.person_basis), end)


# Messages and evidence of both checks: written here once, called by the checks and by the columnar
# engine's array verdicts (campaigns/engines/columnar/verdicts.py), which say each refusal's terms once.


def cooling_off_terms(refusal: Past, p: CoolingParams) -> str:
    """What a finding says of the refusal and of the bar it sets (the same for every call it bars)."""
    if p.from_next_day:
        rule_text = f"{p.days} full calendar days: earliest recontact {day_to_date(refusal.day + p.days + 1)} 00:00"
    else:
        rule_text = f"{p.days} x 24 h: earliest recontact {utc_iso(refusal.ts + p.days * 86400)}"
    return f"({refusal.disposition} on call {refusal.call_id}); {rule_text}"


def cooling_off_message(days_since: float, terms: str) -> str:
    """days_since: from the refusal to the call; terms: cooling_off_terms of the refusal."""
    return f"called {days_since:.1f} days after a refusal {terms}"


def cooling_off_evidence(refusal: dict[str, object], recontact_utc: str, person_key: str,
                         basis: str) -> dict[str, Any]:
    """refusal: its Past.as_json; recontact_utc: the earliest recontact, utc_iso."""
    return {"refusal": refusal, "earliest_recontact_utc": recontact_utc, "person_key": person_key,
            "person_key_basis": basis}


def objection_message(call_id: str, when: str) -> str:
    """call_id: the call of the opt-out; when: its local_iso in the callee's first zone (utc_iso without one)."""
    return f"called after the person objected (opt-out on call {call_id}, {when})"


def objection_evidence(opt_out: dict[str, object], p: ObjectionParams, person_key: str,
                       basis: str) -> dict[str, Any]:
    """opt_out: its Past.as_json."""
    return {"objection": opt_out, "grace_days": p.grace_days, "person_key": person_key, "person_key_basis": basis,
            "numbers_covered": "every number of the person"}


@dataclass(frozen=True, slots=True)
class ObjectionParams:
    dispositions: frozenset[str]
    list_sources: frozenset[str]
    grace_days: int
    business_days: bool


def prepare_objection(params: Mapping[str, Any]) -> ObjectionParams:
    grace = int(params.get("grace_days", 0))
    if not 0 <= grace <= 60:
        raise ValueError(f"grace_days: expected 0..60, got {grace}")
    return ObjectionParams(frozenset(params.get("dispositions", ["opt_out"])),
                           frozenset(params.get("list_sources", ["internal"])), grace,
                           bool(params.get("business_days", False)))


def grace_end(start_ts: float, p: ObjectionParams) -> float:
    """When an objection made at start_ts starts to bar calls (after the grace days)."""
    if not p.grace_days:
        return start_ts
    if not p.business_days:
        return start_ts + p.grace_days * 86400
    day = day_to_date(int(start_ts // 86400))
    added = 0
    while added < p.grace_days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return start_ts + (day - day_to_date(int(start_ts // 86400))).days * 86400


def eval_objection(call: Call, rule: Any, p: ObjectionParams, history: PersonHistory | None,
                   facts: Facts) -> Outcome:
    ts = call.attempt.ts
    opt_out = history.opt_out if history else None
    if opt_out is not None and opt_out.disposition in p.dispositions and grace_end(opt_out.ts, p) <= ts:
        when = local_iso(call.locals[0].zone, opt_out.ts) if call.locals else utc_iso(opt_out.ts)
        return Finding(rule.id, objection_message(opt_out.call_id, when),
                       objection_evidence(opt_out.as_json(), p, call.person_key, call.person_basis), None, True)
    if p.list_sources and facts.oppositions:
        for entry in facts.list_entries(call.phone.e164, call.person_id, p.list_sources, person_wide=True,
                                        principal=call.attempt.principal, purpose=call.attempt.purpose, at=ts):
            if grace_end(entry.listed_at.timestamp(), p) <= ts:
                return Finding(rule.id, f"called after the person objected ({entry.source} list entry for "
                                        f"{entry.phone} dated {entry.listed_at.date()})",
                               {"list_entry": entry_json(entry), "grace_days": p.grace_days,
                                "person_key": call.person_key},
                               entry.until.timestamp() if entry.until is not None else None, entry.until is None)
    return None


CHECKS = (
    Check("cooling_off", "no attempt before N full days after a refusal", prepare_cooling, eval_cooling_off),
    Check("objection", "no call after an objection / opt-out (person-wide, after a grace period)",
          prepare_objection, eval_objection),
)
