"""The caps a calendar plan must respect: calls at once per site, per line, in the campaign and on the
trunk's channels, and calls started per second on the trunk.

Each placed call holds its place from its start for its group's `planned_seconds` (by default its
`max_seconds`, the dialer's hard cap, so the plan cannot exceed a cap however long calls last).
Starts are whole seconds, so "at most N calls per second" is "at most N calls in one second".
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import Counter
from dataclasses import dataclass, field


@dataclass(slots=True)
class Occupancy:
    """Calls holding one resource: at most `limit` at any instant."""

    name: str
    limit: int
    calls: list[tuple[float, float]] = field(default_factory=list)  # (start, end), sorted by start
    longest: float = 0.0

    def fits(self, start: float, seconds: float) -> bool:
        """Whether one more call over [start, start + seconds) keeps this resource within its limit."""
        end = start + seconds
        lo = bisect_left(self.calls, (start - self.longest, float("-inf")))
        hi = bisect_left(self.calls, (end, float("-inf")))
        overlapping = [(s, e) for s, e in self.calls[lo:hi] if e > start]
        if len(overlapping) < self.limit:
            return True
        # they overlap the new call, but maybe not each other: the peak inside [start, end) decides
        events = sorted([(max(s, start), 1) for s, _ in overlapping] + [(min(e, end), -1) for _, e in overlapping],
                        key=lambda event: (event[0], event[1]))
        peak = live = 0
        for _, step in events:
            live += step
            peak = max(peak, live)
        return peak < self.limit

    def add(self, start: float, seconds: float) -> None:
        insort(self.calls, (start, start + seconds))
        self.longest = max(self.longest, seconds)


@dataclass(slots=True)
class Caps:
    """Every cap of a campaign; `fits` and `add` take the call's site and line."""

    site_limits: dict[str, int]
    line_limits: dict[str, int]
    global_limit: int
    trunk_channels: int | None = None
    calls_per_second: int | None = None
    resources: dict[str, Occupancy] = field(default_factory=dict)
    starts: Counter[int] = field(default_factory=Counter)
    releases: list[int] = field(default_factory=list)
    """The whole seconds at which placed calls free their places, sorted: where a packed plan fits the next."""

    def _held(self, site: str, line: str) -> list[Occupancy]:
        wanted = [(f"site {site}", self.site_limits[site]), ("campaign", self.global_limit)]
        if line in self.line_limits:
            wanted.append((f"line {line}", self.line_limits[line]))
        if self.trunk_channels is not None:
            wanted.append(("trunk channels", self.trunk_channels))
        held = []
        for name, limit in wanted:
            if name not in self.resources:
                self.resources[name] = Occupancy(name, limit)
            held.append(self.resources[name])
        return held

    def fits(self, start: int, seconds: float, site: str, line: str) -> bool:
        if self.calls_per_second is not None and self.starts[start] >= self.calls_per_second:
            return False
        return all(r.fits(start, seconds) for r in self._held(site, line))

    def add(self, start: int, seconds: float, site: str, line: str) -> None:
        self.starts[start] += 1
        for r in self._held(site, line):
            r.add(start, seconds)
        insort(self.releases, start + math.ceil(seconds))

    def releases_between(self, first: int, end: int, most: int | None = None) -> list[int]:
        """Release seconds in [first, end), the earliest `most` of them."""
        lo = bisect_left(self.releases, first)
        hi = bisect_left(self.releases, end)
        return self.releases[lo:hi if most is None else min(hi, lo + most)]

    def describe(self, site: str, line: str) -> str:
        """The caps a call to this site and line is under, for an error that says why it did not fit."""
        parts = [f"site {site}: {self.site_limits[site]} at once", f"campaign: {self.global_limit} at once"]
        if line in self.line_limits:
            parts.append(f"line {line}: {self.line_limits[line]} at once")
        if self.trunk_channels is not None:
            parts.append(f"trunk: {self.trunk_channels} channels")
        if self.calls_per_second is not None:
            parts.append(f"trunk: {self.calls_per_second} calls/s")
        return ", ".join(parts)
