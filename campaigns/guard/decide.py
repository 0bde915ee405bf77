""""May I call this number now?" with the audit's own rules, and when it may be called next.

No I/O here: the HTTP layer (`app.py`) reads requests and `shared.py` reads the person's attempts
from the store. A question is judged as a hypothetical attempt at `at`, through the same
CallBuilder, RuleSet and check functions as the batch audit, against a history built from the
stored attempts of that one person (several guard processes share the store, so none keeps its own).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from campaigns.checks.base import NotEvaluated
from campaigns.checks.registry import CHECKS
from campaigns.engines.same_act import absorbed_by, same_act_table
from campaigns.model.call import CallBuilder
from campaigns.model.facts import Facts
from campaigns.model.history import Ledger, PersonHistory
from campaigns.model.localtime import utc_iso
from campaigns.model.records import PURPOSES, Attempt, Finding
from campaigns.rules.select import RuleSet

MAX_STEPS = 60
HORIZON_S = 400 * 86400
AUDIT_ONLY = "campaign-level rule: judged by the audit"


@dataclass(frozen=True, slots=True)
class Decision:
    """allowed: may dial at `at`; reasons: the findings that block it; next_allowed_at: earliest UTC time
    every rule allows (None when a block has no expiry); permanent_block: such a block exists."""

    allowed: bool
    reasons: list[dict[str, Any]]
    next_allowed_at: str | None
    permanent_block: bool
    not_evaluated: list[dict[str, str]] = field(default_factory=list)
    phone: str = ""
    person_key_basis: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "reasons": self.reasons, "next_allowed_at": self.next_allowed_at,
                "permanent_block": self.permanent_block, "not_evaluated": self.not_evaluated, "phone": self.phone,
                "person_key_basis": self.person_key_basis}


class Guard:
    """Rules + facts; the history of each question is handed in (built from the store by `history`).

    Decisions run on the event loop and on the store's worker threads: one lock around the judging keeps
    the memo caches it fills (numbers, plans, skipped rules) from being built twice at once.
    """

    def __init__(self, rules: RuleSet, facts: Facts) -> None:
        self.rules = rules
        self.facts = facts
        self.builder = CallBuilder(facts.phones, facts)
        self.keep_s = rules.lookback_s()
        self._by_id = {rule.id: rule for rule in rules.rules}
        self._same_act = same_act_table(rules.rules)
        self._static_skips: dict[int, list[dict[str, str]]] = {}
        self._lock = threading.RLock()

    def question(self, phone: str, campaign: str, ts: float, purpose: str = "", principal: str = "",
                 region: str = "", caller_id: str = "", dial_mode: str = "", require_purpose: bool = False) -> Attempt:
        """The hypothetical attempt a question describes (raises PhoneError / ValueError on bad input).

        `require_purpose`: a question about a call to come must say what it is for (directly or through the
        campaigns registry): without it no calling-hour or frequency rule can be judged, and the guard would
        have to answer `allowed` on a Sunday at 03:00.
        """
        e164 = self.facts.phones.lookup(phone).e164
        info = self.facts.registry.get(campaign)
        if require_purpose and not purpose and not (info and info.purpose):
            raise ValueError(f"purpose: missing: give purpose= (one of {', '.join(PURPOSES)}) or a --campaigns "
                             f"registry that names the purpose of campaign {campaign!r}")
        purpose = purpose or (info.purpose if info else "") or "unknown"
        if purpose not in (*PURPOSES, "unknown"):
            raise ValueError(f"purpose: expected one of {', '.join(PURPOSES)}, got {purpose!r}")
        principal = principal or (info.principal if info else "") or campaign
        return Attempt("?", "guard", 0, ts, e164, phone, caller_id, campaign, principal, purpose, "answered", "",
                       None, None, None, dial_mode, "", region, "")

    def person(self, attempt: Attempt) -> tuple[str, list[str]]:
        """(person key, every number of that person): what a question locks and reads from the store."""
        with self._lock:
            call = self.builder.build(attempt)
        if call.person_id:
            return call.person_key, list(self.facts.identity.phones_of_person.get(call.person_id, [attempt.phone]))
        return call.person_key, [attempt.phone]

    def attempt_of_row(self, row: Mapping[str, Any]) -> Attempt:
        """A stored guard attempt (campaigns.store.guard_history.ATTEMPT_COLUMNS) as an Attempt."""
        with self._lock:
            attempt = self.question(row["phone"], row["campaign"], row["ts"], row["purpose"], row["principal"],
                                    row["region"])
        return attempt._replace(call_id=row["attempt_id"], disposition=row["disposition"],
                                disposition_raw=row["disposition"], duration_s=row["duration_s"], source="guard")

    def history(self, attempt: Attempt, rows: Iterable[Mapping[str, Any]]) -> PersonHistory | None:
        """The history the rules read for `attempt`, from the stored attempts of its person (oldest first)."""
        ledger = Ledger(self.keep_s)
        with self._lock:
            for row in rows:
                past = self.attempt_of_row(row)
                call = self.builder.build(past)
                ledger.record(past, call.person_key, call.day)
            return ledger.get(attempt.principal, self.builder.build(attempt).person_key)

    def findings(self, attempt: Attempt, history: PersonHistory | None = None
                 ) -> tuple[list[Finding], list[dict[str, str]], str]:
        call = self.builder.build(attempt)
        _, plan = self.rules.plan_for(call)
        found, skipped = [], []
        for rule, evaluate, prepared in plan.active:
            outcome = evaluate(call, rule, prepared, history, self.facts)
            if outcome is None:
                continue
            if isinstance(outcome, NotEvaluated):
                skipped.append({"rule": rule.id, "reason": outcome.reason})
                continue
            if outcome.not_before is None and not outcome.permanent:
                next_time = CHECKS[rule.check].next_time
                if next_time is not None:
                    outcome = Finding(outcome.rule, outcome.message, outcome.evidence,
                                      next_time(call, rule, prepared, history, self.facts), outcome.permanent)
            found.append(outcome)
        static = self._static_skips.get(id(plan))
        if static is None:  # what a plan always skips: built once per plan (plans live as long as the RuleSet)
            static = self._static_skips[id(plan)] = (
                [{"rule": rule.id, "reason": AUDIT_ONLY} for rule, _ in plan.aggregates]
                + [{"rule": rule_id, "reason": reason} for rule_id, reason in plan.skipped
                   if reason.startswith("not evaluated")])
        skipped += static
        return found, skipped, call.person_basis

    def decide(self, attempt: Attempt, history: PersonHistory | None = None) -> Decision:
        """Allowed only when every rule that could forbid the call was judged and none did (fail-closed):
        a rule left unjudged for want of an input (no opposition list, no dial mode, ...) blocks, naming
        what is missing. Campaign-level rules (abandonment rates) are the audit's, never a single call's.
        `history`: the person's earlier attempts (None: none)."""
        with self._lock:
            return self._decide(attempt, history)

    def _decide(self, attempt: Attempt, history: PersonHistory | None) -> Decision:
        found, skipped, basis = self.findings(attempt, history)
        by_id = self._by_id
        reasons = self._reasons(found)
        unjudged = [s for s in skipped if s["reason"] != AUDIT_ONLY]
        reasons += [{"rule": s["rule"],
                     "message": f"not evaluated: {s['reason'].removeprefix('not evaluated: ')}; the guard fails closed",
                     "citation": by_id[s["rule"]].citation if s["rule"] in by_id else "",
                     "certainty": by_id[s["rule"]].certainty if s["rule"] in by_id else "",
                     "evidence": {"not_evaluated": True}, "until": None, "permanent": False} for s in unjudged]
        if not reasons:
            return Decision(True, [], None, False, skipped, attempt.phone, basis)
        permanent = any(f.permanent or f.not_before is None for f in found)
        # with a rule unjudged nobody can say when the call becomes allowed
        next_at = None if permanent or unjudged else self._next_allowed(attempt, found, history)
        return Decision(False, reasons, utc_iso(next_at) if next_at is not None else None,
                        permanent or (next_at is None and not unjudged), skipped, attempt.phone, basis)

    def _reasons(self, found: list[Finding]) -> list[dict[str, Any]]:
        """One reason per act, as the audit reports one finding per act (engines/same_act.py): a finding another
        one absorbs is listed in that one's `also_breaches`, whose block then lasts as long as the longer of
        the two (the answer's permanent_block and next_allowed_at are computed from every finding)."""
        by_id = self._by_id
        absorbed = absorbed_by([f.rule for f in found], self._same_act) if self._same_act and len(found) > 1 else {}
        reasons = []
        for f in found:
            if f.rule in absorbed and absorbed[f.rule] not in absorbed:
                continue
            also = [d for d in found if absorbed.get(d.rule) == f.rule]
            permanent = f.permanent or any(d.permanent for d in also)
            ends = [x.not_before for x in (f, *also) if x.not_before]
            reason: dict[str, Any] = {"rule": f.rule, "message": f.message, "citation": by_id[f.rule].citation,
                      "certainty": by_id[f.rule].certainty, "evidence": f.evidence,
                      "until": utc_iso(max(ends)) if ends and not permanent else None, "permanent": permanent}
            if also:
                reason["also_breaches"] = [d.rule for d in also]
            reasons.append(reason)
        return reasons

    def _next_allowed(self, attempt: Attempt, found: list[Finding], history: PersonHistory | None) -> float | None:
        """Earliest time every rule allows: jump to the latest `not_before`, re-judge, repeat."""
        start = attempt.ts
        ts = start
        for _ in range(MAX_STEPS):
            blocking = [f.not_before for f in found if f.not_before is not None]
            if len(blocking) < len(found):
                return None
            ts = max(ts, *blocking)
            if ts - start > HORIZON_S:
                return None
            found = self.findings(attempt._replace(ts=ts), history)[0]
            if not found:
                return ts
            if any(f.permanent for f in found):
                return None
            if max(f.not_before or ts for f in found) <= ts:
                ts += 60  # a check that cannot name a later time: step a minute
        return None


def same_attempt(stored: Attempt, attempt: Attempt) -> bool:
    """Whether two posts of one attempt id are the same attempt (a retry) rather than two different calls."""
    return _identity(stored) == _identity(attempt)


def same_dial(stored: Attempt, attempt: Attempt) -> bool:
    """Whether an outcome (or a repeated check-and-record) is for the dial recorded under its id: same number,
    campaign, principal, purpose and region; start, disposition and duration may differ."""
    return _dial(stored) == _dial(attempt)


def _dial(attempt: Attempt) -> tuple[str, ...]:
    return attempt.phone, attempt.campaign, attempt.principal, attempt.purpose, attempt.region


def _identity(attempt: Attempt) -> tuple[Any, ...]:
    return (attempt.phone, attempt.campaign, attempt.principal, attempt.purpose, round(attempt.ts, 3),
            attempt.disposition, attempt.duration_s, attempt.region)
