"""Fine exposure of an audit: one maximum per breach type, not per call, and the packs' caps.

Multiplying a rule's maximum by every call overstates what a regulator can impose (EUR 80 M for four
objections): an administrative fine punishes a breach (C. consom. L242-16, GDPR art. 83), while US
statutory damages are per call (47 U.S.C. 227(c)(5)), so each pack's fine says which (`basis`). GDPR
art. 83(3) caps the total for infringements of the same or linked processing at the gravest one's
amount (`cap: gravest`). Pure functions: the summary prints what they return.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from campaigns.rules.model import Fine, Pack


def rule_exposure(fine: Fine, violations: int) -> tuple[float, float]:
    """(low, high) a rule's violations expose the caller to: per call, or one breach whatever the count."""
    if violations <= 0:
        return 0.0, 0.0
    if fine.basis == "call":
        return violations * fine.low, violations * fine.high
    return fine.low, fine.high


def pack_exposure(packs: Iterable[Pack], violations: Mapping[str, int]) -> list[dict[str, Any]]:
    """Per pack with a fine and at least one violation: the breach types, their sum and the cap applied."""
    out = []
    for pack in packs:
        broken = [(rule, violations.get(rule.id, 0)) for rule in pack.rules
                  if rule.fine is not None and violations.get(rule.id, 0) > 0]
        if not broken:
            continue
        ranges = [rule_exposure(rule.fine, count) for rule, count in broken if rule.fine is not None]
        low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
        caps = {rule.fine.cap for rule, _ in broken if rule.fine is not None}
        capped = "gravest" in caps
        if capped:
            low, high = max(r[0] for r in ranges), max(r[1] for r in ranges)
        first = next(rule.fine for rule, _ in broken if rule.fine is not None)
        out.append({"pack": pack.name, "currency": first.currency, "breach_types": [rule.id for rule, _ in broken],
                    "calls": sum(count for _, count in broken), "low": low, "high": high, "basis": first.basis,
                    "cap": "gravest infringement (GDPR art. 83(3))" if capped else "none: breach types add up",
                    "citation": first.citation})
    return out
