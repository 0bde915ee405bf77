"""Segment a recorded call into phases: ringback, IVR prompt, announcement, hold music, voicemail, human.

Evidence, strongest first:
1. tones (ring cadence, voicemail beep) and music/speech/noise per sound unit (`sounds.py`);
2. repetition: a speech unit that matches a stretch of *another* call on the same line (the
   fingerprint library) or another stretch of the same call is a recording, never a person;
3. position: speech while queued (music before it) is an announcement; before any queue, an IVR
   prompt; speech right before a beep is a voicemail greeting;
4. turn-taking: unrecorded speech that the caller answers, and that speaks again after the caller,
   is a live human; from there on the callee is human until music or a recording comes back.

Pure: arrays (and a read-only library) in, segments out. What the library should remember from
this call is returned as `Stretch`es; `remember()` stores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mystery.audio.classes import CLASSES, class_log_probs
from mystery.audio.confidence import Evidence
from mystery.audio.features import FRAME_S, band_log_energy, delta_bic, frame_features, note_persistence
from mystery.audio.fingerprint import FingerprintLibrary, Landmarks, Match, landmarks
from mystery.audio.sounds import Unit, audible, dtmf_frames, runs, sound_units, speech_frames, step_costs
from mystery.audio.timeline import build_timeline
from mystery.records import Segment

MIN_MATCH_SCORE = 0.05
MIN_MATCH_HITS = 12
MIN_MATCH_S = 0.6        # a few hashes agreeing over a syllable are chance (same voice, same words)
MIN_HEAD_MATCH_S = 0.4   # a recording's first words before a person cuts it off (see _head_match)
MIN_MATCH_DENSITY = 15.0  # hits per second of the span: a replay agrees on 30-60 a second, the same TTS
                          # voice saying the same words on another call on about 6
# inside one call a voice repeats its own pitch and words ("thank you for calling ..." in the greeting
# and the closing of the same agent): only a long, dense repeat is a replayed recording
MIN_SELF_MATCH_HITS = 30
MIN_SELF_MATCH_S = 1.0
TURN_WINDOW_S = 3.0      # the caller's reply starts within this after the callee stops, and vice versa
MAX_QUESTION_S = 3.0     # a person asking a silent caller "hello?" says a short phrase; prompts run longer
MAX_HELLO_S = 1.5        # a "hello?" before the person's next words (see _label)
MAX_AGAIN_S = 2.0        # ... or speaks again briefly after a pause


@dataclass(frozen=True, slots=True)
class Stretch:
    """A stretch of this call for the fingerprint library."""

    label: str
    start_frame: int
    end_frame: int
    marks: Landmarks


@dataclass(frozen=True)
class CallAnalysis:
    """Segments of one recording and what the library should learn from it."""

    segments: tuple[Segment, ...]
    duration_s: float
    stretches: tuple[Stretch, ...] = ()
    repeated_items: tuple[int, ...] = ()          # library items this call matched
    caller_speech: tuple[tuple[float, float], ...] = ()
    evidence: Evidence | None = None               # what the time to a person rests on (confidence.py)
    notes: dict[str, object] = field(default_factory=dict)


@dataclass
class _Piece:
    """A unit on its way to a label."""

    unit: Unit
    label: str = ""
    confidence: float = 0.5
    recorded: bool = False
    music_match: bool = False
    marks: Landmarks | None = None
    why: str = ""
    heard_as: str = ""   # the label of the library item it matches (another call's stretch)


def _drop_stray_tones(units: list[Unit]) -> list[Unit]:
    """Tones inside a speech or music unit are vowels or notes; short 'ring' tones are too."""
    body = [u for u in units if u.kind in ("speech", "music", "noise")]
    kept = []
    for u in units:
        if u.kind in ("ring", "beep", "tone"):
            # a voicemail beep can end the greeting's unit: only a tone well inside a sound belongs to it
            inside = any(b.start < u.start and u.end < b.end - (25 if u.kind == "beep" else 5) for b in body)
            if inside or (u.kind == "ring" and u.seconds < 0.3):
                continue
        kept.append(u)
    return kept


def _split_on_matches(piece: _Piece, matches: list[Match], power: np.ndarray, active: np.ndarray) -> list[_Piece]:
    """A recording cut off by a person is one unit when the pause is short: split it where the match ends.

    The last hashes of a match end a little before the recording does, so the cut moves on to
    the next pause (60 ms or more) within a second, where the person starts.
    """
    u = piece.unit
    covered_end = max((m.end_frame for m in matches if m.start_frame <= u.start + 100), default=None)
    if covered_end is None or u.end - covered_end < 50:
        return [piece]
    # the library may hold the recording in pieces (cut differently on other calls): chain the matches
    for m in sorted(matches, key=lambda m: m.start_frame):
        if covered_end < m.end_frame and m.start_frame <= covered_end + 50:
            covered_end = m.end_frame
    # a person starts after a pause: the first 0.3 s pause after the match (music that goes on past
    # the stored copy is still music), else the first short pause within a second, else the match end
    silent = ~active[covered_end - 5: u.end - 25]
    long_pauses = [e for s, e in runs(silent) if e - s >= 15 and e < len(silent)]
    short_pauses = [e for s, e in runs(silent[:55]) if e - s >= 3 and e < len(silent)]
    if long_pauses:
        covered_end = covered_end - 5 + long_pauses[0]
    elif short_pauses:
        covered_end = covered_end - 5 + short_pauses[0]
    if u.end - covered_end < 25:
        return [piece]
    head = Unit(u.kind, u.start, covered_end, u.music_odds)
    tail = Unit(u.kind, covered_end, u.end, u.music_odds)
    return [_Piece(head, recorded=True, marks=landmarks(power, head.start, head.end), why="match (split)",
                   heard_as=piece.heard_as),
            _Piece(tail, marks=landmarks(power, tail.start, tail.end), why="after a match")]


def _give_music_head_back(piece: _Piece, music: _Piece, held: np.ndarray, energy_db: np.ndarray,
                          active: np.ndarray, reach: int = 150, context: int = 150) -> None:
    """A recording that follows music may start with the music's last notes: give them back.

    The music features are windowed over seconds and move a music -> announcement change back into
    the music, to a pause between two notes. The library cannot tell (a queue that plays the same
    music before the same announcement on every call stores the notes with it), but the notes can:
    music holds its notes, a voice glides. The change is where a two-level step fit of the per-frame
    note persistence (`held`) over the unit's first seconds puts it, at the jump in level just before.
    """
    u, m = piece.unit, music.unit
    if u.start - m.end > 40:
        return
    end = min(u.start + reach, u.end - 50)
    region = np.flatnonzero(active[u.start:end]) + u.start
    before = held[np.flatnonzero(active[max(m.start, u.start - context):m.end]) + max(m.start, u.start - context)]
    after = held[np.flatnonzero(active[end:min(u.end, end + context)]) + end]
    if len(region) < 20 or len(before) < 25 or len(after) < 25:
        return
    left, right = float(np.mean(before)), float(np.mean(after))
    if left - right < 0.1:
        return
    values = held[region]
    head, tail = step_costs(values, left, right)
    costs = head + tail    # costs[k]: the first k sounding frames are music
    k = int(np.argmin(costs))
    if k < 10 or k >= len(region):
        return
    head_level, tail_level = float(np.mean(values[:k])), float(np.mean(values[k:]))
    if head_level < (left + right) / 2 or head_level - tail_level < 0.12:
        return    # the head sounds like the recording that follows it
    cut = int(region[k])
    # a recording starts with a jump in level over the music; else at the quietest frame near the cut
    lo, hi = max(u.start + 2, cut - 20), min(end - 2, cut + 7)
    rise = energy_db[lo + 1:hi + 1] - energy_db[lo - 2:hi - 2]
    if len(rise) and float(rise.max()) >= 10.0:
        cut = lo + int(np.argmax(rise))
    else:
        lo, hi = max(u.start + 1, cut - 6), min(end, cut + 7)
        cut = lo + int(np.argmin(energy_db[lo:hi]))
    music.unit = Unit("music", m.start, cut, m.music_odds)
    piece.unit = Unit(u.kind, cut, u.end, u.music_odds)


def _speaks_between(mask: np.ndarray, a: int, b: int) -> bool:
    a, b = max(a, 0), min(b, len(mask))
    return b > a and bool(mask[a:b].any())


def segment_call(
    callee: np.ndarray,
    caller: np.ndarray | None = None,
    library: FingerprintLibrary | None = None,
    call_id: str = "call",
) -> CallAnalysis:
    """Label the callee channel (float samples, 8 kHz); `caller` (same length) gives turn-taking."""
    f = frame_features(callee)
    n = f.n
    held = note_persistence(f.power, 1)
    log_probs = class_log_probs(f, held)
    units = _drop_stray_tones(sound_units(f, held, log_probs))
    active = audible(f)
    caller_mask = np.zeros(n, bool)
    keys = dtmf_frames(f) if caller is None else np.zeros(n, bool)   # a mono mix carries the caller's keys
    if caller is not None and len(caller):
        cf = frame_features(caller)
        cm, ck = speech_frames(cf), dtmf_frames(cf)
        caller_mask[: min(n, len(cm))] = cm[:n]
        keys[: min(n, len(ck))] |= ck[:n]
    key_presses = [s for s, e in runs(keys) if e - s >= 3]
    pieces = [_Piece(u) for u in units]
    # fingerprints of speech and music units
    for p in pieces:
        if p.unit.kind in ("speech", "music") and p.unit.end - p.unit.start >= 20:
            p.marks = landmarks(f.power, p.unit.start, p.unit.end)
    repeated: set[int] = set()
    if library is not None and len(library):
        split: list[_Piece] = []
        for p in pieces:
            if p.marks is None:
                split.append(p)
                continue
            found = library.match(p.marks, exclude_call=call_id, min_hits=MIN_MATCH_HITS, min_score=MIN_MATCH_SCORE)
            found = [m for m in found if (m.end_frame - m.start_frame) * FRAME_S >= MIN_MATCH_S and
                     m.hits >= MIN_MATCH_DENSITY * (m.end_frame - m.start_frame) * FRAME_S]
            if not found and split and p.unit.kind == "speech" and p.unit.seconds >= 2.0 and \
                    (split[-1].unit.kind == "music" or split[-1].recorded) and p.unit.start - split[-1].unit.end < 40:
                found = _head_match(library, p, f.power, call_id)
            if not found:
                split.append(p)
                continue
            repeated.update(m.item.item_id for m in found)
            if p.unit.kind == "music" and found[0].item.label in _SPOKEN:
                # a flat recorded voice the music features took for music: the library knows it is a prompt
                p.unit = Unit("speech", p.unit.start, p.unit.end, p.unit.music_odds)
            if p.unit.kind == "speech" and any(m.item.label == "hold_music" for m in found[:1]):
                p.music_match = True
            if p.unit.kind == "speech" and split and split[-1].unit.kind == "music" and \
                    found[0].item.label in ("announcement", "ivr_prompt"):
                _give_music_head_back(p, split[-1], held, f.energy_db, active)
            p.recorded, p.heard_as = True, found[0].item.label
            p.why = f"matches {found[0].item.call_id} ({found[0].item.label}, {found[0].hits} hits)"
            p.confidence = min(0.99, 0.8 + found[0].score)
            split.extend(_split_on_matches(p, found, f.power, active) if p.unit.kind == "speech" else [p])
        pieces = split
        pieces = _unknown_short_music_is_speech(pieces, f.power)
    _match_within_call(pieces, f.power, active, caller_mask)
    pieces = _split_answered_music(pieces, caller_mask, active, f.power)
    pieces = _split_voice_changes(pieces, active, f.power)
    _label(pieces, caller_mask, have_caller=caller is not None, key_presses=key_presses)
    segments = build_timeline(pieces, n)
    evidence = _evidence(pieces, segments, caller_mask, caller is not None, log_probs, active,
                         0 if library is None else sum(1 for item in library.items if item.call_id != call_id))
    stretches = tuple(
        Stretch(p.label, p.unit.start, p.unit.end, p.marks)
        for p in pieces if p.marks is not None and len(p.marks.hashes) and p.label in _REMEMBERED
    )
    return CallAnalysis(
        segments=tuple(segments), duration_s=len(callee) / 8000, stretches=stretches,
        repeated_items=tuple(sorted(repeated)),
        caller_speech=tuple((s * FRAME_S, e * FRAME_S) for s, e in runs(caller_mask)),
        evidence=evidence,
        notes={"units": [(p.unit.kind, round(p.unit.start_s, 2), round(p.unit.end_s, 2), p.label, p.why)
                         for p in pieces]},
    )


def _head_match(library: FingerprintLibrary, p: _Piece, power: np.ndarray, call_id: str) -> list[Match]:
    """A recording cut off by a person without a pause is one unit, mostly the person: its hashes are too
    few among the unit's to match. Its first 2 s alone still match a stored prompt or announcement."""
    head = landmarks(power, p.unit.start, min(p.unit.end, p.unit.start + 100))
    found = library.match(head, exclude_call=call_id, min_hits=MIN_MATCH_HITS, min_score=MIN_MATCH_SCORE)
    # the head may be shorter than a match elsewhere must be: as dense, but over 0.4 s with 20 hashes
    return [m for m in found if (m.end_frame - m.start_frame) * FRAME_S >= MIN_HEAD_MATCH_S and m.hits >= 20 and
            m.hits >= MIN_MATCH_DENSITY * (m.end_frame - m.start_frame) * FRAME_S and
            m.item.label in ("announcement", "ivr_prompt")]


_FIRST_UTTERANCE = "start of the person's first utterance"
_POSITIONAL = "recorded-like position, no turn-taking"


def _evidence(pieces: list[_Piece], segments: list[Segment], caller: np.ndarray, have_caller: bool,
              log_probs: np.ndarray, active: np.ndarray, line_history: int) -> Evidence:
    """What the first person (or the absence of one) rests on, for `confidence.rate_time_to_human`."""
    turn = int(TURN_WINDOW_S / FRAME_S)
    humans = [p for p in pieces if p.label == "live_human"]
    rule = next((p.why for p in humans if p.why != _FIRST_UTTERANCE), humans[0].why if humans else None)
    start = next((int(round(s.start_s / FRAME_S)) for s in segments if s.label == "live_human"), None)
    margin, touches = None, False
    if start is not None:
        first = np.flatnonzero(active[start:start + 50]) + start
        if len(first):
            lp = log_probs[first]
            speech = lp[:, CLASSES.index("speech")]
            others = np.delete(lp, CLASSES.index("speech"), axis=1).max(axis=1)
            margin = round(float(np.mean(speech - others)), 2)
        before = [p for p in pieces if p.unit.end <= start + 5 and p.label in ("hold_music", "announcement",
                                                                               "ivr_prompt")]
        last = max(before, key=lambda p: p.unit.end) if before else None
        # a boundary the library vouches for (a matched recording ends) may be near; an unmatched one not
        touches = last is not None and start - last.unit.end < (15 if last.recorded else 50)
    noise_before = start is not None and any(p.label == "noise" and 0 <= start - p.unit.end < 50 for p in pieces)
    caller_before = start is not None and _speaks_between(caller, start - turn, start - 5)
    positional = [p for p in pieces if p.unit.kind == "speech" and not p.recorded and p.why == _POSITIONAL]
    unheard_before = start is not None and any(0 <= start - p.unit.end < int(TURN_WINDOW_S / FRAME_S)
                                               for p in positional)
    return Evidence(
        have_caller=have_caller, caller_spoke=bool(caller.any()), line_history=line_history,
        human_rule=rule if start is not None else None, start_margin=margin, start_touches=touches,
        positional_speech=len(positional), speech_before=unheard_before, noise_before=noise_before,
        caller_before=caller_before,
        answered_speech=any(_speaks_between(caller, p.unit.end - 10, p.unit.end + turn) for p in positional),
    )


_SPOKEN = frozenset({"ivr_prompt", "announcement", "voicemail_greeting", "live_human"})


def _unknown_short_music_is_speech(pieces: list[_Piece], power: np.ndarray) -> list[_Piece]:
    """Short 'music' that no call on the line ever played, running straight into speech, is the
    start of that speech (a steady first vowel): the line's hold music is in its library."""
    out: list[_Piece] = []
    for i, p in enumerate(pieces):
        nxt = next((q for q in pieces[i + 1:] if q.unit.kind not in ("ring", "beep", "tone")), None)
        if p.unit.kind == "music" and not p.recorded and p.unit.seconds < 3.0 and nxt is not None and \
                nxt.unit.kind == "speech" and not nxt.recorded and 0 <= nxt.unit.start - p.unit.end <= 15:
            merged = Unit("speech", p.unit.start, nxt.unit.end, min(p.unit.music_odds, nxt.unit.music_odds))
            nxt.unit, nxt.why = merged, "starts with a steady voice"
            nxt.marks = landmarks(power, merged.start, merged.end)
            continue
        out.append(p)
    return out


_REMEMBERED = frozenset({"ivr_prompt", "announcement", "hold_music", "voicemail_greeting", "live_human"})


def remember(library: FingerprintLibrary, call_id: str, analysis: CallAnalysis) -> None:
    """Add this call's stretches to the line's library (human speech too: if it ever repeats, it was a recording)."""
    for s in analysis.stretches:
        library.add(call_id, s.label, s.marks, s.end_frame - s.start_frame, s.start_frame)
    for item_id in analysis.repeated_items:
        library.mark_repeated(item_id)


def _match_within_call(pieces: list[_Piece], power: np.ndarray, active: np.ndarray, caller: np.ndarray) -> None:
    """Periodic announcements and repeated menus repeat inside one call too."""
    local = FingerprintLibrary()
    splits: dict[int, list[_Piece]] = {}
    owners = [(i, p.marks) for i, p in enumerate(pieces) if p.marks is not None and p.unit.kind == "speech"]
    for i, marks in owners:
        local.add(str(i), "speech", marks, pieces[i].unit.end - pieces[i].unit.start, pieces[i].unit.start)
    turn = int(TURN_WINDOW_S / FRAME_S)
    for i, marks in owners:
        u = pieces[i].unit
        # a phrase the caller answers is a person's, even if the simulator's agent says it twice
        if pieces[i].recorded or _speaks_between(caller, u.end - 10, u.end + turn):
            continue
        found = local.match(marks, exclude_call=str(i), min_hits=MIN_SELF_MATCH_HITS, min_score=MIN_MATCH_SCORE)
        # a replay repeats whole (or is cut short by a person): the repeat covers most of one of the two;
        # a voice saying the same words inside longer sentences covers a part of each
        found = [m for m in found if (m.end_frame - m.start_frame) * FRAME_S >= MIN_SELF_MATCH_S and
                 m.end_frame - m.start_frame >= 0.6 * min(m.item.n_frames, u.end - u.start)]
        if found:
            pieces[i].recorded = True
            pieces[i].confidence = min(0.95, 0.75 + found[0].score)
            pieces[i].why = f"repeats unit at {pieces[int(found[0].item.call_id)].unit.start_s:.1f}s"
            parts = _split_on_matches(pieces[i], found, power, active)
            if len(parts) > 1:
                splits[i] = parts
    for i in sorted(splits, reverse=True):
        pieces[i:i + 1] = splits[i]


def _split_answered_music(pieces: list[_Piece], caller: np.ndarray, active: np.ndarray,
                          power: np.ndarray) -> list[_Piece]:
    """Music that the caller answers ends with a person: split it at its last pause.

    Nobody answers hold music, so caller speech right after a "music" unit means the unit's
    tail was a greeting that the music/speech features could not tell from the music before it.
    """
    out: list[_Piece] = []
    turn = int(TURN_WINDOW_S / FRAME_S)
    for p in pieces:
        u = p.unit
        if u.kind != "music" or p.recorded or not _speaks_between(caller, u.end - 25, u.end + turn):
            out.append(p)
            continue
        gaps = [s for s, e in runs(~active[u.start:u.end]) if e - s >= 4 and 40 <= (u.end - u.start - e) <= 400]
        if not gaps:
            out.append(p)
            continue
        cut = u.start + gaps[-1] + 1
        while cut < u.end and not active[cut]:
            cut += 1
        head, tail = Unit("music", u.start, cut, u.music_odds), Unit("speech", cut, u.end, 0.0)
        out.append(_Piece(head, marks=landmarks(power, head.start, head.end), why=p.why))
        out.append(_Piece(tail, marks=landmarks(power, tail.start, tail.end), why="music answered by the caller"))
    return out


def _split_voice_changes(pieces: list[_Piece], active: np.ndarray, power: np.ndarray) -> list[_Piece]:
    """A recording cut off by a person without a pause: split an unrecorded unit that follows a
    queue or prompt where the voice changes (BIC over band energies, at a pause of the unit).

    A greeting is short, so a long unit after a queue is split on weaker evidence, and its tail
    again while it stays long.
    """
    out: list[_Piece] = []
    for i, p in enumerate(pieces):
        before = pieces[i - 1] if i else None
        after_queue = before is not None and (before.unit.kind == "music" or before.recorded) and \
            p.unit.start - before.unit.end < 75
        while p.unit.kind == "speech" and not p.recorded and after_queue and p.unit.seconds >= 4.0:
            parts = _split_at_voice_change(p, active, power)
            if parts is None:
                break
            out.append(parts[0])
            p = parts[1]
            after_queue = p.unit.seconds > 6.0
        out.append(p)
    return out


def _split_at_voice_change(p: _Piece, active: np.ndarray, power: np.ndarray) -> tuple[_Piece, _Piece] | None:
    u = p.unit
    idx = np.flatnonzero(active[u.start:u.end]) + u.start
    x = band_log_energy(power[idx])
    pauses = np.flatnonzero(np.diff(idx) > 3) + 1
    candidates = [k for k in pauses if 75 <= k <= len(idx) - 75]
    if not candidates:
        return None
    penalty = 1.0 if u.seconds > 6.0 else 2.5
    gains = [delta_bic(x, int(k), penalty=penalty) for k in candidates]
    best = int(np.argmax(gains))
    if gains[best] <= 0:
        return None
    cut = int(idx[candidates[best]])
    # the musical sound of a merged unit is at its start (the queue's last notes, then the voice)
    in_head = min(u.music_frames, cut - u.start)
    head = Unit("speech", u.start, cut, u.music_odds, in_head)
    tail = Unit("speech", cut, u.end, u.music_odds, u.music_frames - in_head)
    return (_Piece(head, marks=landmarks(power, head.start, head.end), why="voice changes after it"),
            _Piece(tail, marks=landmarks(power, tail.start, tail.end), why="another voice"))


def _label(pieces: list[_Piece], caller: np.ndarray, have_caller: bool, key_presses: list[int] | None = None) -> None:
    """Give every piece a label, walking the call in order; `key_presses`: first frames of the caller's
    DTMF digits (a caller who presses keys after a phrase is talking to a machine)."""
    key_presses = key_presses or []
    pieces.sort(key=lambda p: p.unit.start)
    turn = int(TURN_WINDOW_S / FRAME_S)
    speech_idx = [i for i, p in enumerate(pieces) if p.unit.kind == "speech"]
    # short unmatched "music" inside speech is a flat-voiced word, not a queue
    music_starts = [p.unit.start for p in pieces
                    if p.music_match or p.unit.kind == "music" and (p.recorded or p.unit.seconds >= 3.0)]
    # a voicemail beep comes right after a greeting and before the silence in which the caller
    # leaves the message
    sound_after = [p.unit.start for p in pieces if p.unit.kind not in ("beep",)]
    speech = [p.unit for p in pieces if p.unit.kind == "speech"]
    beeps = [p.unit.start for p in pieces if p.unit.kind == "beep" and not any(
        0 <= s - p.unit.end < int(1.5 / FRAME_S) for s in sound_after) and any(
        q.start < p.unit.start and p.unit.start - q.end <= int(2.0 / FRAME_S) for q in speech)]
    caller_turns = runs(caller)
    human = False
    human_end = 0    # end of the last piece labelled live_human
    for idx, p in enumerate(pieces):
        u = p.unit
        if idx and pieces[idx - 1].label == "live_human":
            human_end = pieces[idx - 1].unit.end
        if u.kind == "ring":
            p.label, p.confidence = "ringback", 0.95
            continue
        if u.kind in ("beep", "tone", "speech") and u.seconds < 0.6 and any(u.start - 5 <= k < u.end for k in key_presses):
            p.label, p.confidence, p.why = "ivr_prompt", 0.6, "a key press (mono mix)"
            continue
        if u.kind in ("beep", "tone"):
            p.label, p.confidence = ("voicemail_greeting", 0.9) if u.start in beeps else ("noise", 0.6)
            continue
        if u.kind == "noise":
            p.label, p.confidence = "noise", 0.7
            continue
        if u.kind == "music" and human and not p.recorded and not p.music_match and u.seconds < 4.0 and \
                u.start - human_end <= int(4.0 / FRAME_S):
            # a few seconds of "music" no call on the line ever played, inside a conversation: a flat
            # voice (a TTS agent's goodbye); an agent's hold music lasts longer or is in the library
            p.label, p.confidence, p.why = "live_human", 0.6, "short unheard 'music' inside a conversation"
            continue
        if u.kind == "music" or p.music_match:
            p.label = "hold_music"
            p.confidence = max(p.confidence, min(0.95, 0.5 + abs(u.music_odds) / 10))
            human = False
            continue
        queued = any(s < u.start for s in music_starts)
        music_later = any(s >= u.end for s in music_starts)
        beep_next = any(u.start < b and -int(1.0 / FRAME_S) <= b - u.end <= int(2.0 / FRAME_S) for b in beeps)
        if beep_next:
            p.label, p.confidence = "voicemail_greeting", 0.9
            continue
        if p.recorded and human:
            # a person's stock phrase ("are you still there?") can repeat across calls of a simulator;
            # the conversation only ends with music (hold) or a beep (transfer to voicemail)
            p.label, p.confidence, p.why = "live_human", 0.7, "repeated phrase inside a conversation"
            continue
        if p.recorded and p.heard_as == "live_human" and queued and not music_later and \
                _talked_with(u, pieces, caller_turns, turn):
            # a voice the line has heard before as a person's (a TTS agent, a stock greeting) that the caller
            # talks to and that answers the caller with new words is a person, not a replayed prompt
            p.label, p.confidence, p.why, human = "live_human", 0.7, "repeated voice in a conversation", True
            continue
        if p.recorded:
            p.label = "announcement" if queued else "ivr_prompt"
            continue
        if human:
            p.label, p.confidence, p.why = "live_human", 0.85, "conversation goes on"
            continue
        if u.kind == "speech" and any(u.start + 10 <= k < u.end + turn for k in key_presses):
            p.label, p.confidence, p.why = "ivr_prompt", 0.8, "the caller answers it with a key press"
            continue
        if queued and music_later:
            p.label, p.confidence, p.why = "announcement", 0.75, "between stretches of music"
            continue
        # turn-taking: the caller replies to this unit, and the callee speaks again after the caller
        later = [pieces[j] for j in speech_idx if pieces[j].unit.start >= u.end]
        replied = _speaks_between(caller, u.end - 10, u.end + turn)
        # the callee speaking again after the caller's turn that answers this unit is a conversation
        reply = _answering_turn(u, pieces, caller_turns, turn)
        answered = reply is not None and (any(not q.recorded and q.unit.start > reply[0] for q in later[:2])
                                          or u.end - reply[1] >= int(1.0 / FRAME_S))  # goes on after the caller
        caller_before = _speaks_between(caller, u.start - turn, u.start + 10)
        if not music_later and (answered or (caller_before and replied)):
            p.label, p.confidence, p.why, human = "live_human", 0.85, "turn-taking with the caller", True
            continue
        ends = [u.end] + [q.unit.end for q in later]
        gaps = [(q.unit.start - e) * FRAME_S for q, e in zip(later, ends, strict=False)]
        long_pause = any(g >= 2.0 for g in gaps)
        # or, after a shorter pause, a brief phrase ("hello?"): a machine goes on with whole sentences
        again = any(g >= 1.5 and q.unit.seconds <= MAX_AGAIN_S for q, g in zip(later, gaps, strict=False))
        # (a later phrase heard on another call as a person's, "thank you for calling", is no recording)
        if not music_later and not any(q.recorded and q.heard_as != "live_human" for q in later) and \
                not _speaks_between(caller, u.start, len(caller)) and \
                (long_pause and u.seconds <= MAX_QUESTION_S or again):
            # nobody answers, and the callee speaks again after a long pause: a person asking "hello?"
            p.label, p.confidence, p.why, human = "live_human", 0.6, "speaks again to a silent caller", True
            continue
        # (a short recording cut off by the end of the file is no person: a person's turn ends before the
        # hang-up, or is a long mix of two voices)
        if not music_later and not have_caller and not any(q.recorded for q in later) and \
                (later or len(caller) - u.end >= int(1.0 / FRAME_S) or u.seconds >= 6.0):
            # no caller channel (mono recording): the last unrecorded speech after the queue is a person
            p.label, p.confidence, p.why, human = "live_human", 0.6, "last speech, no caller channel", True
            continue
        p.label, p.confidence = ("announcement", 0.6) if queued else ("ivr_prompt", 0.6)
        p.why = p.why or "recorded-like position, no turn-taking"
    # a person's first utterance split by short pauses into several units: the caller answers its last
    # unit, but the person started at the first one (unrecorded speech right before it)
    for i, p in enumerate(pieces):
        if p.label != "live_human" or (i and pieces[i - 1].label == "live_human"):
            continue
        j = i - 1
        # a greeting is a sentence or two: never walk back further than 6 s, nor into short music-like
        # sound (the end of the queue's music before the person's first words)
        while j >= 0 and pieces[j].unit.kind == "speech" and not pieces[j].recorded and \
                2 * pieces[j].unit.music_frames < pieces[j].unit.end - pieces[j].unit.start and \
                pieces[j].label in ("announcement", "ivr_prompt") and \
                pieces[j + 1].unit.start - pieces[j].unit.end <= int(0.5 / FRAME_S) and \
                p.unit.start - pieces[j].unit.start <= int(6.0 / FRAME_S):
            pieces[j].label, pieces[j].why = "live_human", "start of the person's first utterance"
            j -= 1
        # "hello? ... hello?": a short first phrase of the call (nothing but ring, noise or silence before it)
        # that nobody answered, up to 2 s before the person found, is the person's first word
        first = pieces[j] if j >= 0 else None
        if first is not None and first.unit.kind == "speech" and not first.recorded and \
                first.label in ("announcement", "ivr_prompt") and first.unit.seconds <= MAX_HELLO_S and \
                pieces[j + 1].unit.start - first.unit.end <= int(2.0 / FRAME_S) and \
                all(q.unit.kind in ("ring", "noise", "beep", "tone") for q in pieces[:j]):
            first.label, first.why = "live_human", "start of the person's first utterance"
    # a greeting split by a pause into several units: everything contiguous before the beep is the greeting
    for i, p in enumerate(pieces):
        if p.unit.kind in ("beep", "tone") and p.label == "voicemail_greeting":
            j = i - 1
            while j >= 0 and pieces[j].unit.kind == "speech" and pieces[j].label != "live_human" and \
                    (pieces[j + 1].unit.start - pieces[j].unit.end) * FRAME_S < 2.0:
                pieces[j].label = "voicemail_greeting"
                j -= 1


def _answering_turn(u: Unit, pieces: list[_Piece], caller_turns: list[tuple[int, int]],
                    turn: int) -> tuple[int, int] | None:
    """The caller's turn that answers `u`: a turn belongs to the callee sound it follows, so it starts
    during `u` or in the pause after it (before the callee's next sound, within `turn` frames)."""
    next_sound = min([q.unit.start for q in pieces if q.unit.start >= u.end and q.unit.kind != "noise"],
                     default=u.end + turn)
    return next(((s, e) for s, e in caller_turns if u.start <= s < min(next_sound, u.end + turn)), None)


def _talked_with(u: Unit, pieces: list[_Piece], caller_turns: list[tuple[int, int]], turn: int) -> bool:
    """The caller answers `u`, and the callee then says something unrecorded that goes on after the
    caller has finished (an answer, not more of the recording)."""
    reply = _answering_turn(u, pieces, caller_turns, turn)
    if reply is None:
        return False
    turn_end = reply[1]
    return any(q.unit.kind == "speech" and not q.recorded and q.unit.start >= u.end and
               q.unit.end - turn_end >= 25 and q.unit.start - turn_end <= turn
               for q in pieces)
