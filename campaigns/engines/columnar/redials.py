"""The UK redial rule on the columnar engine: the latest abandoned call to each number of each person, as the
row engine's Ledger keeps it (`PersonHistory.abandoned`), followed through the judged rows in judging order.

Abandoned calls are few (about 1 %), so each is kept as the `Past` the Ledger would hold, call id included,
and never dropped (the Ledger keeps them for the whole audit too). A row is flagged for a redial rule when
an earlier-judged abandoned call to its number by the same person group is within the rule's hold; the
check's own `eval_redial` then decides it with that `Past` in the history (gather.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from campaigns.engines.columnar.columns import Blocks, Names, Rows
from campaigns.engines.columnar.layouts import PURPOSES_ANY
from campaigns.model.history import Past
from campaigns.model.records import DISPOSITIONS

ABANDONED = DISPOSITIONS.index("abandoned")


class Redials:
    """(group, number key) -> the latest judged abandoned call, and for the batch being judged, each row's."""

    def __init__(self, names: Names, blocks: Blocks) -> None:
        self.names = names
        self.blocks = blocks
        self.latest: dict[tuple[int, int], Past] = {}
        self.before: dict[int, Past] = {}
        """Row of the batch being judged -> the abandoned call before it (to its number, same group)."""

    def follow(self, rows: Rows, day: np.ndarray) -> None:
        """Walk a judged batch (rows in judging order) once: note each row's earlier abandoned call, then record
        the batch's own abandoned calls. Called once for every judged batch."""
        self.before = {}
        groups, keys = rows.group.tolist(), rows.key.tolist()
        latest = self.latest
        if latest:
            for i, pair in enumerate(zip(groups, keys, strict=True)):
                past = latest.get(pair)
                if past is not None:
                    self.before[i] = past
        abandoned = np.flatnonzero(rows.disp == ABANDONED)
        if not abandoned.size:
            return
        ids = self.blocks.call_texts(rows.callref[abandoned])
        phones = self.names.numbers.texts(rows.key[abandoned])
        campaigns = self.names.campaigns.array()[rows.camp[abandoned]].tolist()
        ts, days = rows.ts[abandoned].tolist(), day[abandoned].tolist()
        purposes = [PURPOSES_ANY[u] for u in rows.purpose[abandoned].tolist()]
        made = {int(i): Past(ts[k], int(days[k]), ids[k], phones[k], "abandoned", campaigns[k], purposes[k])
                for k, i in enumerate(abandoned.tolist())}
        # rows after an abandoned call of the batch see it (the Ledger records each row once judged)
        last: dict[tuple[int, int], Past] = {}
        first_abandoned = int(abandoned[0])
        for i in range(first_abandoned, len(groups)):
            pair = (groups[i], keys[i])
            past = last.get(pair)
            if past is not None:
                self.before[i] = past
            if i in made:
                last[pair] = made[i]
        latest.update(last)

    def flags(self, rule: Any, rows: Rows) -> np.ndarray:
        """Rows with an earlier abandoned call to their number less than the rule's hold before them."""
        mask = np.zeros(len(rows), bool)
        if self.before:
            ts = rows.ts
            hold = rule.prepared.hold_s
            for i, past in self.before.items():
                if past.ts < ts[i] and ts[i] - past.ts < hold:
                    mask[i] = True
        return mask
