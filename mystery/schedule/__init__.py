"""Scenario -> ordered call plans. Pure: no processes, no clock.

Calls of different groups are interleaved (round robin) so that a campaign interrupted half
way has sampled every line, and overlapping calls to one line really queue behind each other.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from mystery.scenario.load import CallGroup, Scenario
from mystery.scenario.plan import Account, CallPlan


def schedule_calls(scenario: Scenario, recordings_dir: Path, account: Account, campaign_key: str) -> list[CallPlan]:
    """One CallPlan per call, interleaved across groups; call ids are `<campaign>-<n>`."""
    return [call_plan(scenario, scenario.groups[i], n, recordings_dir, account, campaign_key)
            for n, i in enumerate(interleaved_groups(scenario), start=1)]


def interleaved_groups(scenario: Scenario) -> list[int]:
    """The group index of each call dialled at once, in dialling order (round robin over the groups)."""
    queues = [[i] * group.count for i, group in enumerate(scenario.groups)]
    ordered = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop())
    return ordered


def call_plan(scenario: Scenario, group: CallGroup, n: int, recordings_dir: Path, account: Account,
              campaign_key: str) -> CallPlan:
    """The CallPlan of call number `n` of the campaign, from its call group."""
    line = scenario.lines[group.line]
    call_id = f"{campaign_key}-{n:04d}"
    return CallPlan(
        uri=line.uri, steps=group.steps, ring_timeout_s=group.ring_timeout_s,
        max_seconds=group.max_seconds, recordings_dir=str(recordings_dir / campaign_key),
        recording_name=f"{call_id}.wav", call_id=call_id, line=group.line,
        voice=line.language, account=account, follow_redirects=group.follow_redirects,
    )


def account_from_settings(sip: object) -> Account:
    """The dialer's Account from `settings.sip` (same field names)."""
    names = {f.name for f in dataclasses.fields(Account)}
    return Account(**{name: getattr(sip, name) for name in names})
