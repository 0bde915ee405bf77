"""How the call was placed: caller ID shown by automated dialers, ring time, redials after an
abandoned call, and sector bans set on the campaign."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from campaigns.checks.base import Check, NotEvaluated, Outcome
from campaigns.checks.contract import exempted
from campaigns.model.call import Call
from campaigns.model.facts import Facts
from campaigns.model.history import PersonHistory
from campaigns.model.localtime import date_to_day, day_to_date
from campaigns.model.phones import PhoneError
from campaigns.model.records import Finding


@dataclass(frozen=True, slots=True)
class CliParams:
    automated: frozenset[str]
    prefixes: tuple[str, ...]
    every_call: bool = False  # every call, whatever its dial mode, must present a valid number (no masked CLI)


def prepare_cli(params: Mapping[str, Any]) -> CliParams:
    """`automated_modes: any` judges every call (the caller-ID display rules); `allowed_prefixes` absent or
    empty accepts any valid number."""
    modes = params.get("automated_modes", ["predictive", "progressive", "prerecorded"])
    every = modes == "any"
    return CliParams(frozenset() if every else frozenset(modes),
                     tuple(str(p) for p in params.get("allowed_prefixes") or ()), every)


def eval_cli(call: Call, rule: Any, p: CliParams, history: PersonHistory | None, facts: Facts) -> Outcome:
    mode = call.attempt.dial_mode
    if not p.every_call:
        if not mode:
            return NotEvaluated("field dial_mode absent")
        if mode not in p.automated:
            return None
    what = "call" if p.every_call else "automated call"
    raw = call.attempt.caller_id
    if not raw:
        return Finding(rule.id, f"{what} with no caller ID presented", {"dial_mode": mode}, None, True)
    try:
        cli = facts.phones.lookup(raw)
    except PhoneError:
        return Finding(rule.id, f"{what} presenting {raw!r}, not a phone number", {"dial_mode": mode},
                       None, True)
    if not p.prefixes:
        if cli.valid:
            return None
        return Finding(rule.id, f"{what} presenting {cli.e164}, not a valid number that can be called back",
                       {"dial_mode": mode, "caller_id": cli.e164}, None, True)
    if cli.e164.startswith(p.prefixes):
        return None
    return Finding(rule.id, f"automated call presenting {cli.e164} ({cli.kind}), not a number from the allowed "
                            f"ranges", {"dial_mode": mode, "caller_id": cli.e164, "caller_id_kind": cli.kind,
                                        "allowed_prefixes": list(p.prefixes)}, None, True)


@dataclass(frozen=True, slots=True)
class RingParams:
    min_s: float


def prepare_ring(params: Mapping[str, Any]) -> RingParams:
    return RingParams(float(params.get("min_s", 15)))


def eval_ring_time(call: Call, rule: Any, p: RingParams, history: PersonHistory | None, facts: Facts) -> Outcome:
    a = call.attempt
    if a.disposition != "no_answer":
        return None
    ring = a.ring_s if a.ring_s is not None else a.duration_s
    if ring is None:
        return NotEvaluated("fields ring_s and duration_s absent")
    if ring >= p.min_s:
        return None
    basis = "ring_s" if a.ring_s is not None else "duration_s (an upper bound of the ring time)"
    return Finding(rule.id, f"unanswered call given up after {ring:g} s of ringing (minimum {p.min_s:g} s)",
                   {"ring_s": ring, "measured_from": basis, "minimum_s": p.min_s})


@dataclass(frozen=True, slots=True)
class RedialParams:
    hold_s: float


def prepare_redial(params: Mapping[str, Any]) -> RedialParams:
    return RedialParams(float(params.get("hours", 72)) * 3600)


def eval_redial(call: Call, rule: Any, p: RedialParams, history: PersonHistory | None, facts: Facts) -> Outcome:
    if history is None:
        return None
    past = history.abandoned.get(call.phone.e164) if history.abandoned else None
    ts = call.attempt.ts
    if past is None or past.ts >= ts or ts - past.ts >= p.hold_s:
        return None
    return Finding(rule.id, f"redial {(ts - past.ts) / 3600:.1f} h after an abandoned call to the same number "
                            f"(hold {p.hold_s / 3600:g} h)", {"abandoned_call": past.as_json()}, past.ts + p.hold_s)


@dataclass(frozen=True, slots=True)
class SectorParams:
    sectors: frozenset[str]
    contract_exception: bool
    since: Mapping[str, int]  # sector -> first local day (days since 1970) the ban covers it; absent = always


def prepare_sector(params: Mapping[str, Any]) -> SectorParams:
    """`sectors`: a list, or a mapping sector -> date from which the law bans it (each sector was added by a
    different law: energy renovation by loi 2020-901, housing adaptation by loi 2025-594 art. 13)."""
    sectors = params["sectors"]
    since: dict[str, int] = {}
    if isinstance(sectors, Mapping):
        for sector, start in sectors.items():
            if start not in (None, ""):
                since[str(sector)] = date_to_day(start if isinstance(start, date) else date.fromisoformat(str(start)))
    return SectorParams(frozenset(sectors), bool(params.get("contract_exception", False)), since)


def eval_sector(call: Call, rule: Any, p: SectorParams, history: PersonHistory | None, facts: Facts) -> Outcome:
    info = facts.registry.get(call.attempt.campaign)
    if info is None:
        return NotEvaluated(f"campaign {call.attempt.campaign!r} absent from the campaigns registry")
    if info.sector not in p.sectors:
        return None
    start = p.since.get(info.sector)
    if start is not None and call.day < start:
        return None  # the law that added this sector was not yet in force on the call's local date
    evidence: dict[str, Any] = {"campaign": info.campaign, "sector": info.sector}
    if start is not None:
        evidence["sector_banned_since"] = day_to_date(start).isoformat()
    if p.contract_exception and exempted(call, facts, evidence):
        return None
    return Finding(rule.id, f"canvassing in a banned sector ({info.sector})", evidence, None, True)


CHECKS = (
    Check("caller_id", "automated dialers present only caller IDs from the allowed ranges", prepare_cli, eval_cli),
    Check("ring_time", "unanswered calls ring at least N seconds", prepare_ring, eval_ring_time),
    Check("redial_after_abandon", "no redial within N hours of an abandoned call to the number", prepare_redial,
          eval_redial),
    Check("sector_ban", "no canvassing in a banned sector (campaign registry `sector`)", prepare_sector,
          eval_sector),
)
