"""Each person's attempts and marks as the row engine's Ledger holds them, for the columnar audit: what
a judged row's history rules read, the evidence of earlier attempts, and the marks for the suppression list.

`Ledger` keeps, per principal and person, the attempts not trimmed yet (an attempt goes when a
later-recorded one starts more than keep_s after it), the latest refusal and the first opt-out. The
attempt store (attempts.py) chains each person's attempts; walking back from a row with a running maximum
of starts skips, by the same rule, what the Ledger has dropped, so the history a row sees can be rebuilt.
Refusals and opt-outs are kept per group as the Ledger keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import numpy as np

from campaigns.engines.columnar.attempts import AttemptStore
from campaigns.engines.columnar.columns import Blocks, Grow, Names, Rows
from campaigns.engines.columnar.groups import Groups
from campaigns.engines.columnar.layouts import PURPOSES_ANY
from campaigns.engines.columnar.verdicts import history_order
from campaigns.model.history import REFUSALS, Mark, Past, PersonHistory, past_json
from campaigns.model.localtime import utc_isos
from campaigns.model.records import DISPOSITIONS

OPT_OUT = DISPOSITIONS.index("opt_out")
REFUSAL_CODES = [DISPOSITIONS.index(d) for d in REFUSALS]
PAST_JSON_KEPT = 100_000  # evidence dicts of earlier attempts kept for later findings (about 40 MB)


class People:
    """The attempts and marks of every (principal, person) group, a judged block at a time: `history`
    before the block is judged, `record` after."""

    def __init__(self, keep_s: float, names: Names, groups: Groups, blocks: Blocks) -> None:
        self.keep_s = keep_s
        self.names = names
        self.groups = groups
        self.blocks = blocks
        self.attempts = AttemptStore(keep_s)
        self._refusal_ts = Grow(-np.inf, np.float64)
        self._refusal_past = Grow(-1, np.int64)
        self._opt_ts = Grow(np.inf, np.float64)
        self._opt_past = Grow(-1, np.int64)
        self._last_sort = Grow(-1, np.int64)
        self._first_pos = Grow(-1, np.int64)
        self._marked: list[Past] = []  # the refusals and opt-outs recorded, the marks point into it
        self._past_ts = np.zeros(0, np.float64)
        self._past_json = np.empty(0, object)  # see past_json: dicts, the first _past_json_count in use
        self._past_json_count = 0
        self._past_json_of = np.full(1 << 16, -1, np.int32)  # judging position -> index in _past_json (-1: none)

    def oldest_block(self) -> int | None:
        """The oldest block an attempt in the store refers to (its call id is read from there)."""
        refs = self.attempts.columns["callref"]
        return int(refs.min() >> 32) if len(refs) else None

    # ---------------------------------------------------------------- before judging a block

    def history(self, rows: Rows, pos: np.ndarray, local: dict[str, Any]) -> dict[str, Any]:
        """The block's attempts added to the store, and every (row, earlier attempt present for it) pair."""
        n = len(rows)
        store = self.attempts
        order = np.argsort(rows.group, kind="stable")  # (group, position): rows come in position order
        base = store.append({"group": rows.group, "pos": pos, "ts": rows.ts, "day": local["call_day"],
                             "disp": rows.disp, "camp": rows.camp, "key": rows.key, "callref": rows.callref,
                             "purpose": rows.purpose}, order)
        merged = store.columns
        # walk back from every row through the earlier attempts of its group
        T, prev, reach = merged["ts"], store.prev, store.reach
        active = np.arange(n)
        current = base + active
        running = np.full(n, -np.inf)
        pair_row, pair_at = [], []
        newest_present = np.full(n, -np.inf)
        while active.size:
            q = prev[current[active]]
            ok = q >= 0
            active, q = active[ok], q[ok]
            floor = running[active] - self.keep_s
            further = reach[q] >= floor  # else nothing at or before q is present: the walk stops
            active, q, floor = active[further], q[further], floor[further]
            if not active.size:
                break
            tq = T[q]
            present = tq >= floor
            running[active] = np.maximum(running[active], tq)
            pair_row.append(active[present])
            pair_at.append(q[present])
            np.maximum.at(newest_present, active[present], tq[present])
            current[active] = q
        pair_row_a = np.concatenate(pair_row) if pair_row else np.zeros(0, np.int64)
        pair_at_a = np.concatenate(pair_at) if pair_at else np.zeros(0, np.int64)
        has_history = np.zeros(n, bool)
        has_history[pair_row_a] = True
        # Ledger.record sorts a person's list when an attempt starts before the newest one present
        sorts = newest_present > rows.ts
        # refusal / opt-out as the Ledger holds them before each row
        refusal, opt_out = self._person_marks(rows, order, pos)
        return {"merged": merged, "pairs": (pair_row_a, pair_at_a), "has": has_history, "sorts": sorts,
                "refusal": refusal, "opt_out": opt_out, "order": order}

    def _person_marks(self, rows: Rows, order: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row, the batch row (>= 0) or stored past (-2 - index) holding the latest refusal and the
        first opt-out of its group before it; -1 when there is none."""
        n = len(rows)
        g = rows.group[order]
        ts = rows.ts[order]
        disp = rows.disp[order]
        start = np.ones(n, bool)
        start[1:] = g[1:] != g[:-1]
        segment = np.cumsum(start) - 1
        out = []
        for codes, latest, state_ts, state_past in ((REFUSAL_CODES, True, self._refusal_ts, self._refusal_past),
                                                    ([OPT_OUT], False, self._opt_ts, self._opt_past)):
            is_mark = np.isin(disp, codes)
            # rank marks by (start, position): the latest refusal is the largest, the first opt-out the smallest
            rank = np.zeros(n, np.int64)
            marks = np.flatnonzero(is_mark)
            ranked = marks[np.lexsort((pos[order][marks], ts[marks]))]
            rank[ranked] = np.arange(1, len(ranked) + 1) if latest else np.arange(len(ranked), 0, -1)
            big = len(ranked) + 1
            best = np.maximum.accumulate(segment * big + rank) - segment * big
            before = np.zeros(n, np.int64)
            before[1:] = best[:-1]
            before[start] = 0
            row_of_rank = np.zeros(big, np.int64)
            row_of_rank[rank[marks]] = marks
            choice = np.full(n, -1, np.int64)
            inside = before > 0
            choice[inside] = order[row_of_rank[before[inside]]]
            state_ts.ensure(len(self.groups))
            state_past.ensure(len(self.groups))
            stored_ts = state_ts.values[g]
            stored = state_past.values[g]
            inside_ts = np.where(inside, rows.ts[np.maximum(choice, 0)], np.nan)
            if latest:  # a later-recorded refusal replaces one that does not start after it
                use_stored = (stored >= 0) & (~inside | (inside_ts < stored_ts))
            else:  # a later-recorded opt-out replaces only one that starts after it
                use_stored = (stored >= 0) & (~inside | (stored_ts <= inside_ts))
            result = np.where(use_stored, -2 - stored, choice)
            final = np.empty(n, np.int64)
            final[order] = result
            out.append(final)
        return out[0], out[1]

    def mark_ts(self, rows: Rows, mark: np.ndarray) -> np.ndarray:
        """Start of each mark from `history` ("refusal", "opt_out"; NaN where there is none)."""
        out = np.full(len(rows), np.nan)
        batch = mark >= 0
        out[batch] = rows.ts[mark[batch]]
        stored = mark <= -2
        if len(self._past_ts) < len(self._marked):  # the start of every stored past, as an array
            more = np.fromiter((past.ts for past in self._marked[len(self._past_ts):]), np.float64)
            self._past_ts = np.concatenate([self._past_ts, more])
        out[stored] = self._past_ts[-2 - mark[stored]]
        return out

    def mark_pasts(self, rows: Rows, call_day: np.ndarray, marks: np.ndarray) -> list[Past | None]:
        """Past of each mark from `history` (None where there is none); call_day: the rows' local days."""
        out: list[Past | None] = [None] * len(marks)
        in_batch = np.unique(marks[marks >= 0])
        made = dict(zip(in_batch.tolist(), self._batch_pasts(rows, call_day, in_batch), strict=True))
        pasts = self._marked
        for slot, mark in enumerate(marks.tolist()):
            if mark <= -2:
                out[slot] = pasts[-2 - mark]
            elif mark >= 0:
                out[slot] = made[mark]
        return out

    def _batch_pasts(self, rows: Rows, call_day: np.ndarray, which: np.ndarray) -> list[Past]:
        """Past records of batch rows, as the Ledger makes them."""
        names = self.names.campaigns.names
        new = tuple.__new__
        return [new(Past, (t, d, c, p, DISPOSITIONS[x], names[m], PURPOSES_ANY[u])) for t, d, c, p, x, m, u in zip(
            rows.ts[which].tolist(), call_day[which].tolist(), self.blocks.call_texts(rows.callref[which]),
            self.names.numbers.texts(rows.key[which]), rows.disp[which].tolist(), rows.camp[which].tolist(),
            rows.purpose[which].tolist(), strict=True)]

    def _pasts(self, merged: dict[str, np.ndarray], at: np.ndarray) -> list[Past]:
        """Past records of the merged attempts at `at`, as the Ledger made them."""
        names = self.names.campaigns.names
        new = tuple.__new__
        return [new(Past, (t, d, c, p, DISPOSITIONS[x], names[m], PURPOSES_ANY[u])) for t, d, c, p, x, m, u in zip(
            merged["ts"][at].tolist(), merged["day"][at].tolist(), self.blocks.call_texts(merged["callref"][at]),
            self.names.numbers.texts(merged["key"][at]), merged["disp"][at].tolist(), merged["camp"][at].tolist(),
            merged["purpose"][at].tolist(), strict=True)]

    # ---------------------------------------------------------------- histories for the checks' own evaluate

    def histories(self, rows: Rows, call_day: np.ndarray, pos: np.ndarray, need: np.ndarray,
                  h: dict[str, Any]) -> tuple[dict[int, PersonHistory | None], np.ndarray | None]:
        """PersonHistory as the Ledger holds it before each row in `need` (a mask of the rows), and the starts
        of the earlier attempts they list (for formatting at once; None when no row is needed)."""
        chosen = np.flatnonzero(need)
        out: dict[int, PersonHistory | None] = {}
        if not chosen.size:
            return out, None
        merged = h["merged"]
        pair_row, pair_at = h["pairs"]
        keep = need[pair_row]
        pr, pa_ = pair_row[keep], pair_at[keep]
        order = history_order(pr, pa_, merged)
        pr, pa_ = pr[order], pa_[order]
        distinct, inverse = np.unique(pa_, return_inverse=True)  # an attempt is in several lists: one Past each
        made = self._pasts(merged, distinct)
        pasts_all = [made[k] for k in inverse.reshape(-1).tolist()]
        bounds = np.searchsorted(pr, chosen, side="left"), np.searchsorted(pr, chosen, side="right")
        # rows whose list holds two attempts with the same start: their order depends on the Ledger's sorts
        pair_ts = merged["ts"][pa_]
        tie = np.zeros(len(pr), bool)
        tie[1:] = (pr[1:] == pr[:-1]) & (pair_ts[1:] == pair_ts[:-1])
        tied = np.zeros(len(rows), bool)
        tied[pr[tie]] = True
        sorts_pos = self._last_sorts(rows, pos, h) if tie.any() else None
        marks = [self.mark_pasts(rows, call_day, h[name][chosen]) for name in ("refusal", "opt_out")]
        has = h["has"][chosen].tolist()
        for slot, (i, lo, hi) in enumerate(zip(chosen.tolist(), bounds[0].tolist(), bounds[1].tolist(), strict=True)):
            if not has[slot]:
                out[i] = None
                continue
            history = PersonHistory()
            pasts = pasts_all[lo:hi]
            if tied[i] and sorts_pos is not None:  # a tied row means sorts_pos was computed
                pasts = _tie_order(pasts, merged["pos"][pa_[lo:hi]].tolist(), int(sorts_pos[i]))
            history.attempts = pasts
            history.refusal = marks[0][slot]
            history.opt_out = marks[1][slot]
            out[i] = history
        return out, merged["ts"][distinct]

    def _last_sorts(self, rows: Rows, pos: np.ndarray, h: dict[str, Any]) -> np.ndarray:
        """Position of the last record that sorted each row's list before the row (-1 if none)."""
        order = h["order"]
        g = rows.group[order]
        self._last_sort.ensure(len(self.groups))
        stored = self._last_sort.values[g]
        first = int(pos[0])
        pos_sorted = first + order  # positions follow the row order
        event = np.where(h["sorts"][order], pos_sorted, -1)
        start = np.ones(len(g), bool)
        start[1:] = g[1:] != g[:-1]
        segment = np.cumsum(start) - 1
        big = first + len(rows) + 2
        best = np.maximum.accumulate(segment * big + event + 1) - segment * big - 1
        before = np.full(len(g), -1, np.int64)
        before[1:] = best[:-1]
        before[start] = -1
        result = np.maximum(before, stored)
        out = np.empty(len(g), np.int64)
        out[order] = result
        return out

    # ---------------------------------------------------------------- evidence of earlier attempts

    def past_json(self, merged: dict[str, np.ndarray], at: np.ndarray) -> np.ndarray:
        """Past.as_json of the merged attempts at `at`, as an object array: one dict per attempt, shared by
        the findings that list it, and kept for later blocks (a person's fifth call lists the four before
        it), found again by the attempt's judging position; the cache starts over past PAST_JSON_KEPT."""
        positions = merged["pos"][at]
        if len(positions) and positions.max() >= len(self._past_json_of):
            grown = np.full(max(2 * len(self._past_json_of), int(positions.max()) + 1), -1, np.int32)
            grown[:len(self._past_json_of)] = self._past_json_of
            self._past_json_of = grown
        index = self._past_json_of[positions]
        missing = np.flatnonzero(index < 0)
        if missing.size:
            new_positions, first = np.unique(positions[missing], return_index=True)
            if self._past_json_count + len(new_positions) > PAST_JSON_KEPT:
                self._past_json_count = 0
                self._past_json_of.fill(-1)
                new_positions, first = np.unique(positions, return_index=True)
                missing = np.arange(len(positions))
            made = self._make_past_json(merged, at[missing[first]])
            start, end = self._past_json_count, self._past_json_count + len(made)
            if end > len(self._past_json):
                grown_cache = np.empty(max(2 * len(self._past_json), end, 1024), object)
                grown_cache[:start] = self._past_json[:start]
                self._past_json = grown_cache
            self._past_json[start:end] = made  # dicts are not sequences: numpy stores them as they are
            self._past_json_of[new_positions] = np.arange(start, end, dtype=np.int32)
            self._past_json_count = end
            index = self._past_json_of[positions]
        return self._past_json[index]

    def _make_past_json(self, merged: dict[str, np.ndarray], at: np.ndarray) -> list[dict[str, object]]:
        texts = utc_isos(merged["ts"][at])
        names = self.names.campaigns.names
        return [past_json(c, t, p, DISPOSITIONS[d], names[m], PURPOSES_ANY[u])
                for c, t, p, d, m, u in zip(self.blocks.call_texts(merged["callref"][at]), texts,
                                            self.names.numbers.texts(merged["key"][at]), merged["disp"][at].tolist(),
                                            merged["camp"][at].tolist(), merged["purpose"][at].tolist(), strict=True)]

    @staticmethod
    def marks_json(pasts: Sequence[Past | None]) -> list[dict[str, object] | None]:
        """Past.as_json of refusals or opt-outs (None stays None), their times formatted at once."""
        texts = utc_isos(np.array([0.0 if past is None else past.ts for past in pasts], np.float64))
        return [None if past is None else past_json(past.call_id, text, past.phone, past.disposition, past.campaign,
                                                    past.purpose)
                for past, text in zip(pasts, texts, strict=True)]

    # ---------------------------------------------------------------- after judging a block

    def record(self, rows: Rows, pos: np.ndarray, call_day: np.ndarray, h: dict[str, Any] | None) -> None:
        """The per-person marks after the block (first attempts, refusals, opt-outs, sorts of the Ledger's
        lists); the attempts themselves went into the store in `history`."""
        groups = len(self.groups)
        for state in (self._refusal_ts, self._refusal_past, self._opt_ts, self._opt_past, self._last_sort,
                      self._first_pos):
            state.ensure(groups)
        first = self._first_pos.values
        earliest = np.full(len(first), np.iinfo(np.int64).max)
        np.minimum.at(earliest, rows.group, pos)
        fresh = (first < 0) & (earliest < np.iinfo(np.int64).max)
        first[fresh] = earliest[fresh]
        # refusals and opt-outs, in judging order (the row engine's update rules), on plain lists
        marks = np.flatnonzero(np.isin(rows.disp, [*REFUSAL_CODES]))
        mark_groups = np.unique(rows.group[marks])
        refusal = dict(zip(mark_groups.tolist(), zip(self._refusal_ts.values[mark_groups].tolist(),
                                                      self._refusal_past.values[mark_groups].tolist(), strict=True),
                           strict=True))
        opt = dict(zip(mark_groups.tolist(), zip(self._opt_ts.values[mark_groups].tolist(),
                                                  self._opt_past.values[mark_groups].tolist(), strict=True), strict=True))
        made = self._batch_pasts(rows, call_day, marks)  # rows of this block: each has its Past
        for g, t, disp, past in zip(rows.group[marks].tolist(), rows.ts[marks].tolist(), rows.disp[marks].tolist(),
                                    made, strict=True):
            index = -1
            held_ts, held = refusal[g]
            if held < 0 or held_ts <= t:
                self._marked.append(past)
                index = len(self._marked) - 1
                refusal[g] = (t, index)
            held_ts, held = opt[g]
            if disp == OPT_OUT and (held < 0 or held_ts > t):
                if index < 0:
                    self._marked.append(past)
                    index = len(self._marked) - 1
                opt[g] = (t, index)
        if refusal:
            changed = np.array(list(refusal), np.int64)
            values = list(refusal.values())
            self._refusal_ts.values[changed] = [v[0] for v in values]
            self._refusal_past.values[changed] = [v[1] for v in values]
            values = list(opt.values())
            self._opt_ts.values[changed] = [v[0] for v in values]
            self._opt_past.values[changed] = [v[1] for v in values]
        if h is not None:
            sorted_events = np.flatnonzero(h["sorts"])
            if sorted_events.size:
                np.maximum.at(self._last_sort.values, rows.group[sorted_events], pos[sorted_events])

    def marks(self) -> list[Mark]:
        """The refusals and opt-outs as Ledger.marks gives them (first-recorded order), for the suppression list."""
        size = len(self.groups)
        self._refusal_past.ensure(size)
        self._opt_past.ensure(size)
        self._first_pos.ensure(size)
        marked = np.flatnonzero((self._refusal_past.values[:size] >= 0) | (self._opt_past.values[:size] >= 0))
        order = marked[np.argsort(self._first_pos.values[marked], kind="stable")]
        pasts = [*self._marked, None]  # index -1: none
        people = self.groups.people(order)
        principal = self.groups.principals(order)
        return list(zip(self.names.principals.array()[principal].tolist(), map(itemgetter(0), people),
                        map(pasts.__getitem__, self._opt_past.values[order].tolist()),
                        map(pasts.__getitem__, self._refusal_past.values[order].tolist()), strict=True))


def _tie_order(pasts: list[Past], positions: list[int], last_sort: int) -> list[Past]:
    """Equal start times: those recorded before the Ledger last sorted the list are in tuple order,
    the ones appended since in the order they came."""
    out: list[Past] = []
    k = 0
    while k < len(pasts):
        j = k
        while j < len(pasts) and pasts[j].ts == pasts[k].ts:
            j += 1
        group = list(zip(positions[k:j], pasts[k:j], strict=True))
        before = sorted(p for q, p in group if q <= last_sort)
        after = [p for q, p in sorted(group, key=lambda item: item[0]) if q > last_sort]
        out.extend(before + after)
        k = j
    return out
