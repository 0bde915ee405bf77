"""First pass over a channel: cut it into sound units (tone, music, speech, noise) between silences.

Tones come first because VADs call them speech: a frame whose energy sits in one or two narrow
peaks is a tone; ring tones are tones of 330-500 Hz, a voicemail beep a single 500-2500 Hz tone
of 0.15-1.5 s. The rest of the audible frames are speech, music or noise, chosen per frame from
windowed features and smoothed with a Viterbi pass so that a unit does not flicker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

from mystery.audio.classes import CLASSES, class_log_probs
from mystery.audio.features import (
    FRAME_S,
    FrameFeatures,
    note_persistence,
    pause_ratio,
    syllable_modulation,
    window_mean,
)

# Logistic weights (music vs speech) over [pause_ratio(3 s), syllable_modulation(3 s),
# persistence(3 s), persistence(1 s), tonality(1 s), pause_ratio(1 s), syllable_modulation(1 s),
# persistence(0.3 s)], fitted on 18 synthetic calls built from Debian's Asterisk prompts, espeak-ng
# voices and three of the five opsound tracks; 98 % of frames right on 18 other calls, and 97 %+
# music recall on the two held-out tracks.
_MUSIC_W = np.array([1.82, -2.54, 41.54, 3.22, -9.12, -9.4, -0.17, 4.79])
_MUSIC_B = -29.9
_NOISE_FLATNESS = 0.3
_SWITCH_PENALTY = 40.0       # log-odds units: a unit changes kind only on sustained evidence
# the learned classifier's log-probabilities (classes.py) carry the speech / music / noise choice; the
# hand-fitted odds above still count at half weight (0.5 and 1.0 chosen on the corpus's tuning half and
# the simulator: 47 % -> 88 % and 95.4 % -> 96.0 % of labels right)
_RULE_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class Unit:
    """A run of one kind of sound. Frames are 20 ms; `end` is exclusive."""

    kind: str                # ring, beep, tone, speech, music, noise
    start: int
    end: int
    music_odds: float = 0.0  # mean log-odds music vs speech over the unit
    music_frames: int = 0    # frames of short, clearly musical sound taken for the steady start or end of a voice

    @property
    def start_s(self) -> float:
        return self.start * FRAME_S

    @property
    def end_s(self) -> float:
        return self.end * FRAME_S

    @property
    def seconds(self) -> float:
        return (self.end - self.start) * FRAME_S


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    if not len(mask):
        return []
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def close_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """Fill runs of False no longer than `max_gap` frames between two runs of True."""
    out = mask.copy()
    spans = runs(mask)
    for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        if s2 - e1 <= max_gap:
            out[e1:s2] = True
    return out


def drop_short(mask: np.ndarray, min_len: int) -> np.ndarray:
    out = mask.copy()
    for s, e in runs(mask):
        if e - s < min_len:
            out[s:e] = False
    return out


def audible(f: FrameFeatures) -> np.ndarray:
    """Frames clearly above the line's own noise floor."""
    floor = float(np.percentile(f.energy_db, 5))
    threshold = max(-50.0, min(floor + 10.0, -35.0))
    mask = f.energy_db > threshold
    return drop_short(close_gaps(mask, 3), 3)


def music_log_odds(f: FrameFeatures, held: np.ndarray) -> np.ndarray:
    """Per frame: log-odds that the sound is music rather than speech; `held` is the per-frame note
    persistence (`note_persistence(f.power, 1)`), windowed here over 1 s and 0.3 s."""
    persistence = window_mean(held, 50)
    x = np.stack([
        pause_ratio(f.energy_db, 150),
        syllable_modulation(f.energy_db, 150),
        window_mean(persistence, 150),
        persistence,
        window_mean(f.tonality, 50),
        pause_ratio(f.energy_db, 50),
        syllable_modulation(f.energy_db, 50),
        window_mean(held, 15),
    ], axis=1)
    return np.clip(x @ _MUSIC_W + _MUSIC_B, -8, 8)


def learned_ring_frames(f: FrameFeatures, active: np.ndarray, log_probs: np.ndarray) -> np.ndarray:
    """Frames of ring tone by the learned classifier: runs of 0.3 s or more it calls tone, whose
    strongest peak sits in the ring band (a lossy, level-controlled line breaks the steadiness rule)."""
    tone = active & (log_probs[:, CLASSES.index("tone")] > np.log(0.5))
    mask = drop_short(close_gaps(tone, 3), 15)
    for s, e in runs(mask):
        if not 330 <= float(np.median(f.peak_hz[s:e])) <= 520:
            mask[s:e] = False
    return mask


def _tone_kind(peak: float, seconds: float) -> str:
    if 330 <= peak <= 520:
        return "ring"
    if 520 < peak <= 2500 and 0.12 <= seconds <= 1.6:
        return "beep"
    return "tone"


def tone_frames(f: FrameFeatures, active: np.ndarray) -> np.ndarray:
    """Frames of steady tones: nearly all energy in two narrow peaks that do not move for 140 ms.

    Vowels and held notes can be as peaky for a frame or two, but their peaks and level move.
    """
    tonal = uniform_filter1d(f.tonality.astype(np.float64), 3) > 0.9
    mask = drop_short(close_gaps(active & tonal, 2), 7)
    for s, e in runs(mask):
        hz = f.peak_hz[s:e]
        steady = np.median(np.abs(hz - np.median(hz))) < 8 and np.std(f.energy_db[s + 1: e - 1]) < 2.5
        if not steady:
            mask[s:e] = False
    return mask


def _viterbi(scores: np.ndarray, penalty: float) -> np.ndarray:
    """Best state path for per-frame scores (frames x states) with a fixed price per switch."""
    n, k = scores.shape
    back = np.zeros((n, k), np.int8)
    total = scores[0].copy()
    for t in range(1, n):
        stay = total
        best_prev = int(np.argmax(total))
        switch = total[best_prev] - penalty
        choose_switch = switch > stay
        back[t] = np.where(choose_switch, best_prev, np.arange(k))
        total = np.where(choose_switch, switch, stay) + scores[t]
    path = np.zeros(n, np.int8)
    path[-1] = int(np.argmax(total))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def sound_units(f: FrameFeatures, held: np.ndarray | None = None, log_probs: np.ndarray | None = None) -> list[Unit]:
    """Cut a channel into units of tone, speech, music and noise (silence is what lies between).

    `held`: the per-frame note persistence, `note_persistence(f.power, 1)`, and `log_probs` the
    sound classifier's (`classes.class_log_probs`), if the caller has them."""
    if held is None:
        held = note_persistence(f.power, 1)
    active = audible(f)
    tone_mask = tone_frames(f, active)
    if log_probs is None:
        log_probs = class_log_probs(f, held)
    tone_mask |= learned_ring_frames(f, active, log_probs)
    units: list[Unit] = []
    for s, e in runs(tone_mask):
        peak = float(np.median(f.peak_hz[s:e]))
        units.append(Unit(_tone_kind(peak, (e - s) * FRAME_S), s, e))
    rest = active & ~tone_mask
    odds = music_log_odds(f, held)
    flat = window_mean(f.flatness, 25)
    # a "blob" is sound with pauses under 0.8 s; inside it the kind changes only on strong evidence
    for s, e in runs(close_gaps(rest, 40)):
        frames = np.flatnonzero(rest[s:e]) + s
        if len(frames) < 5:
            continue
        o = odds[frames]
        scores = np.stack([-o / 2, o / 2, np.maximum(-o / 2, o / 2) + 40 * (flat[frames] - _NOISE_FLATNESS)], 1)
        lp = log_probs[frames]
        scores = _RULE_WEIGHT * scores + lp[:, [CLASSES.index(k) for k in ("speech", "music", "noise")]]
        path = _viterbi(scores, _SWITCH_PENALTY)
        kinds = _snap_to_pauses(np.array(["speech", "music", "noise"])[path], frames, active, held)
        start = 0
        for i in range(1, len(frames) + 1):
            if i == len(frames) or kinds[i] != kinds[start]:
                a, b = frames[start], frames[i - 1] + 1
                units.append(Unit(str(kinds[start]), int(a), int(b), float(np.mean(o[start:i]))))
                start = i
    units.sort(key=lambda u: u.start)
    return _boundaries_at_long_pauses(_merge_neighbours(_short_music_is_speech(units)), active, held)


def _short_music_is_speech(units: list[Unit], shortest_s: float = 2.0) -> list[Unit]:
    """A 'music' unit shorter than 2 s is the steady start or end of a flat voice (TTS, a held vowel):
    hold music plays for longer. Glue it to the speech it touches, or call it speech."""
    out: list[Unit] = []
    for u in units:
        if u.kind == "music" and u.seconds < shortest_s:
            u = Unit("speech", u.start, u.end, u.music_odds, u.end - u.start if u.music_odds > 1.0 else 0)
        if out and u.kind == "speech" and out[-1].kind == "speech" and u.start - out[-1].end <= 15:
            last = out.pop()
            u = Unit("speech", last.start, max(last.end, u.end), min(last.music_odds, u.music_odds),
                     last.music_frames + u.music_frames)
        out.append(u)
    return out


def _boundaries_at_long_pauses(units: list[Unit], active: np.ndarray, held: np.ndarray, min_pause: int = 15,
                               music_reach: int = 100, speech_reach: int = 30) -> list[Unit]:
    """Move a music -> speech boundary to a pause (0.3 s or more) near it.

    The music features are windowed over seconds, so they call the first words after the music
    "music" (or the last notes "speech") even across a clear silence: the queue stops, a pause,
    then a person (or an announcement) starts. Reach: 2 s back into the music, 0.6 s into the speech.
    """
    out = list(units)
    body = [i for i, u in enumerate(out) if u.kind in ("music", "speech", "noise")]   # tones lie inside them
    for i, j in zip(body, body[1:], strict=False):
        a, b = out[i], out[j]
        if (a.kind, b.kind) != ("music", "speech") or b.start - a.end > 3 * min_pause:
            continue
        lo, hi = max(a.start + 1, a.end - music_reach), min(b.end - 1, b.start + speech_reach)
        pauses = [(e - s, lo + s, lo + e) for s, e in runs(~active[lo:hi]) if e - s >= min_pause]
        if not pauses:
            continue
        _, ps, pe = max(pauses)
        while pe < b.end and not active[pe]:   # the search window may cut the pause short
            pe += 1
        if ps <= a.end and pe >= b.start:    # the pause between them already is the boundary
            continue
        if pe <= a.end and b.start - a.end >= min_pause:
            # a clear pause already ends the music, unless what lies between the two pauses glides
            # like the speech after it rather than holding notes like the music before it
            sounding = np.flatnonzero(active[pe:a.end]) + pe
            chosen = _step_fit([(ps, pe), (a.end, b.start)], sounding,
                               held[np.flatnonzero(active[max(a.start, ps - 150):ps]) + max(a.start, ps - 150)],
                               held[np.flatnonzero(active[b.start:b.start + 150]) + b.start], held)
            if a.end - pe > 50 or chosen != (ps, pe):
                continue
        # the tail of a after its pause goes to b, or the head of b before its pause to a
        out[i], out[j] = Unit(a.kind, a.start, ps, a.music_odds), Unit(b.kind, pe, b.end, b.music_odds)
    return [u for u in out if u.end > u.start]


def step_costs(values: np.ndarray, left: float, right: float) -> tuple[np.ndarray, np.ndarray]:
    """A two-level step fit's squared errors: head[k] of the first k values against `left`,
    tail[k] of the values from k on against `right` (the step at k costs head[k] + tail[k])."""
    head = np.cumsum(np.concatenate([[0.0], (values - left) ** 2]))
    tail = np.cumsum(np.concatenate([[0.0], (values - right) ** 2])[::-1])[::-1]
    return head, tail


def _step_fit(cuts: list[tuple[int, int]], sounding: np.ndarray, before: np.ndarray, after: np.ndarray,
              held: np.ndarray) -> tuple[int, int] | None:
    """Of the cuts (pause start, pause end), the one whose two sides best fit the levels of `held`
    before and after the ambiguous stretch (a two-level step fit over its sounding frames, sorted);
    None when the two levels are too close (or too little sound) to tell."""
    if len(before) < 10 or len(after) < 10:
        return None
    left, right = float(np.mean(before)), float(np.mean(after))
    if abs(left - right) < 0.1:
        return None
    head, tail = step_costs(held[sounding], left, right)
    costs = [head[np.searchsorted(sounding, ps)] + tail[np.searchsorted(sounding, pe)] for ps, pe in cuts]
    return cuts[int(np.argmin(costs))]


def _snap_to_pauses(kinds: np.ndarray, frames: np.ndarray, active: np.ndarray, held: np.ndarray,
                    reach: int = 75, context: int = 75) -> np.ndarray:
    """Move each change of kind to a pause (60 ms or more of silence) within 1.5 s.

    The windowed features see a change before it happens; music stops and a person starts
    speaking at a pause far more often than in the middle of a sound. Of the pauses within
    reach, the one that best splits the per-frame note persistence (`held`: music holds notes,
    speech glides) into the two kinds' own levels wins over the nearest: the last words before
    the music ("... please hold.") sit between two pauses and the windowed features already
    call them music. Gaps left by a steady note that the tone mask took out are not pauses.
    """
    kinds = kinds.copy()
    gaps = np.flatnonzero(np.diff(frames) > 3) + 1      # index of the first frame after each gap
    pauses = np.array([k for k in gaps if not active[frames[k - 1] + 1: frames[k]].all()], dtype=np.int64)
    if not len(pauses):
        return kinds
    for c in np.flatnonzero(kinds[1:] != kinds[:-1]) + 1:
        if kinds[c] == kinds[c - 1]:
            continue
        near = pauses[np.abs(frames[pauses] - frames[c]) <= reach]
        if not len(near) or c in near:   # no pause near, or the change already is at one
            continue
        best = int(near[np.argmin(np.abs(frames[near] - frames[c]))])
        if {str(kinds[c - 1]), str(kinds[c])} == {"speech", "music"} and len(near) > 1:
            lo, hi = int(near.min()), int(near.max())
            chosen = _step_fit([(int(frames[k]), int(frames[k])) for k in near], frames[lo:hi],
                               held[frames[max(0, lo - context):lo]], held[frames[hi:hi + context]], held)
            if chosen is not None:
                best = int(near[np.flatnonzero(frames[near] == chosen[0])[0]])
        if best > c:
            kinds[c:best] = kinds[c - 1]
        else:
            kinds[best:c] = kinds[c]
    return kinds


def _merge_neighbours(units: list[Unit]) -> list[Unit]:
    """Join consecutive units of the same kind split only by the tone mask or a short pause."""
    merged: list[Unit] = []
    for u in units:
        if merged and merged[-1].kind == u.kind and u.kind in ("music", "noise") and u.start - merged[-1].end <= 40:
            last = merged[-1]
            frames = (last.end - last.start) + (u.end - u.start)
            odds = (last.music_odds * (last.end - last.start) + u.music_odds * (u.end - u.start)) / frames
            merged[-1] = Unit(u.kind, last.start, u.end, odds)
        else:
            merged.append(u)
    return merged


_DTMF_LOW = np.array([697.0, 770.0, 852.0, 941.0])
_DTMF_HIGH = np.array([1209.0, 1336.0, 1477.0, 1633.0])


def dtmf_frames(f: FrameFeatures) -> np.ndarray:
    """Frames of a DTMF digit: nearly all energy in two peaks, one of each DTMF group.

    The steadiness test of `tone_frames` fails on a key press through a lossy G.711 line (a lost
    frame, a level jump), and webrtcvad calls the digit speech; the two frequencies do not lie.
    """
    def near(hz: np.ndarray, group: np.ndarray) -> np.ndarray:
        return np.min(np.abs(hz[:, None] - group[None, :]), axis=1) <= 25

    low, high = np.minimum(f.peak_hz, f.peak2_hz), np.maximum(f.peak_hz, f.peak2_hz)
    digit = (f.tonality > 0.6) & near(low, _DTMF_LOW) & near(high, _DTMF_HIGH)
    return close_gaps(digit, 2)


def speech_frames(f: FrameFeatures) -> np.ndarray:
    """Frames where this channel carries speech (tones and DTMF excluded): used for the caller."""
    active = audible(f) & (f.energy_db > -45)
    speech = active & ~tone_frames(f, active) & f.vad
    speech = drop_short(close_gaps(speech, 15), 10)
    digits = dtmf_frames(f)
    for s, e in runs(speech):
        if digits[s:e].mean() > 0.3:    # a key press, with its edges
            speech[s:e] = False
    return speech
