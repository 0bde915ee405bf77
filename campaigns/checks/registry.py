"""Check name -> check. Rule packs refer to these names; the CLI (`campaigns rules`) and docs list them."""

from __future__ import annotations

from campaigns.checks import dialing, frequency, lists, refusal, windows
from campaigns.checks.abandonment import AGGREGATES, Aggregate
from campaigns.checks.base import Check

CHECKS: dict[str, Check] = {
    check.name: check
    for module in (windows, frequency, refusal, lists, dialing)
    for check in module.CHECKS
}
AGGREGATE_CHECKS: dict[str, Aggregate] = {aggregate.name: aggregate for aggregate in AGGREGATES}


def known_checks() -> list[str]:
    return sorted([*CHECKS, *AGGREGATE_CHECKS])
