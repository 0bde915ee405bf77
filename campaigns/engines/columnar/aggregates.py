"""Campaign-level rules (abandonment_rate) on the columnar engine: the row engine's aggregate state, fed a
judged block at a time.

The row engine adds each judged call to the rule's state (campaigns/checks/abandonment.py: `add_abandon`)
and turns the state into findings when the log ends (`finish_abandon`). Here the same state is built
from the block's columns, in judging order, and finished by the same function, so the findings, their
order and their evidence (example call ids included) are the row engine's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from campaigns.checks.abandonment import LIVE, finish_abandon
from campaigns.engines.columnar.columns import Blocks, Names, Rows
from campaigns.engines.row import Auditor
from campaigns.model.records import DISPOSITIONS, Violation
from campaigns.rules.select import RuleSet

COLUMNAR = {"abandonment_rate"}
"""Campaign-level checks this module runs."""
_LIVE = np.array([d in LIVE for d in DISPOSITIONS])
_ABANDONED = DISPOSITIONS.index("abandoned")
EXAMPLES = 20
"""Abandoned call ids kept as examples per campaign and period (as add_abandon keeps them)."""


class Aggregates:
    """The aggregate state of every campaign-level rule of the audit."""

    def __init__(self, ruleset: RuleSet, names: Names, blocks: Blocks) -> None:
        self.rules = [rule for rule in ruleset.rules if rule.check in COLUMNAR]
        self.names = names
        self.blocks = blocks
        self.state: dict[str, dict[Any, Any]] = {rule.id: {} for rule in self.rules}

    def add(self, rows: Rows, day: np.ndarray, plan_of: np.ndarray, plans: list[Any]) -> None:
        """Judged rows (in judging order), their local day, and each row's plan."""
        for rule in self.rules:
            has = np.array([any(entry[0].id == rule.id for entry in plan.aggregates) for plan in plans] or [False],
                           bool)[plan_of]
            if has.any():
                which = np.flatnonzero(has)
                self._abandon(self.state[rule.id], rule.prepared, rows.take(which), day[which])

    def _abandon(self, state: dict[Any, Any], p: Any, rows: Rows, day: np.ndarray) -> None:
        campaigns = self.names.campaigns.names
        camp = rows.camp.astype(np.int64)
        distinct, first_at = np.unique(camp, return_index=True)
        for c, at in sorted(zip(distinct.tolist(), first_at.tolist(), strict=True), key=lambda item: item[1]):
            state.setdefault(("first", campaigns[c]), int(day[at]))
        first = np.array([state[("first", campaigns[c])] for c in distinct.tolist()], np.int64)[
            np.searchsorted(distinct, camp)]
        period = (day - first) // p.period_days if p.period_days > 1 else day.astype(np.int64)
        live = _LIVE[rows.disp]
        abandoned = rows.disp == _ABANDONED
        keys = np.stack([camp, period.astype(np.int64)], axis=1)[live]
        if not len(keys):
            return
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        lives = np.bincount(inverse, minlength=len(unique))
        abandons = np.bincount(inverse, weights=abandoned[live], minlength=len(unique)).astype(np.int64)
        # keys first met in judging order (the state dict keeps insertion order; finish sorts, but the
        # examples are per key in judging order)
        order = np.argsort(np.unique(inverse, return_index=True)[1], kind="stable")
        live_refs = rows.callref[live]
        live_abandoned = abandoned[live]
        for k in order.tolist():
            key = (campaigns[int(unique[k, 0])], int(unique[k, 1]))
            counts = state.get(key)
            if counts is None:
                counts = state[key] = [0, 0, []]
            counts[0] += int(lives[k])
            counts[1] += int(abandons[k])
            room = EXAMPLES - len(counts[2])
            if room > 0 and abandons[k]:
                refs = live_refs[(inverse == k) & live_abandoned][:room]
                counts[2].extend(self.blocks.call_texts(refs))

    def finish(self, auditor: Auditor, on_violation: Callable[[Violation], None]) -> int:
        """The findings of every campaign-level rule, counted and handed out as the row engine's `finish` does."""
        found = 0
        for rule in self.rules:
            for campaign, finding in finish_abandon(self.state[rule.id], rule, rule.prepared):
                auditor.count_found(rule.id, {campaign: 1})
                on_violation(Violation("", rule.id, "", "", "", campaign, "", "", (), finding.message,
                                       finding.evidence, "", 0, ""))
                found += 1
        return found
