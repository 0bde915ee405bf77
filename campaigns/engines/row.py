"""The batch audit: attempts in time order -> violations, with per-rule statistics.

Attempts are judged in start-time order because a call's history is what came before it. Logs are
usually close to that order (rows are often written at hang-up), so a bounded reorder buffer
(`reorder_s`, default 6 h) sorts them without holding the file; rows later than that are still
judged, counted in `late`, and reported, since their history may be incomplete.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from campaigns.checks.base import NotEvaluated
from campaigns.checks.registry import AGGREGATE_CHECKS
from campaigns.engines.same_act import merge, same_act_table
from campaigns.model.call import Call, CallBuilder
from campaigns.model.facts import Facts
from campaigns.model.history import Ledger
from campaigns.model.localtime import local_iso, utc_iso
from campaigns.model.records import Attempt, Finding, Violation
from campaigns.rules.select import RuleSet


@dataclass(slots=True)
class RuleStats:
    """Per rule: attempts judged, violations, and why it did not run on the others."""

    evaluated: int = 0
    violations: int = 0
    not_evaluated: Counter[str] = field(default_factory=Counter)
    out_of_scope: Counter[str] = field(default_factory=Counter)


NO_FACTS = Facts()
_new = tuple.__new__  # C-level NamedTuple construction: one Violation per finding


def violation(call: Call, finding: Finding) -> Violation:
    a = call.attempt
    local = local_iso(call.locals[0].zone, a.ts) if call.locals else utc_iso(a.ts)
    # call.phone.zones: the zones of call.locals, in the same order (locals is () exactly when zones is)
    return _new(Violation, (a.call_id, finding.rule, a.phone, call.person_id, call.person_basis, a.campaign,
                            a.principal, local, call.phone.zones, finding.message, finding.evidence, a.source, a.line,
                            utc_iso(a.ts), ()))


class Auditor:
    """Feed attempts (any order within `reorder_s`), collect violations; `finish()` adds campaign rules."""

    def __init__(self, rules: RuleSet, facts: Facts, builder: CallBuilder, reorder_s: float = 6 * 3600) -> None:
        self.rules = rules
        self.facts = facts
        self.builder = builder
        self.ledger = Ledger(rules.lookback_s())
        self.reorder_s = reorder_s
        self._heap: list[tuple[float, int, Attempt]] = []
        self._seq = 0
        self._newest = float("-inf")
        self._done_until = float("-inf")
        self.late = 0
        self.judged = 0
        self._plan_counts: Counter[tuple[Any, ...]] = Counter()
        self._not_evaluated: Counter[tuple[str, str]] = Counter()
        self._violations: Counter[str] = Counter()
        self.by_campaign: Counter[tuple[str, str]] = Counter()
        self._aggregate_state: dict[str, dict[Any, Any]] = {}
        self._aggregate_rules: dict[str, Any] = {}
        self._clock_memo: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.same_act = same_act_table(rules.rules)

    def feed(self, attempt: Attempt) -> list[Violation]:
        ts = attempt.ts
        if ts < self._done_until:
            self.late += 1
            return self.judge(attempt)
        self._seq += 1
        heapq.heappush(self._heap, (ts, self._seq, attempt))
        if ts > self._newest:
            self._newest = ts
        horizon = self._newest - self.reorder_s
        out: list[Violation] = []
        heap = self._heap
        while heap and heap[0][0] <= horizon:
            ready = heapq.heappop(heap)[2]
            self._done_until = ready.ts
            out.extend(self.judge(ready))
        return out

    def judge(self, attempt: Attempt) -> list[Violation]:
        """Run every applicable rule on one attempt, then add it to the history."""
        call = self.builder.build(attempt)
        key, plan = self.rules.plan_for(call)
        self._plan_counts[key] += 1
        self.judged += 1
        history = self.ledger.get(attempt.principal, call.person_key)
        facts = self.facts
        out: list[Violation] = []
        suspects = plan.rest
        if plan.clock:
            # Clock rules give the same verdict for every call of the same minute and zones: judge them
            # once per minute without consents (NO_FACTS), then fully only where they may fail.
            # (second 0 of a minute apart: a window's end may include it, checks/windows.py on_an_end)
            memo_key = (key, call.phone.zones, int(attempt.ts // 60), call.region, attempt.ts % 60 == 0)
            failing = self._clock_memo.get(memo_key)
            if failing is None:
                failing = tuple(entry for entry in plan.clock
                                if entry[1](call, entry[0], entry[2], None, NO_FACTS) is not None)
                if len(self._clock_memo) > 50_000:
                    self._clock_memo.clear()
                self._clock_memo[memo_key] = failing
            if failing:
                suspects = failing + suspects
        for rule, evaluate, prepared in suspects:
            outcome = evaluate(call, rule, prepared, history, facts)
            if outcome is not None:
                found = self.settle(call, rule, outcome)
                if found is not None:
                    out.append(found)
        if len(out) > 1 and self.same_act:
            out = self.merge_same_act(out)
        for rule, prepared in plan.aggregates:
            state = self._aggregate_state.setdefault(rule.id, {})
            self._aggregate_rules[rule.id] = rule
            AGGREGATE_CHECKS[rule.check].add(state, call, prepared)
        self.ledger.record(attempt, call.person_key, call.day)
        return out

    def settle(self, call: Call, rule: Any, outcome: Finding | NotEvaluated) -> Violation | None:
        """Count one rule's outcome on a call (the columnar engine counts through here too); the
        violation to report, or None when the rule could not be evaluated."""
        if isinstance(outcome, NotEvaluated):
            self._not_evaluated[(rule.id, outcome.reason)] += 1
            return None
        self._violations[rule.id] += 1
        self.by_campaign[(call.attempt.campaign, rule.id)] += 1
        return violation(call, outcome)

    def merge_same_act(self, found: list[Violation]) -> list[Violation]:
        """One call's findings with those of the same act merged (same_act.merge), the dropped ones uncounted."""
        kept, dropped = merge(found, self.same_act)
        for v in dropped:
            self._violations[v.rule] -= 1
            self.by_campaign[(v.campaign, v.rule)] -= 1
            if not self.by_campaign[(v.campaign, v.rule)]:
                del self.by_campaign[(v.campaign, v.rule)]
        return kept

    def count_plans(self, key: tuple[Any, ...], count: int) -> None:
        """`count` calls judged under the plan `key` (the columnar engine judges many at once)."""
        self._plan_counts[key] += count

    def count_found(self, rule_id: str, per_campaign: dict[str, int]) -> None:
        """Violations of a rule found elsewhere (the columnar engine's array verdicts), counted as `settle` does."""
        for campaign, count in per_campaign.items():
            self._violations[rule_id] += count
            self.by_campaign[(campaign, rule_id)] += count

    def count_judged(self, count: int, late: int) -> None:
        """`count` calls judged elsewhere (the columnar engine), `late` of them later than the reorder window."""
        self.judged += count
        self.late += late

    def finish(self) -> list[Violation]:
        """Judge what is left in the reorder buffer, then the campaign-level rules."""
        out: list[Violation] = []
        while self._heap:
            ready = heapq.heappop(self._heap)[2]
            self._done_until = ready.ts
            out.extend(self.judge(ready))
        for rule_id, state in self._aggregate_state.items():
            rule = self._aggregate_rules[rule_id]
            for campaign, finding in AGGREGATE_CHECKS[rule.check].finish(state, rule, rule.prepared):
                self._violations[rule_id] += 1
                self.by_campaign[(campaign, rule_id)] += 1
                out.append(Violation("", rule_id, "", "", "", campaign, "", "", (), finding.message, finding.evidence,
                                     "", 0, ""))
        return out

    def stats(self) -> dict[str, RuleStats]:
        """Statistics per rule id, expanded from the per-plan counts."""
        out: dict[str, RuleStats] = {rule.id: RuleStats() for rule in self.rules.rules}
        for key, count in self._plan_counts.items():
            plan = self.rules.plan(key)
            for rule, _, _ in plan.active:
                out[rule.id].evaluated += count
            for rule, _ in plan.aggregates:
                out[rule.id].evaluated += count
            for rule_id, reason in plan.skipped:
                target = out[rule_id].not_evaluated if reason.startswith("not evaluated") else out[rule_id].out_of_scope
                target[reason.split(": ", 1)[1]] += count
        for (rule_id, reason), count in self._not_evaluated.items():
            out[rule_id].not_evaluated[reason] += count
            out[rule_id].evaluated -= count
        for rule_id, count in self._violations.items():
            out[rule_id].violations = count
        return out
