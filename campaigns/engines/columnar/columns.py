"""The columnar engine's shared tables: attempts as columns (Rows), strings as small ids (Interner),
per-group arrays that grow (Grow), and the names every part reads (Names)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from campaigns.engines.columnar.phone_forms import NumberTable


def object_array(items: list[Any]) -> np.ndarray:
    """`items` as a one-dimensional object array, to gather with index arrays (tuples and dicts are stored
    as they are, not read as rows)."""
    out = np.empty(len(items), object)
    out[:] = items
    return out


@dataclass(slots=True)
class Rows:
    """Attempts as columns (one entry per attempt; `block`/`index` point at the Arrow row)."""

    seq: np.ndarray
    ts: np.ndarray
    line: np.ndarray
    key: np.ndarray
    profile: np.ndarray
    camp: np.ndarray
    principal: np.ndarray
    purpose: np.ndarray
    disp: np.ndarray
    group: np.ndarray
    region: np.ndarray
    block: np.ndarray
    index: np.ndarray
    callref: np.ndarray  # block << 32 | row of the block: the call id stays in the block's Arrow column
    mode: np.ndarray
    cli: np.ndarray

    def take(self, which: np.ndarray) -> Rows:
        return Rows(*(getattr(self, name)[which] for name in self.__slots__))

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        return Rows(*(np.concatenate([getattr(p, name) for p in parts]) for name in Rows.__slots__))

    @staticmethod
    def empty() -> Rows:
        return Rows(*(np.zeros(0, dtype) for dtype in (np.int64, np.float64, np.int64, np.int64, np.int32, np.int32,
                                                       np.int32, np.int8, np.int8, np.int64, np.int32, np.int32,
                                                       np.int64, np.int64, np.int32, np.int32)))

    def __len__(self) -> int:
        return len(self.ts)


class Interner:
    """Strings <-> small integer ids."""

    def __init__(self, *first: str) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self._array = np.empty(0, object)
        for name in first:
            self.id(name)

    def array(self) -> np.ndarray:
        """The names as an object array, for gathering many at once (names are only ever added)."""
        if len(self._array) != len(self.names):
            # the log reader's thread may add one meanwhile (a slice is taken at once)
            self._array = object_array(self.names[:])
        return self._array

    def id(self, name: str) -> int:
        hit = self.ids.get(name)
        if hit is None:
            hit = self.ids[name] = len(self.names)
            self.names.append(name)
        return hit

    def many(self, array: pa.Array) -> np.ndarray:
        encoded = pc.dictionary_encode(array).combine_chunks() if isinstance(array, pa.ChunkedArray) else \
            pc.dictionary_encode(array)
        table = np.array([self.id(name) for name in encoded.dictionary.to_pylist()], np.int32)
        return table[encoded.indices.to_numpy(zero_copy_only=False)] if len(table) else np.zeros(0, np.int32)


class Grow:
    """Per-group arrays that grow with the number of groups."""

    def __init__(self, fill: Any, dtype: Any) -> None:
        self.fill = fill
        self.values = np.full(1024, fill, dtype)

    def ensure(self, size: int) -> None:
        if size > len(self.values):
            bigger = np.full(max(size, 2 * len(self.values)), self.fill, self.values.dtype)
            bigger[:len(self.values)] = self.values
            self.values = bigger


@dataclass(slots=True)
class Names:
    """Numbers and the interned names of one audit: added to by the reader thread only, read by the judging
    at ids a block it has been given holds."""

    numbers: NumberTable
    campaigns: Interner = field(default_factory=Interner)
    principals: Interner = field(default_factory=Interner)
    regions: Interner = field(default_factory=lambda: Interner(""))
    leads: Interner = field(default_factory=Interner)
    modes: Interner = field(default_factory=lambda: Interner(""))
    clis: Interner = field(default_factory=Interner)
    zones: Interner = field(default_factory=Interner)
    countries: Interner = field(default_factory=Interner)
    person_ids: Interner = field(default_factory=Interner)
    _profile_zones: np.ndarray = field(init=False, default_factory=lambda: np.empty(0, object))

    def zones_of_profiles(self) -> np.ndarray:
        """The zones tuple of every number profile, as an object array (profiles are only ever added)."""
        if len(self._profile_zones) != len(self.numbers.profiles):
            self._profile_zones = object_array([profile[1] for profile in self.numbers.snapshot()])
        return self._profile_zones


class Blocks:
    """The Arrow tables of the blocks a waiting or judged row still needs (with rows the vectorized tests
    could not read, converted one by one), and the call id columns a kept attempt still refers to."""

    def __init__(self) -> None:
        self._tables: dict[int, tuple[pa.Table, dict[int, Any]]] = {}
        self._call_ids: dict[int, pa.Array] = {}

    def add(self, number: int, table: pa.Table, overrides: dict[int, Any], call_ids: pa.Array) -> None:
        """Called on the reader thread, for a block the judging has not been given yet."""
        self._tables[number] = (table, overrides)
        self._call_ids[number] = call_ids

    def table(self, number: int) -> tuple[pa.Table, dict[int, Any]]:
        """(table, row -> Attempt for the rows converted one by one)."""
        return self._tables[number]

    def release(self, waiting: set[int], oldest_ref: int | None, judged: int) -> None:
        """Drop the tables of judged blocks no waiting row is in, and the call ids of blocks before both the
        waiting rows' and `oldest_ref` (the oldest block a kept attempt refers to); blocks after `judged`
        are ingested but not judged yet."""
        for number in list(self._tables):
            if number not in waiting and number <= judged:
                del self._tables[number]
        oldest = min([*waiting, *([oldest_ref] if oldest_ref is not None else [])], default=None)
        for number in list(self._call_ids):
            if (oldest is None or number < oldest) and number <= judged:
                del self._call_ids[number]

    def call_texts(self, refs: np.ndarray) -> list[str]:
        """Call ids of attempts from their references (block << 32 | row), taken from the blocks' columns."""
        if not len(refs):
            return []
        blocks = refs >> 32
        rows = refs & 0xFFFFFFFF
        distinct = np.unique(blocks)
        if len(distinct) == 1:
            return self._call_ids[int(distinct[0])].take(pa.array(rows)).to_pylist()
        # each block's ids taken in block order, then put back in the asked order, all in Arrow
        by_block = np.argsort(blocks, kind="stable")
        ordered = blocks[by_block]
        cuts = [0, *(np.flatnonzero(ordered[1:] != ordered[:-1]) + 1).tolist(), len(refs)]
        parts = [self._call_ids[int(ordered[lo])].take(pa.array(rows[by_block[lo:hi]]))
                 for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)]
        back = np.empty(len(refs), np.int64)
        back[by_block] = np.arange(len(refs))
        return pa.concat_arrays(parts).take(pa.array(back)).to_pylist()
