"""The shape every check has: parse its parameters once, then judge one call.

A check is pure: (call, rule, prepared params, history, facts) -> Finding, NotEvaluated or None
(compliant). The audit and the guard call the same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from campaigns.model.call import Call
from campaigns.model.facts import Facts
from campaigns.model.history import PersonHistory
from campaigns.model.records import Finding


@dataclass(frozen=True, slots=True)
class NotEvaluated:
    """The rule could not be judged for this call; reason names the missing field."""

    reason: str


Outcome = Finding | NotEvaluated | None
Evaluate = Callable[[Call, Any, Any, "PersonHistory | None", Facts], Outcome]


@dataclass(frozen=True, slots=True)
class Check:
    """name: what rule packs write in `check:`; prepare: params -> parsed form; evaluate: the test;
    next_time: for checks whose findings leave `not_before` unset to keep the audit fast, the
    earliest epoch the rule could allow the call again (asked only by the guard); clock_only: see below."""

    name: str
    doc: str
    prepare: Callable[[Mapping[str, Any]], Any]
    evaluate: Evaluate
    next_time: Callable[[Call, Any, Any, PersonHistory | None, Facts], float | None] | None = None
    clock_only: Callable[[Any], bool] | None = None
    """Given the prepared params: does the verdict depend only on the callee's clock (zones, minute,
    region), apart from consent exemptions? Then the audit memoizes passes per minute."""


def no_params(params: Mapping[str, Any]) -> Mapping[str, Any]:
    return params


def days_of(items: Any) -> frozenset[int]:
    """['sat', 'sun'] -> {5, 6}."""
    from campaigns.model.localtime import WEEKDAYS

    out = set()
    for item in items or ():
        name = str(item).lower()[:3]
        if name not in WEEKDAYS:
            raise ValueError(f"expected a weekday (mon..sun), got {item!r}")
        out.add(WEEKDAYS.index(name))
    return frozenset(out)
