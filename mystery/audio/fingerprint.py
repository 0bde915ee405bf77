"""Cross-call fingerprints: recorded prompts, announcements and music repeat identically, people never do.

Landmark hashes (pairs of spectral peaks: frequency, frequency difference, time difference),
as in Wang's "An Industrial-Strength Audio Search Algorithm" (Shazam, 2003). A stretch of audio
matches a library item when many of its hashes agree on one time offset. Peaks survive G.711,
level changes and a different 20 ms framing, so the same prompt in another call matches while a
live agent (other words, other voice, other timing) never does.

`FingerprintLibrary` is one line's memory: every stretch heard on the line is added with its call
id; a stretch that matches an item from *another* call is a recording. It is stored as two files
in a directory (`items.json`, `hashes.npz`) and grows with each campaign.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
from scipy.ndimage import maximum_filter

from mystery.audio.features import FRAME_S

_LO, _HI = 6, 232           # bins of the 512-point spectrum: ~100-3600 Hz
PEAKS_PER_S = 30
FAN_OUT = 10
MAX_DT = 40                 # frames (0.8 s) between anchor and target
MAX_DF = 60                 # bins


@dataclass(frozen=True, slots=True)
class Landmarks:
    """Hashes of a stretch of audio and the frame (20 ms) of each hash's anchor peak."""

    hashes: np.ndarray      # uint32
    frames: np.ndarray      # int32, frame index of the anchor


@dataclass(frozen=True, slots=True)
class LibraryItem:
    """One stretch of audio heard on a line."""

    item_id: int
    call_id: str
    label: str              # label given when it was stored
    n_frames: int
    repeated: bool = False  # matched a stretch of another call at least once


@dataclass(frozen=True, slots=True)
class Match:
    """A stretch of a query that repeats a library item (or another stretch of the same call)."""

    item: LibraryItem
    hits: int               # hashes agreeing on the offset
    score: float            # hits / query hashes in the overlap
    start_frame: int        # first query frame covered by the item
    end_frame: int          # frame after the last one covered


def landmarks(power: np.ndarray, start_frame: int = 0, end_frame: int | None = None) -> Landmarks:
    """Landmark hashes of power-spectrum frames [start_frame, end_frame) (frame numbers kept absolute)."""
    end_frame = len(power) if end_frame is None else end_frame
    spec = 10 * np.log10(power[start_frame:end_frame, _LO:_HI].astype(np.float64) + 1e-12)
    n = len(spec)
    if n < 3:
        return Landmarks(np.zeros(0, np.uint32), np.zeros(0, np.int32))
    is_peak = (spec == maximum_filter(spec, size=(9, 15))) & (spec > spec.max() - 45)
    t, f = np.nonzero(is_peak)
    strength = spec[t, f]
    # keep the strongest peaks, about PEAKS_PER_S per second, spread over time by 1 s blocks
    keep = np.zeros(len(t), bool)
    per_block = int(PEAKS_PER_S)
    block = t // 50
    for b in np.unique(block):
        idx = np.flatnonzero(block == b)
        keep[idx[np.argsort(strength[idx])[::-1][:per_block]]] = True
    t, f = t[keep], f[keep]
    order = np.lexsort((f, t))
    t, f = t[order], f[order]
    hashes: list[np.ndarray] = []
    anchors: list[np.ndarray] = []
    for k in range(1, FAN_OUT + 1):
        if k >= len(t):
            break
        dt = t[k:] - t[:-k]
        df = f[k:] - f[:-k]
        ok = (dt > 0) & (dt <= MAX_DT) & (np.abs(df) <= MAX_DF)
        h = (f[:-k].astype(np.uint32) << 14) | ((df + MAX_DF).astype(np.uint32) << 6) | dt.astype(np.uint32)
        hashes.append(h[ok])
        anchors.append(t[:-k][ok])
    if not hashes:
        return Landmarks(np.zeros(0, np.uint32), np.zeros(0, np.int32))
    return Landmarks(np.concatenate(hashes), (np.concatenate(anchors) + start_frame).astype(np.int32))


class FingerprintLibrary:
    """Hash index of every stretch heard on one line; optional directory storage."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self.items: list[LibraryItem] = []
        self._hashes = np.zeros(0, np.uint32)
        self._items = np.zeros(0, np.int32)
        self._frames = np.zeros(0, np.int32)
        self._sorted = True
        if directory is not None and (directory / "items.json").exists():
            self._load(directory)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, call_id: str, label: str, marks: Landmarks, n_frames: int, offset_frame: int) -> LibraryItem:
        """Store a stretch; `offset_frame` is its first frame in the call (item times start at 0)."""
        item = LibraryItem(len(self.items), call_id, label, n_frames)
        self.items.append(item)
        self._hashes = np.concatenate([self._hashes, marks.hashes])
        self._items = np.concatenate([self._items, np.full(len(marks.hashes), item.item_id, np.int32)])
        self._frames = np.concatenate([self._frames, marks.frames - offset_frame])
        self._sorted = False
        return item

    def mark_repeated(self, item_id: int) -> None:
        self.items[item_id] = replace(self.items[item_id], repeated=True)

    def _sort(self) -> None:
        if not self._sorted:
            order = np.argsort(self._hashes, kind="stable")
            self._hashes, self._items, self._frames = self._hashes[order], self._items[order], self._frames[order]
            self._sorted = True

    def match(self, marks: Landmarks, exclude_call: str | None = None, min_hits: int = 12,
              min_score: float = 0.04) -> list[Match]:
        """Items whose hashes line up with `marks` at one time offset, best first."""
        if not len(marks.hashes) or not len(self._hashes):
            return []
        self._sort()
        lo = np.searchsorted(self._hashes, marks.hashes, "left")
        hi = np.searchsorted(self._hashes, marks.hashes, "right")
        counts = hi - lo
        if not counts.sum():
            return []
        q = np.repeat(np.arange(len(marks.hashes)), counts)
        pos = np.repeat(lo, counts) + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        items = self._items[pos]
        offsets = marks.frames[q] - self._frames[pos]     # query frame of the item's frame 0
        if exclude_call is not None:
            allowed = np.array([it.call_id != exclude_call for it in self.items])
            keep = allowed[items]
            items, offsets, q = items[keep], offsets[keep], q[keep]
        if not len(items):
            return []
        # votes per (item, offset), tolerating one frame of jitter
        key = items.astype(np.int64) * 1_000_000 + (offsets.astype(np.int64) + 500_000)
        uniq, votes = np.unique(key, return_counts=True)
        near = dict(zip(uniq.tolist(), votes.tolist(), strict=True))
        smoothed = np.array([near.get(k - 1, 0) + v + near.get(k + 1, 0) for k, v in zip(uniq, votes, strict=True)])
        results: list[Match] = []
        seen: set[int] = set()
        for idx in np.argsort(smoothed)[::-1]:
            hits = int(smoothed[idx])
            if hits < min_hits:
                break
            item_id = int(uniq[idx] // 1_000_000)
            if item_id in seen:
                continue
            seen.add(item_id)
            offset = int(uniq[idx] % 1_000_000) - 500_000
            agree = (items == item_id) & (np.abs(offsets - offset) <= 1)
            frames = marks.frames[q[agree]]
            targets = frames + (marks.hashes[q[agree]] & 0x3F).astype(np.int32)   # the paired peak's frame
            # the span the agreeing hashes cover (a stored item may be longer than what repeats)
            start, end = int(frames.min()), int(targets.max()) + 3
            in_overlap = int(np.count_nonzero((marks.frames >= start) & (marks.frames < end)))
            score = hits / max(in_overlap, 1)
            if score >= min_score:
                results.append(Match(self.items[item_id], hits, score, start, end))
        return results

    def save(self, directory: Path | None = None) -> None:
        """Write `items.json` and `hashes.npz` atomically (a crash leaves the old library intact)."""
        directory = directory or self.directory
        if directory is None:
            raise ValueError("no directory to save the fingerprint library to")
        directory.mkdir(parents=True, exist_ok=True)
        self._sort()
        for name, writer in (("hashes.npz", self._write_hashes), ("items.json", self._write_items)):
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
            with os.fdopen(fd, "wb") as out:
                writer(out)
            os.replace(tmp, directory / name)

    def _write_hashes(self, out: BinaryIO) -> None:
        np.savez_compressed(out, hashes=self._hashes, items=self._items, frames=self._frames)

    def _write_items(self, out: BinaryIO) -> None:
        out.write(json.dumps({"version": 1, "frame_s": FRAME_S,
                              "items": [asdict(i) for i in self.items]}, indent=0).encode())

    def _load(self, directory: Path) -> None:
        meta = json.loads((directory / "items.json").read_text())
        self.items = [LibraryItem(**i) for i in meta["items"]]
        with np.load(directory / "hashes.npz") as data:
            self._hashes, self._items, self._frames = data["hashes"], data["items"], data["frames"]
        self._sorted = True
