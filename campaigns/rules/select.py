"""Which rules apply to a call, and why the others do not: pack selection, purpose, country, date.

The choice depends only on (packs of the campaign, purpose, callee country, local date), so it is
computed once per distinct key and reused: a million calls make a few hundred plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaigns.checks.base import Evaluate
from campaigns.checks.registry import AGGREGATE_CHECKS, CHECKS
from campaigns.model.call import Call
from campaigns.model.facts import Facts
from campaigns.model.localtime import day_to_date
from campaigns.rules.model import Pack, Rule
from mystery_core.errors import InputError

LOG_FIELDS = frozenset({"dial_mode", "ring_s", "talk_s", "region", "caller_id"})
"""Optional log columns a rule may need; a log without the column leaves the rule not evaluated."""


@dataclass(frozen=True, slots=True)
class Plan:
    """active: (rule, evaluate, prepared) to run; clock: the subset whose verdict depends only on the
    callee's clock (the audit memoizes them); aggregates: campaign-level rules to feed;
    skipped: (rule id, "out of scope: ..." or "not evaluated: ...") for the rules that do not run."""

    active: tuple[tuple[Rule, Evaluate, Any], ...]
    aggregates: tuple[tuple[Rule, Any], ...]
    skipped: tuple[tuple[str, str], ...]
    clock: tuple[tuple[Rule, Evaluate, Any], ...] = ()
    rest: tuple[tuple[Rule, Evaluate, Any], ...] = ()


class RuleSet:
    """The loaded packs, the audit's default pack names, and the facts (to know which inputs exist)."""

    def __init__(self, packs: list[Pack], default_packs: list[str], facts: Facts) -> None:
        self.packs = {pack.name: pack for pack in packs}
        # a pack given as a path (`--rules my-policy.yaml`) is known by its file too
        self._aliases = {pack.source_file: pack.name for pack in packs}
        self.facts = facts
        self.default = self._closure(default_packs)
        self._plans: dict[tuple[Any, ...], Plan] = {}
        self._by_campaign: dict[str, tuple[str, ...]] = {}
        self._fast: dict[tuple[Any, ...], tuple[tuple[Any, ...], Plan]] = {}  # by campaign, not pack names

    def _closure(self, names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []

        def visit(name: str) -> None:
            name = self._aliases.get(str(Path(name)), name)
            if name in out:
                return
            if name not in self.packs:
                raise InputError("campaigns registry", "packs", f"pack {name!r} is not loaded; add it to --rules")
            out.append(name)
            for included in self.packs[name].includes:
                visit(included)

        for name in names:
            visit(name)
        return tuple(out)

    def lookback_s(self) -> float:
        """How far back any loaded rule looks at earlier attempts (plus a day), so the history can
        forget the rest: a million-row log then costs memory for a month of attempts, not all."""
        out = 86400.0
        for rule in self.rules:
            for attr, scale in (("window_days", 86400.0), ("window_s", 1.0), ("gap_s", 1.0), ("hold_s", 1.0)):
                out = max(out, float(getattr(rule.prepared, attr, 0) or 0) * scale + 86400.0)
        return out

    @property
    def rules(self) -> list[Rule]:
        return [rule for pack in self.packs.values() for rule in pack.rules]

    def packs_for(self, campaign: str) -> tuple[str, ...]:
        hit = self._by_campaign.get(campaign)
        if hit is None:
            info = self.facts.registry.get(campaign)
            hit = self._closure(info.packs) if info and info.packs else self.default
            self._by_campaign[campaign] = hit
        return hit

    def plan_for(self, call: Call) -> tuple[tuple[Any, ...], Plan]:
        attempt = call.attempt
        return self.plan_of(attempt.campaign, attempt.purpose, call.phone.country, call.day)

    def plan_of(self, campaign: str, purpose: str, country: str, day: int) -> tuple[tuple[Any, ...], Plan]:
        """The plan key and plan of a call to `country` on local `day` for `campaign` and `purpose`."""
        fast_key = (campaign, purpose, country, day)
        hit = self._fast.get(fast_key)
        if hit is None:
            key = (self.packs_for(campaign), purpose, country, day)
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plans[key] = self._make_plan(*key)
            hit = self._fast[fast_key] = (key, plan)
        return hit

    def plan(self, key: tuple[Any, ...]) -> Plan:
        """The plan made for `key` (a key returned by plan_for)."""
        return self._plans[key]

    def _make_plan(self, pack_names: tuple[str, ...], purpose: str, country: str, day: int) -> Plan:
        active, aggregates, skipped = [], [], []
        when = day_to_date(day)
        for name in pack_names:
            for rule in self.packs[name].rules:
                reason = self._skip_reason(rule, purpose, country, when)
                if reason:
                    skipped.append((rule.id, reason))
                elif rule.check in AGGREGATE_CHECKS:
                    aggregates.append((rule, rule.prepared))
                else:
                    active.append((rule, CHECKS[rule.check].evaluate, rule.prepared))
        clock = tuple(entry for entry in active
                      if (clock_only := CHECKS[entry[0].check].clock_only) is not None and clock_only(entry[2]))
        rest = tuple(entry for entry in active if entry not in clock)
        return Plan(tuple(active), tuple(aggregates), tuple(skipped), clock, rest)

    def _skip_reason(self, rule: Rule, purpose: str, country: str, when: Any) -> str:
        if not rule.applies_on(when):
            return f"out of scope: not in force on {when}"
        if rule.purposes and purpose not in rule.purposes:
            if purpose == "unknown":
                return "not evaluated: field purpose absent (give it in the log or the campaigns registry)"
            return f"out of scope: purpose {purpose} (rule covers {', '.join(sorted(rule.purposes))})"
        if rule.countries and country not in rule.countries:
            if not country:
                return "not evaluated: callee country unknown (invalid number)"
            return f"out of scope: callee country {country}"
        for need in rule.needs:
            if need not in self.facts.present:
                if need in LOG_FIELDS:
                    return f"not evaluated: field {need} absent from the log"
                return f"not evaluated: field {need} absent (no --{need} file)"
        return ""
