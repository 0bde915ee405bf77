"""Rules and packs as data: what a rule says, where it comes from, how sure we are, when it applies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from campaigns.model.records import InForce


@dataclass(frozen=True, slots=True)
class Fine:
    """Exposure per breach: a range and the text that sets it.

    basis: "breach_type" (one maximum per rule broken, however many calls: an administrative fine
    punishes a breach, not each call) or "call" (statutory damages per call, as the TCPA's);
    cap: "gravest" when the pack's breaches together are capped at the gravest one's maximum (GDPR
    art. 83(3)), "" when they add up.
    """

    low: float
    high: float
    currency: str
    per: str
    citation: str
    basis: str = "breach_type"
    cap: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "currency": self.currency, "per": self.per,
                "citation": self.citation, "basis": self.basis, "cap": self.cap}


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of a pack.

    id: stable `pack.rule`; check: name of the check function (campaigns.checks.registry);
    citation: the legal text; certainty: V (verified), S (secondary source), U (unverified);
    in_force: dates (inclusive) the rule applies to a call's local date;
    purposes: call purposes it covers (empty = every purpose); countries: callee countries
    (empty = every country); needs: inputs without which it is "not evaluated" for the whole run;
    params: interpretation choices, printed in every report; prepared: params parsed by the check.
    """

    id: str
    pack: str
    title: str
    check: str
    citation: str
    certainty: str
    in_force: InForce
    purposes: frozenset[str]
    countries: frozenset[str]
    needs: tuple[str, ...]
    params: Mapping[str, Any]
    fine: Fine | None = None
    prepared: Any = field(default=None, compare=False, repr=False)

    def applies_on(self, day: date) -> bool:
        return self.in_force.covers(day)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for reports and the evidence pack."""
        return {
            "id": self.id, "pack": self.pack, "title": self.title, "check": self.check,
            "citation": self.citation, "certainty": self.certainty,
            "in_force": {"from": _iso(self.in_force.start), "until": _iso(self.in_force.end)},
            "purposes": sorted(self.purposes), "countries": sorted(self.countries),
            "needs": list(self.needs), "params": dict(self.params),
            "fine": self.fine.as_json() if self.fine else None,
        }


@dataclass(frozen=True, slots=True)
class Pack:
    """A named set of rules, e.g. `fr-2023`; `includes` are packs always applied with it."""

    name: str
    title: str
    version: str
    source_file: str
    rules: tuple[Rule, ...]
    includes: tuple[str, ...] = ()
    enabled_by_default: bool = True


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
