"""The attempts the columnar audit remembers: columns appended in judging order, chained per person.

The row engine's `Ledger` drops a person's attempt once a later-recorded one starts more than keep_s
after it. Here nothing is dropped when an attempt is recorded: each attempt points to the person's
attempt before it (`prev`), and the walk back over a person's attempts skips the dropped ones by that
same rule. `reach` (the latest start at or before an attempt in its chain, rounded up to the second)
tells the walk when nothing further back can be kept, and tells `append` which attempts no walk can
reach any more: those are compacted away when the arrays would otherwise grow. Appending a block
costs the block, not the store (a sorted store was merged anew with every block).
"""

from __future__ import annotations

import numpy as np

COLUMNS = (("group", np.int64), ("pos", np.int64), ("ts", np.float64), ("day", np.int64), ("disp", np.int8),
           ("camp", np.int32), ("key", np.int64), ("callref", np.int64), ("purpose", np.int8))
DEAD_SHARE = 0.25  # compact rather than grow once this share of the store can never be reached again
FIRST_CAPACITY = 1024


class AttemptStore:
    """Attempt columns (`columns`, in judging order) with `prev` and `reach` per attempt."""

    def __init__(self, keep_s: float, capacity: int | None = None) -> None:
        capacity = capacity or FIRST_CAPACITY
        self.keep_s = keep_s
        self.size = 0
        self._columns = {name: np.empty(capacity, dtype) for name, dtype in COLUMNS}
        self.prev = np.empty(capacity, np.int64)     # index of the person's attempt before (-1: none)
        self.reach = np.empty(capacity, np.float64)  # latest start, rounded up, at or before it in its chain
        self._last = np.full(1024, -1, np.int64)     # index of each group's latest attempt
        self.compactions = 0

    @property
    def columns(self) -> dict[str, np.ndarray]:
        size = self.size
        return {name: values[:size] for name, values in self._columns.items()}

    def append(self, values: dict[str, np.ndarray], order: np.ndarray | None = None) -> int:
        """Add a block's attempts (in judging order); returns the index of the first. `order`: the
        attempts by group, in judging order within each (a stable argsort of the groups), if at hand."""
        n = len(values["group"])
        self._make_room(n)
        base = self.size
        for name, column in self._columns.items():
            column[base:base + n] = values[name]
        group = values["group"]
        if len(group) and int(group.max()) >= len(self._last):
            bigger = np.full(max(int(group.max()) + 1, 2 * len(self._last)), -1, np.int64)
            bigger[:len(self._last)] = self._last
            self._last = bigger
        if order is None:
            order = np.argsort(group, kind="stable")  # by person, in judging order within each
        g = group[order]
        start = np.ones(n, bool)
        start[1:] = g[1:] != g[:-1]
        before = self._last[g[start]]
        prev = np.empty(n, np.int64)
        prev[1:] = base + order[:-1]
        prev[start] = before
        self.prev[base + order] = prev
        up = np.ceil(values["ts"][order])
        up[start] = np.maximum(up[start], np.where(before >= 0, self.reach[np.maximum(before, 0)], -np.inf))
        self.reach[base + order] = running_max_by_run(up, start)
        end = np.ones(n, bool)
        end[:-1] = start[1:]
        self._last[g[end]] = base + order[end]
        self.size += n
        return base

    def _make_room(self, n: int) -> None:
        capacity = len(self.prev)
        if self.size + n <= capacity:
            return
        if self.size:
            dead = self._dead()
            if np.count_nonzero(dead) >= DEAD_SHARE * self.size:
                self._compact(~dead)
        if self.size + n > capacity:
            grown = max(2 * capacity, self.size + n)
            for name, column in list(self._columns.items()):
                self._columns[name] = _grown(column, grown, self.size)
            self.prev = _grown(self.prev, grown, self.size)
            self.reach = _grown(self.reach, grown, self.size)

    def _dead(self) -> np.ndarray:
        """Attempts no walk back can keep: all of their chain up to them started more than keep_s (and a
        second, for the rounding) before the latest attempt of their person."""
        size = self.size
        latest = self.reach[self._last[self._columns["group"][:size]]]
        return self.reach[:size] < latest - self.keep_s - 1

    def _compact(self, keep: np.ndarray) -> None:
        kept = np.flatnonzero(keep)
        k = len(kept)
        new_index = np.full(self.size + 1, -1, np.int64)  # the extra slot: prev -1 stays -1
        new_index[kept] = np.arange(k)
        for column in self._columns.values():
            column[:k] = column[kept]
        self.prev[:k] = new_index[self.prev[kept]]  # a dead attempt's chain before it is dead too
        self.reach[:k] = self.reach[kept]
        known = self._last >= 0
        self._last[known] = new_index[self._last[known]]  # a person's latest attempt is never dead
        self.size = k
        self.compactions += 1


def _grown(values: np.ndarray, capacity: int, used: int) -> np.ndarray:
    bigger = np.empty(capacity, values.dtype)
    bigger[:used] = values[:used]
    return bigger


def running_max_by_run(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Running maximum of whole-number floats, starting over at each run (`start` marks run heads): one
    running maximum over the values offset by run, exact in int64."""
    if not len(values):
        return values
    finite = np.isfinite(values)
    low = float(values[finite].min()) if finite.any() else 0.0
    shifted = np.where(finite, values - low, -1.0).astype(np.int64) + 1  # -inf (none) becomes 0
    span = int(shifted.max()) + 1
    run = np.cumsum(start) - 1
    if span * (int(run[-1]) + 1) >= 1 << 62:  # starts centuries apart: run by run
        out = values.copy()
        heads = np.flatnonzero(start).tolist() + [len(values)]
        for lo, hi in zip(heads[:-1], heads[1:], strict=True):
            out[lo:hi] = np.maximum.accumulate(values[lo:hi])
        return out
    offset = run * span
    return (np.maximum.accumulate(offset + shifted) - offset - 1).astype(np.float64) + low
