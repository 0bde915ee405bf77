"""Permission to call at all: opposition / do-not-call lists (per number), how recently the principal
checked its file against them, and prior consent.

Both may honour the ongoing-contract exception (`contract_exception: true`, checks/contract.py)."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from campaigns.checks.base import Check, NotEvaluated, Outcome
from campaigns.checks.contract import exempted
from campaigns.model.call import Call
from campaigns.model.facts import Facts
from campaigns.model.history import REFUSALS, Past, PersonHistory
from campaigns.model.records import Finding, Opposition


@dataclass(frozen=True, slots=True)
class ListParams:
    sources: frozenset[str]
    effect_s: float
    person_wide: bool
    contract_exception: bool
    consent_scopes: frozenset[str] = frozenset()  # a consent of these scopes to the principal exempts the call
    relationship_s: float = 0.0  # a contract with the principal running or ended this recently exempts it (EBR)
    inquiry_months: int = 0  # an inquiry to the principal within this many calendar months before the call (EBR)


def prepare_list(params: Mapping[str, Any]) -> ListParams:
    return ListParams(frozenset(params["sources"]), float(params.get("effect_days", 0)) * 86400,
                      bool(params.get("person_wide", False)), bool(params.get("contract_exception", False)),
                      frozenset(params.get("consent_exception", ())),
                      float(params.get("business_relationship_days", 0)) * 86400,
                      int(params.get("inquiry_months", 0)))


def months_after(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months, the day clamped to the month's last ("three months immediately
    preceding" a call made on 31 May reaches back to 28 or 29 February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def list_exemption(call: Call, facts: Facts, p: ListParams) -> dict[str, Any] | None:
    """What lets a listed number be called (None if nothing): a consent of `consent_scopes` given to the call's
    principal (or to any) and valid at the call, or an existing business relationship, a contract with the
    principal running at the call or ended at most `relationship_s` before it."""
    ts = call.attempt.ts
    principal = call.attempt.principal
    if p.consent_scopes:
        for consent in facts.consents_for(call.phone.e164, call.person_id):
            if consent.scope in p.consent_scopes and consent.principal in ("", principal) and \
                    consent.given_at.timestamp() <= ts and (consent.withdrawn_at is None or
                                                           consent.withdrawn_at.timestamp() > ts):
                return {"exempt_by": "consent", "given_at": consent.given_at.isoformat(), "file": consent.file,
                        "line": consent.line}
    if p.relationship_s or p.inquiry_months:
        for contract in facts.contracts_for(call.phone.e164, call.person_id):
            if contract.principal != principal or contract.started_at.timestamp() > ts:
                continue
            if contract.kind == "inquiry":
                if p.inquiry_months and months_after(contract.started_at, p.inquiry_months).timestamp() >= ts:
                    return {"exempt_by": "existing_business_relationship", "basis": "inquiry",
                            "inquiry_at": contract.started_at.isoformat(), "inquiry_months": p.inquiry_months,
                            "subject": contract.subject, "file": contract.file, "line": contract.line}
            elif p.relationship_s and (contract.ended_at is None or
                                       contract.ended_at.timestamp() + p.relationship_s >= ts):
                return {"exempt_by": "existing_business_relationship", "basis": "purchase or transaction",
                        "subject": contract.subject, "file": contract.file, "line": contract.line}
    return None


def entry_json(entry: Opposition) -> dict[str, Any]:
    """A list entry as evidence, with its scope when it has one (principal, purposes, until)."""
    out: dict[str, Any] = {"phone": entry.phone, "listed_at": entry.listed_at.isoformat(), "source": entry.source,
                           "file": entry.file, "line": entry.line}
    if entry.principal:
        out["principal"] = entry.principal
    if entry.purposes:
        out["purposes"] = list(entry.purposes)
    if entry.until is not None:
        out["until"] = entry.until.isoformat()
    return out


def eval_opposition_list(call: Call, rule: Any, p: ListParams, history: PersonHistory | None,
                         facts: Facts) -> Outcome:
    ts = call.attempt.ts
    if not p.person_wide and call.phone.e164 not in facts.oppositions:
        return None  # the common case, without building a list
    # a registration not yet effective (listed_at + effect_days after the call) is not a breach
    for entry in facts.list_entries(call.phone.e164, call.person_id, p.sources, p.person_wide,
                                    call.attempt.principal, call.attempt.purpose, ts):
        if entry.listed_at.timestamp() + p.effect_s <= ts:
            evidence = {"list_entry": entry_json(entry), "effect_days": p.effect_s / 86400}
            if p.contract_exception and exempted(call, facts, evidence):
                return None
            if (p.consent_scopes or p.relationship_s or p.inquiry_months) and \
                    list_exemption(call, facts, p) is not None:
                return None
            return Finding(rule.id, f"{entry.phone} is on the {entry.source} list since {entry.listed_at.date()} "
                                    f"(effective after {p.effect_s / 86400:g} days)", evidence,
                           entry.until.timestamp() if entry.until is not None else None, entry.until is None)
    return None


@dataclass(frozen=True, slots=True)
class ConsentParams:
    scopes: frozenset[str]
    max_age_s: float | None
    contract_exception: bool
    withdrawn_by: frozenset[str]  # dispositions of a call to the same principal that withdraw an earlier consent
    dial_modes: frozenset[str] = frozenset()  # only calls made in these modes need it (empty = every call)
    expired_only: bool = False  # flag only calls whose consent is valid but for its age (a lifetime rule)


def prepare_consent(params: Mapping[str, Any]) -> ConsentParams:
    age = params.get("max_age_days")
    withdrawn_by = frozenset(params.get("withdrawn_by", ()))
    if not withdrawn_by <= REFUSALS:
        raise ValueError(f"withdrawn_by: expected some of {', '.join(sorted(REFUSALS))}, "
                         f"got {', '.join(sorted(withdrawn_by - REFUSALS))}")
    return ConsentParams(frozenset(params.get("scopes", ["canvassing", "all"])),
                         float(age) * 86400 if age not in (None, "") else None,
                         bool(params.get("contract_exception", False)), withdrawn_by,
                         frozenset(params.get("dial_modes", ())), bool(params.get("expired_only", False)))


def withdrawal(history: PersonHistory | None, dispositions: frozenset[str], ts: float) -> Past | None:
    """The latest call to this principal and person, before `ts`, whose outcome withdrew consent (a refusal
    or an opt-out said on the phone), or None."""
    if history is None or not dispositions:
        return None
    found = [past for past in (history.refusal, history.opt_out)
             if past is not None and past.disposition in dispositions and past.ts < ts]
    if found:
        return max(found)
    # the latest refusal may be of a kind that does not withdraw: look through the kept attempts
    for past in reversed(history.attempts):
        if past.ts < ts and past.disposition in dispositions:
            return past
    return None


def eval_consent(call: Call, rule: Any, p: ConsentParams, history: PersonHistory | None,
                 facts: Facts) -> Outcome:
    if p.dial_modes:
        if call.attempt.dial_mode not in p.dial_modes:
            return None  # e.g. a live agent's call: the automated-call consent rules do not cover it
        if "consents" not in facts.present:
            return NotEvaluated("field consents absent (no --consents file)")
    ts = call.attempt.ts
    principal = call.attempt.principal
    said = withdrawal(history, p.withdrawn_by, ts)
    seen = []
    aged = False
    for consent in facts.consents_for(call.phone.e164, call.person_id):
        if consent.scope not in p.scopes:
            continue
        given = consent.given_at.timestamp()
        withdrawn = consent.withdrawn_at.timestamp() if consent.withdrawn_at else None
        entry: dict[str, Any] = {"given_at": consent.given_at.isoformat(),
                                 "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None,
                                 "scope": consent.scope, "principal": consent.principal or "(any)",
                                 "file": consent.file, "line": consent.line}
        if consent.principal and consent.principal != principal:
            entry["not_applied_because"] = f"given to {consent.principal}, not to {principal}"
        elif said is not None and said.ts >= given:
            entry["not_applied_because"] = f"withdrawn by the callee's {said.disposition} on call {said.call_id}"
            entry["withdrawn_by_call"] = said.as_json()
        elif given <= ts and (withdrawn is None or withdrawn > ts):
            if p.max_age_s is None or ts - given <= p.max_age_s:
                return None
            aged = True
            entry["not_applied_because"] = f"given {(ts - given) / 86400:.0f} days before the call"
        seen.append(entry)
    if p.expired_only and not aged:
        return None  # no consent, or none valid: the consent rule's finding, not this one's
    why = "no consent on file for this person or number" if not seen else "no consent valid at the time of the call"
    evidence = {"consents_seen": seen, "scopes_accepted": sorted(p.scopes),
                "max_age_days": p.max_age_s / 86400 if p.max_age_s else None, "person_key": call.person_key}
    if p.contract_exception and exempted(call, facts, evidence):
        return None
    what = f"{call.attempt.dial_mode} call" if p.dial_modes else "canvassing call"
    if p.dial_modes:
        evidence["dial_mode"] = call.attempt.dial_mode
    if p.expired_only:
        return Finding(rule.id, f"{what} on a consent older than {p.max_age_s / 86400 if p.max_age_s else 0:g} days",
                       evidence, None, True)
    return Finding(rule.id, f"{what} without prior consent: {why}", evidence, None, True)


@dataclass(frozen=True, slots=True)
class ScrubParams:
    source: str
    max_age_days: int


def prepare_scrub(params: Mapping[str, Any]) -> ScrubParams:
    days = int(params.get("max_age_days", 31))
    if days < 1:
        raise ValueError(f"max_age_days: expected at least 1, got {days}")
    return ScrubParams(str(params.get("source", "bloctel")), days)


def eval_list_scrub(call: Call, rule: Any, p: ScrubParams, history: PersonHistory | None,
                    facts: Facts) -> Outcome:
    """The principal's file must have been checked against the list at most `max_age_days` before the call
    (a call made on a stale scrub may reach a number registered since)."""
    ts = call.attempt.ts
    principal = call.attempt.principal
    last = facts.last_scrub(principal, p.source, ts)
    if last is not None and ts - last.scrubbed_at.timestamp() <= p.max_age_days * 86400:
        return None
    if last is None:
        why = f"no {p.source} scrub on file for {principal} before the call"
    else:
        why = (f"{principal}'s last {p.source} scrub was {(ts - last.scrubbed_at.timestamp()) / 86400:.0f} days "
               f"before the call ({last.scrubbed_at.date()})")
    return Finding(rule.id, f"{why}; the list must be checked at least every {p.max_age_days} days",
                   {"last_scrub": {"scrubbed_at": last.scrubbed_at.isoformat(), "source": last.source,
                                   "file": last.file, "line": last.line} if last else None,
                    "principal": principal, "max_age_days": p.max_age_days})


CHECKS = (
    Check("opposition_list", "no call to a number registered on the list (after its effect delay)",
          prepare_list, eval_opposition_list),
    Check("consent", "a consent of the right scope given before the call and not withdrawn",
          prepare_consent, eval_consent),
    Check("list_scrub", "the principal checked its file against the list at most N days before the call",
          prepare_scrub, eval_list_scrub),
)
