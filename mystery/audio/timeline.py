"""The phase timeline of a call from its labelled sound units: paint, fill the pauses, cut segments.

Why apart: labelling decides what each unit is (segment.py); this decides where phases begin and end
between units (a pause inside a phase belongs to it, the answer sits half a second before the first
sound after ringback, a person starts at their first word). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from mystery.audio.features import FRAME_S
from mystery.audio.sounds import Unit, runs
from mystery.records import Segment

MAX_ATTACHED_GAP_S = 5.0  # longer silences between different phases are reported as silence


class LabelledUnit(Protocol):
    """A sound unit with the label and confidence the segmenter gave it."""

    @property
    def unit(self) -> Unit: ...
    @property
    def label(self) -> str: ...
    @property
    def confidence(self) -> float: ...


def build_timeline(pieces: Sequence[LabelledUnit], n: int) -> list[Segment]:
    """Paint labels on frames, fill the pauses inside a phase, and cut segments."""
    labels = np.full(n, "", dtype=object)
    conf = np.zeros(n)
    order = {"noise": 0, "hold_music": 1}
    for p in sorted(pieces, key=lambda p: (order.get(p.label, 2), p.unit.kind in ("ring", "beep"))):
        labels[p.unit.start:p.unit.end] = p.label
        conf[p.unit.start:p.unit.end] = p.confidence
    painted = [(s, e) for s, e in runs(labels != "")]
    if not painted:
        return [Segment(0.0, round(n * FRAME_S, 2), "silence", 0.9)] if n else []
    spans: list[list] = []
    for s, e in painted:
        k = s
        while k < e:
            j = k
            while j < e and labels[j] == labels[k]:
                j += 1
            spans.append([k, j, labels[k], float(np.mean(conf[k:j]))])
            k = j
    out: list[list] = []
    max_gap = int(MAX_ATTACHED_GAP_S / FRAME_S)
    first = spans[0]
    if first[0] * FRAME_S > 0.6 or first[2] == "live_human" and first[0] > 0:   # a person starts at their first word
        out.append([0, first[0], "silence", 0.8])
    else:
        first[0] = 0
    for span in spans:
        if not out or out[-1][2] == "silence" and out[-1][1] < span[0]:
            out.append(span)
            continue
        prev = out[-1]
        gap = span[0] - prev[1]
        if prev[2] == span[2] and (gap <= max_gap or span[2] == "live_human"):
            a, b = prev[1] - prev[0], span[1] - span[0]
            prev[3] = (prev[3] * a + span[3] * b) / (a + b)
            prev[1] = span[1]
        elif prev[2] == "ringback":
            # the answer: about half a second before the next sound; a person starts at their first word
            cut = span[0] if span[2] == "live_human" else max(prev[1], span[0] - 25)
            prev[1] = min(prev[1] + 200, cut)
            if cut > prev[1]:
                out.append([prev[1], cut, "silence", 0.5])
            span[0] = cut
            out.append(span)
        elif gap > max_gap and prev[2] != "live_human" or prev[2] == "voicemail_greeting" and gap > 25:
            out.append([prev[1], span[0], "silence", 0.7])
            out.append(span)
        else:
            prev[1] = span[0]
            out.append(span)
    last = out[-1]
    tail = n - last[1]
    if last[2] == "voicemail_greeting" and tail > 25 or last[2] == "ringback" and tail > 250:
        out.append([last[1], n, "silence", 0.7])
    else:
        last[1] = n
    return [Segment(round(s * FRAME_S, 2), round(e * FRAME_S, 2), str(lab), round(float(c), 2))
            for s, e, lab, c in out if e > s]
