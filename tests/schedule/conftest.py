"""Helpers of the calendar-plan tests: write a scenario, and check a plan against the rules itself
(independently of the planner's own cap bookkeeping)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mystery.scenario.load import Scenario, load_scenario
from mystery.schedule.calendar import PlannedCall

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""The injected present of most tests: before every campaign they plan."""


@pytest.fixture
def scenario_from(tmp_path: Path) -> Callable[[str], Scenario]:
    def load(text: str) -> Scenario:
        path = tmp_path / "scenario.yaml"
        path.write_text(text)
        return load_scenario(path)

    return load


def most_at_once(spans: Iterable[tuple[float, float]]) -> int:
    """The largest number of [start, end) spans that overlap at one instant."""
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    live = peak = 0
    for _, step in events:
        live += step
        peak = max(peak, live)
    return peak


def span(call: PlannedCall) -> tuple[float, float]:
    assert call.at is not None
    start = call.at.timestamp()
    return start, start + call.hold_s


def most_starts_in_a_second(calls: Iterable[PlannedCall]) -> int:
    """Most calls started within any one-second interval [t, t + 1)."""
    starts = sorted(c.at.timestamp() for c in calls if c.at is not None)
    best, j = 0, 0
    for i, t in enumerate(starts):
        while starts[j] <= t - 1:
            j += 1
        best = max(best, i - j + 1)
    return best
