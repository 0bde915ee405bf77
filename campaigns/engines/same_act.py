"""One finding per act: where two rules describe the same act on one call (a call after an opt-out breaks
both D223-9's refusal bar and GDPR art. 21), the more specific rule's finding is kept and the other rule
is listed in its `also_breaches`, so a regulator does not read two breaches where the law sees one.

Which rule is the more specific one is declared on it: `same_act_as: [other.rule, ...]` in its params.
Both engines merge the findings of each call through `merge`, and uncount the dropped ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from campaigns.model.records import Violation


def same_act_table(rules: Iterable[object]) -> dict[str, frozenset[str]]:
    """kept rule id -> the rule ids whose finding on the same call it absorbs (from `same_act_as`)."""
    out: dict[str, frozenset[str]] = {}
    for rule in rules:
        others = getattr(rule, "params", {}).get("same_act_as") or ()
        if others:
            out[rule.id] = frozenset(others)  # type: ignore[attr-defined]
    return out


def absorbed_by(rules: list[str], table: Mapping[str, frozenset[str]]) -> dict[str, str]:
    """Of the rules found on one call (in the order found): dropped rule -> the rule whose finding keeps it."""
    present = set(rules)
    absorbed: dict[str, str] = {}
    for rule in rules:
        for other in table.get(rule, ()):
            if other in present and other not in absorbed and other != rule:
                absorbed[other] = rule
    return absorbed


def merge(found: list[Violation], table: Mapping[str, frozenset[str]]) -> tuple[list[Violation], list[Violation]]:
    """(findings kept, findings dropped) of one call: a finding whose rule a kept one absorbs is dropped, and
    its rule added to the kept finding's also_breaches (in the order found)."""
    absorbed = absorbed_by([v.rule for v in found], table)
    if not absorbed:
        return found, []
    kept: list[Violation] = []
    dropped: list[Violation] = []
    for v in found:
        if v.rule in absorbed and absorbed[v.rule] not in absorbed:  # (a keeper that is itself absorbed keeps all)
            dropped.append(v)
            continue
        kept.append(v)
    also = {rule: tuple(d.rule for d in dropped if absorbed[d.rule] == rule) for rule in {absorbed[d.rule] for d in dropped}}
    return [v._replace(also_breaches=v.also_breaches + also[v.rule]) if also.get(v.rule) else v for v in kept], dropped
