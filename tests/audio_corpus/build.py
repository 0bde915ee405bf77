"""Assemble realistic calls with exact labels from the corpus's real recordings (seeded, deterministic).

Why: issue 14's held-out figures need calls nobody here produced, whose truth is known to 10 ms. Each
call is a sequence of phases (ringback, IVR, queue with repeated announcements, a person, voicemail, a
closed message) cut from the clips of ONE half only, then sent through a telephone line (line.py) and
written as mono or two-channel audio in either channel order. The label set is the analysis's
(`mystery/audio/truth.py`); this module imports nothing from `mystery`, so the corpus stays independent.

    calls = build_half("heldout")          # list[BuiltCall], same bytes on every run
    write_half(calls, Path("out"))         # WAV files + manifest.json with sha256 of each file
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile

from . import signals as sg
from .catalogue import RATE, sources
from .line import LineTreatment, draw_treatment, treat

KINDS = (
    "direct_greeting", "direct_hello", "ivr_person", "queue_person", "ivr_queue_person", "noisy_room",
    "queue_silent_caller", "voicemail", "endless_queue", "closed", "ivr_dead_end",
)
NO_PERSON = frozenset({"voicemail", "endless_queue", "closed", "ivr_dead_end"})
LAYOUTS = ("right", "mono", "left")   # the callee's channel, as `mystery analyse --channel` names it
SEEDS = {"tuning": 1400, "heldout": 1414}
CALLS_PER_HALF = 44


@dataclass
class BuiltCall:
    """One call of the corpus: audio as written, truth phases timed from the first sample."""

    name: str
    half: str
    kind: str
    channel: str                       # right / left / mono: where the callee is
    audio: np.ndarray                  # (n,) mono or (n, 2) two-channel, float32 at 8 kHz
    truth: list[tuple[str, float, float]]
    human_start_s: float | None        # first word of a person (recording time); None: no person
    caller_speaks: bool
    details: dict[str, object] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return len(self.audio) / RATE


class Timeline:
    """Callee and caller channels built side by side, with the callee's truth phases."""

    def __init__(self) -> None:
        self.callee: list[np.ndarray] = []
        self.caller: list[np.ndarray] = []
        self.n = 0
        self.truth: list[tuple[str, float, float]] = []
        self.beds: list[tuple[int, np.ndarray]] = []   # (start sample, audio) mixed under the callee
        self.marks: dict[str, float] = {}                # named moments (the end of a person's first turn)

    @property
    def t(self) -> float:
        return self.n / RATE

    def add(self, label: str, callee: np.ndarray, caller: np.ndarray | None = None) -> None:
        caller = np.zeros(0, np.float32) if caller is None else caller
        length = max(len(callee), len(caller))
        if not length:
            return
        start = self.t
        self.callee.append(np.pad(callee, (0, length - len(callee))).astype(np.float32))
        self.caller.append(np.pad(caller, (0, length - len(caller))).astype(np.float32))
        self.n += length
        if self.truth and self.truth[-1][0] == label:
            self.truth[-1] = (label, self.truth[-1][1], self.t)
        else:
            self.truth.append((label, start, self.t))

    def pause(self, label: str, seconds: float) -> None:
        self.add(label, sg.silence(seconds))

    def channels(self) -> tuple[np.ndarray, np.ndarray]:
        callee = np.concatenate(self.callee)
        for start, bed in self.beds:
            end = min(len(callee), start + len(bed))
            callee[start:end] += bed[: end - start]
        return callee, np.concatenate(self.caller)


@dataclass
class Cast:
    """Who and what one call hears, all from one half."""

    person: str
    recorded: str
    caller: str
    music: str
    noise: str
    ring: str
    gain: float


def _cast(half: str, rng: np.random.Generator) -> Cast:
    voices = [s.name for s in sources(half, "speech")]
    person, recorded, caller = (str(v) for v in rng.choice(voices, 3, replace=False))
    return Cast(person, recorded, caller, str(rng.choice([s.name for s in sources(half, "music")])),
                str(rng.choice([s.name for s in sources(half, "noise")])), str(rng.choice(list(sg.RING))),
                float(rng.uniform(-8, -2)))


def _ring(tl: Timeline, cast: Cast, rng: np.random.Generator, seconds: tuple[float, float]) -> None:
    """Early-media ringback answered mid-burst or between bursts; sometimes the recording starts at answer."""
    if rng.random() < 0.15:
        return
    mid_burst = bool(rng.random() < 0.5)
    while True:   # answered mid-burst or between bursts, at least 0.1 s from an edge
        ring_s = float(rng.uniform(*seconds))
        on, edge = sg.ring_state(cast.ring, ring_s)
        if on == mid_burst and edge >= 0.1:
            break
    tl.add("ringback", sg.ringback(cast.ring, ring_s, 0.0, float(rng.uniform(-20, -12))))


def _say(cast_voice: str, rng: np.random.Generator, lo: float, hi: float, gain: float) -> np.ndarray:
    return sg.utterance(cast_voice, rng, lo, hi) * sg.db(gain)


@dataclass
class LineRecordings:
    """What one client line plays on every call: the same prompts, announcement, greeting and music."""

    name: str
    recorded: str                     # the voice of every prompt (a speech clip of the half)
    music: str
    ring: str
    prompts: dict[str, np.ndarray]    # ivr, intro, announcement, voicemail, closed (unit level)
    every_s: float                    # announcement period
    music_offset_s: float | None      # the track restarts here on every call, or None: it runs on


def _recorded(key: str, cast: Cast, rng: np.random.Generator, lo: float, hi: float,
              line: LineRecordings | None) -> np.ndarray:
    """The line's own recording of `key`, or (a call without a line) a fresh snippet of the recorded voice."""
    return _say(cast.recorded, rng, lo, hi, cast.gain) if line is None else line.prompts[key] * sg.db(cast.gain)


def _ivr(tl: Timeline, cast: Cast, rng: np.random.Generator, menus: int = 1,
         line: LineRecordings | None = None) -> None:
    tl.pause("ivr_prompt", float(rng.uniform(0.2, 0.8)))
    prompt = _recorded("ivr", cast, rng, 2.5, 6.0, line)
    for _ in range(menus):
        tl.add("ivr_prompt", prompt)
        tl.pause("ivr_prompt", float(rng.uniform(0.3, 0.8)))
    caller = np.concatenate([sg.silence(float(rng.uniform(0.3, 0.8))), sg.dtmf(rng)])
    tl.add("ivr_prompt", sg.silence(float(rng.uniform(1.0, 2.5))), caller)


def _queue(tl: Timeline, cast: Cast, rng: np.random.Generator, hold_s: float,
           line: LineRecordings | None = None) -> None:
    """Intro prompt, then music with the same announcement every 8-20 s, for `hold_s` seconds."""
    tl.add("ivr_prompt", _recorded("intro", cast, rng, 1.5, 3.5, line))
    tl.pause("ivr_prompt", float(rng.uniform(0.1, 0.4)))
    announcement = _recorded("announcement", cast, rng, 2.0, 5.0, line)
    every = float(rng.uniform(8, 20))
    music_gain = cast.gain + float(rng.uniform(-6, 0))
    offset = float(rng.uniform(0, 40))
    if line is not None:
        every = line.every_s
        offset = offset if line.music_offset_s is None else line.music_offset_s
    end = tl.n + int(hold_s * RATE)
    while tl.n < end:
        chunk = min(every, (end - tl.n) / RATE)
        tl.add("hold_music", sg.loop(cast.music, chunk, offset) * sg.db(music_gain))
        offset += chunk
        if tl.n >= end:
            break
        tl.pause("hold_music", float(rng.uniform(0.1, 0.4)))
        tl.add("announcement", announcement[: max(end - tl.n, 0)])
        tl.pause("announcement", float(rng.uniform(0.1, 0.4)))


def _person(tl: Timeline, cast: Cast, rng: np.random.Generator, caller_replies: bool, hello: bool) -> None:
    """A person from their first word: greeting (or "hello? ... hello?"), then turns or a silent caller."""
    gain = cast.gain + float(rng.uniform(-4, 3))
    if hello:
        tl.add("live_human", _say(cast.person, rng, 0.3, 1.0, gain))
        tl.pause("live_human", float(rng.uniform(0.8, 1.9)))
        tl.add("live_human", _say(cast.person, rng, 0.3, 1.0, gain))
    else:
        tl.add("live_human", _say(cast.person, rng, 1.0, 3.5, gain))
    tl.marks["first_turn_end_s"] = round(tl.t, 4)
    for _ in range(int(rng.integers(1, 3))):
        if caller_replies:
            tl.pause("live_human", float(rng.uniform(0.3, 1.0)))
            tl.add("live_human", np.zeros(0, np.float32), _say(cast.caller, rng, 0.8, 2.5, -6))
            tl.pause("live_human", float(rng.uniform(0.3, 1.0)))
            tl.add("live_human", _say(cast.person, rng, 1.5, 4.0, gain))
        else:
            tl.pause("live_human", float(rng.uniform(1.5, 3.0)))
            tl.add("live_human", _say(cast.person, rng, 0.3, 1.5, gain))
    tl.pause("live_human", float(rng.uniform(0.5, 1.5)))


def _script(kind: str, tl: Timeline, cast: Cast, rng: np.random.Generator, caller_replies: bool,
            line: LineRecordings | None = None) -> None:
    """The phases of one kind of call, on the timeline."""
    if kind == "voicemail":
        _ring(tl, cast, rng, (12, 20))
        tl.pause("voicemail_greeting", float(rng.uniform(0.2, 0.6)))
        tl.add("voicemail_greeting", _recorded("voicemail", cast, rng, 3.0, 6.0, line))
        tl.pause("voicemail_greeting", float(rng.uniform(0.2, 0.5)))
        tl.add("voicemail_greeting", sg.beep(rng))
        message = _say(cast.caller, rng, 1.5, 4.0, -6) if caller_replies else None
        tl.add("silence", sg.silence(float(rng.uniform(3, 6))), message)
        return
    _ring(tl, cast, rng, (2, 12))
    if kind in ("closed", "ivr_dead_end"):
        if kind == "ivr_dead_end":
            _ivr(tl, cast, rng, line=line)
        elif rng.random() < 0.5:
            tl.pause("ivr_prompt", float(rng.uniform(0.1, 0.4)))
            tl.add("ivr_prompt", sg.sit())
        closed = _recorded("closed", cast, rng, 3.0, 6.0, line)
        for _ in range(2):
            tl.pause("ivr_prompt", float(rng.uniform(0.3, 1.0)))
            tl.add("ivr_prompt", closed)
        tl.pause("ivr_prompt", float(rng.uniform(0.5, 1.5)))
        return
    if kind in ("ivr_person", "ivr_queue_person") or (kind == "endless_queue" and rng.random() < 0.5):
        _ivr(tl, cast, rng, menus=int(rng.integers(1, 3)), line=line)
    if kind in ("queue_person", "ivr_queue_person", "queue_silent_caller", "endless_queue"):
        if not tl.truth or tl.truth[-1][0] == "ringback":
            tl.pause("ivr_prompt", float(rng.uniform(0.2, 0.7)))
        _queue(tl, cast, rng, float(rng.uniform(30, 70) if kind == "endless_queue" else rng.uniform(10, 40)), line)
        if kind == "endless_queue":
            return
        tl.pause(tl.truth[-1][0], float(rng.uniform(0.0, 0.3)))   # the agent picks up: music stops
    elif kind in ("direct_greeting", "direct_hello", "noisy_room") or tl.truth[-1][0] == "ringback":
        tl.pause("silence", float(rng.uniform(0.2, 0.7)))
    if kind == "noisy_room":
        bed = sg.loop(cast.noise, 90.0, float(rng.uniform(0, 10))) * sg.db(cast.gain + float(rng.uniform(-22, -12)))
        tl.beds.append((tl.n, bed))
        tl.add("noise", sg.silence(float(rng.uniform(0.4, 1.5))))
    _person(tl, cast, rng, caller_replies, hello=kind == "direct_hello" or (kind == "noisy_room" and rng.random() < .5))


def build_call(half: str, index: int,
               line_override: Callable[[LineTreatment], LineTreatment | None] | None = None,
               line: LineRecordings | None = None) -> BuiltCall:
    """Call number `index` of a half: its kind, cast, line and layout all come from (half seed, index).

    `line_override` (benchmarks only) replaces the drawn telephone line, or with None skips it; everything
    else, the random stream included, stays as it is. `line` (see `build_line_calls`) makes the call one of
    a client line's: its prompts, announcement, greeting, music and ring are the line's.
    """
    rng = np.random.default_rng([SEEDS[half], index] if line is None else [SEEDS[half], 100 + index])
    kind = KINDS[index % len(KINDS)]
    cast = _cast(half, rng)
    if line is not None:
        cast = _line_cast(half, cast, line, rng)
    caller_replies = kind != "queue_silent_caller" and bool(rng.random() < 0.7)
    tl = Timeline()
    _script(kind, tl, cast, rng, caller_replies, line)
    callee, caller = tl.channels()
    drawn = draw_treatment(rng)
    treatment = drawn if line_override is None else line_override(drawn)
    if treatment is not None:
        callee, caller = treat(callee, treatment, rng), treat(caller, treatment, rng)
    channel = LAYOUTS[index % len(LAYOUTS)]
    if channel == "mono":
        audio = np.clip(callee + caller, -1, 1)
    else:
        pair = [caller, callee] if channel == "right" else [callee, caller]
        audio = np.clip(np.stack(pair, axis=1), -1, 1)
    human = next((s for label, s, _ in tl.truth if label == "live_human"), None)
    truth = [(label, round(s, 4), round(e, 4)) for label, s, e in tl.truth]
    details: dict[str, object] = {"cast": asdict(cast), "line": None if treatment is None else asdict(treatment),
                                  **tl.marks}
    if line is not None:
        details["client_line"] = line.name
    return BuiltCall(f"{half}-{index:02d}-{kind}", half, kind, channel, audio.astype(np.float32), truth,
                     None if human is None else round(human, 4), caller_replies and kind not in NO_PERSON, details)


LINES_PER_HALF = 4
CALLS_PER_LINE = 4


def _line_cast(half: str, cast: Cast, line: LineRecordings, rng: np.random.Generator) -> Cast:
    """The call's own person, caller and room, with the line's recorded voice, music and ring."""
    voices = [s.name for s in sources(half, "speech") if s.name != line.recorded]
    person, caller = (str(v) for v in rng.choice(voices, 2, replace=False))
    return Cast(person, line.recorded, caller, line.music, cast.noise, line.ring, cast.gain)


def client_line(half: str, number: int) -> LineRecordings:
    """Client line `number` of a half: one recorded voice, its prompts, one track, one ring (seeded)."""
    order = np.random.default_rng([SEEDS[half], 900])   # lines differ in voice, track and ring
    voices = order.permutation([s.name for s in sources(half, "speech")])
    tracks = order.permutation([s.name for s in sources(half, "music")])
    recorded, music = str(voices[number % len(voices)]), str(tracks[number % len(tracks)])
    ring = str(list(sg.RING)[number % len(sg.RING)])
    rng = np.random.default_rng([SEEDS[half], 900 + number])
    spans = {"ivr": (2.5, 6.0), "intro": (1.5, 3.5), "announcement": (2.0, 5.0), "voicemail": (3.0, 6.0),
             "closed": (3.0, 6.0)}
    prompts = {key: sg.utterance(recorded, rng, lo, hi) for key, (lo, hi) in spans.items()}
    offset = 0.0 if rng.random() < 0.5 else None
    return LineRecordings(f"{half}-line{number}", recorded, music, ring, prompts, float(rng.uniform(8, 20)), offset)


def build_line(half: str, number: int) -> list[BuiltCall]:
    """The calls to client line `number` of a half, in dialling order."""
    line = client_line(half, number)
    calls = []
    for k in range(CALLS_PER_LINE):
        call = build_call(half, number * CALLS_PER_LINE + k, line=line)
        call.name = f"{half}-line{number}-{k}-{call.kind}"
        calls.append(call)
    return calls


def build_line_calls(half: str) -> list[BuiltCall]:
    """Calls to client lines, in dialling order: each line's recordings repeat across its calls, as real
    switchboards' do (the analysis's cross-call fingerprints need that); the people never repeat."""
    return [call for number in range(LINES_PER_HALF) for call in build_line(half, number)]


def build_half(half: str, indices: range | list[int] | None = None,
               line_override: Callable[[LineTreatment], LineTreatment | None] | None = None) -> list[BuiltCall]:
    return [build_call(half, i, line_override) for i in (range(CALLS_PER_HALF) if indices is None else indices)]


def wav_bytes(call: BuiltCall) -> bytes:
    """The call as a 16-bit WAV file (what the manifest's checksum is of)."""
    out = io.BytesIO()
    soundfile.write(out, call.audio, RATE, subtype="PCM_16", format="WAV")
    return out.getvalue()


def manifest_entry(call: BuiltCall) -> dict[str, object]:
    return {"name": call.name, "half": call.half, "kind": call.kind, "channel": call.channel,
            "duration_s": round(call.duration_s, 3), "human_start_s": call.human_start_s,
            "caller_speaks": call.caller_speaks, "truth": [list(p) for p in call.truth],
            "sha256": hashlib.sha256(wav_bytes(call)).hexdigest(), **call.details}


def write_half(calls: list[BuiltCall], out_dir: Path) -> Path:
    """Write every call as NAME.wav and the half's manifest.json; returns the manifest's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for call in calls:
        (out_dir / f"{call.name}.wav").write_bytes(wav_bytes(call))
    manifest = out_dir / "manifest.json"
    manifest.write_text(json.dumps([manifest_entry(c) for c in calls], indent=1) + "\n")
    return manifest
