"""The columnar audit's attempt store against the row engine's rule, written out plainly: a person's
attempt is dropped once a later-recorded one starts more than keep_s after it."""

from __future__ import annotations

import numpy as np
import pytest

from campaigns.engines.columnar.attempts import AttemptStore, running_max_by_run

KEEP_S = 10 * 86400.0


def _walk(store: AttemptStore, index: int) -> list[int]:
    """Positions of the attempts present before the one at `index`, by the store's chain (as _history walks
    it, the stop on `reach` included)."""
    columns = store.columns
    running, found = -np.inf, []
    q = int(store.prev[index])
    while q >= 0 and store.reach[q] >= running - KEEP_S:
        ts = float(columns["ts"][q])
        if ts >= running - KEEP_S:
            found.append(int(columns["pos"][q]))
        running = max(running, ts)
        q = int(store.prev[q])
    return sorted(found)


@pytest.mark.parametrize("late_share", [0.0, 0.2])
def test_walks_find_what_the_ledger_keeps_through_growth_and_compaction(late_share):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    rows, groups = 6000, 40
    ts = np.sort(1.7e9 + rng.integers(0, 200 * 86400, rows).astype(float) + rng.random(rows).round(1))
    late = rng.random(rows) < late_share
    ts[late] -= rng.integers(1, 20 * 86400, int(late.sum()))  # recorded after later starts
    group = rng.integers(0, groups, rows)
    store = AttemptStore(KEEP_S, capacity=32)
    ledger: dict[int, list[tuple[float, int]]] = {}  # group -> (start, position) kept, as Ledger.record keeps
    for block in np.array_split(np.arange(rows), 150):
        base = store.append({"group": group[block], "pos": block, "ts": ts[block], "day": block,
                             "disp": np.zeros(len(block), np.int8), "camp": np.zeros(len(block), np.int32),
                             "key": block, "callref": block, "purpose": np.zeros(len(block), np.int8)})
        for k, row in enumerate(block.tolist()):
            kept = ledger.setdefault(int(group[row]), [])
            assert _walk(store, base + k) == sorted(p for _, p in kept), row
            kept.append((float(ts[row]), row))
            newest = max(t for t, _ in kept)
            # dropped: started more than keep_s before a later-recorded one
            ledger[int(group[row])] = [(t, p) for i, (t, p) in enumerate(kept)
                                       if t >= max([t2 for t2, _ in kept[i + 1:]], default=t) - KEEP_S]
            assert newest == max(t for t, _ in ledger[int(group[row])])
    assert store.compactions >= 3
    assert store.size < rows * 0.6  # what no walk can reach went away


def test_running_max_by_run_starts_over_at_each_run():  # type: ignore[no-untyped-def]
    values = np.array([5.0, 3.0, 9.0, 2.0, 1.0, 4.0, -7.0, 8.0e12, 3.0])
    start = np.array([True, False, False, True, False, False, True, False, True])
    assert running_max_by_run(values, start).tolist() == [5.0, 5.0, 9.0, 2.0, 2.0, 4.0, -7.0, 8.0e12, 3.0]
    far = np.array([-2.0e18, 2.0e18, 1.0])  # too wide to offset in int64: run by run
    assert running_max_by_run(far, np.array([True, False, True])).tolist() == [-2.0e18, 2.0e18, 1.0]
