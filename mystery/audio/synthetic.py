"""Synthetic two-channel calls whose truth is known by construction.

Built from real material: ring tones, Debian's Asterisk prompts and hold music, espeak-ng agents
whose words, voices, speeds and pitches change on every call, a voicemail greeting with its beep,
line noise, and a G.711 (mu-law) round trip through sox. Tests and benchmarks use them to measure
the analyser; the analyser itself never sees anything from here except the two channels.
"""

from __future__ import annotations

import functools
import io
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly

from mystery.audio.truth import TruthPhase

RATE = 8000
SOUNDS = Path("/usr/share/asterisk/sounds/en")
MOH = Path("/usr/share/asterisk/moh")

RING_CADENCES = {
    # name: (frequencies Hz, [(on s, off s), ...]) from the national tone plans
    "us": ((440.0, 480.0), [(2.0, 4.0)]),
    "eu": ((425.0,), [(1.0, 4.0)]),
    "uk": ((400.0, 450.0), [(0.4, 0.2), (0.4, 2.0)]),
}

CALL_KINDS = (
    "ivr_queue_human",
    "queue_human",
    "ivr_queue_human",
    "direct_human",
    "ivr_human",
    "ivr_queue_human",
    "voicemail",
    "ivr_dead_end",
    "abandoned",
)
"""Mix of call kinds; `synthesize_campaign` cycles through it."""


@dataclass(frozen=True, slots=True)
class LineProfile:
    """What one client line plays: its recordings are identical on every call to that line."""

    name: str
    ring: str
    ivr: tuple[str, ...]
    queue_intro: tuple[str, ...]
    announcement: tuple[str, ...]
    announce_every_s: float
    music: str
    voicemail: tuple[str, ...]
    dead_end: tuple[str, ...]
    music_restarts: bool = False


LINES = (
    LineProfile(
        name="grand-hotel",
        ring="eu",
        ivr=("dir-welcome", "vm-press", "digits/1", "for", "vm-options"),
        queue_intro=("pls-hold-while-try",),
        announcement=("queue-periodic-announce",),
        announce_every_s=20.0,
        music="macroform-cold_day",
        voicemail=("vm-nobodyavail", "vm-intro"),
        dead_end=("pm-invalid-option", "please-try-call-later", "vm-goodbye"),
    ),
    LineProfile(
        name="seaside-inn",
        ring="us",
        ivr=("basic-pbx-ivr-main",),
        queue_intro=("queue-thankyou",),
        announcement=("queue-youarenext", "queue-thankyou"),
        announce_every_s=15.0,
        music="manolo_camp-morning_coffee",
        voicemail=("vm-theperson", "vm-isunavail"),
        dead_end=("sorry-youre-having-problems", "please-try-call-later"),
    ),
    LineProfile(
        name="city-lodge",
        ring="uk",
        ivr=("demo-thanks", "if-correct-press", "digits/1"),
        queue_intro=("one-moment-please",),
        announcement=("all-circuits-busy-now", "pls-hold-while-try"),
        announce_every_s=25.0,
        music="reno_project-system",
        voicemail=("vm-nobodyavail", "vm-leavemsg"),
        dead_end=("im-sorry", "cannot-complete-as-dialed", "vm-goodbye"),
    ),
    LineProfile(
        name="harbour-hotel",
        ring="eu",
        ivr=("say:Thank you for calling the Harbour Hotel.", "say:For bookings press one, for events press two."),
        queue_intro=("say:All our colleagues are busy, please stay on the line.",),
        announcement=("say:Your call matters to us. Someone will answer very soon.",),
        announce_every_s=8.0,
        music="macroform-robot_dity",
        voicemail=("say:You have reached the Harbour Hotel, please leave your message after the tone.",),
        dead_end=("say:Events are closed today. Goodbye.",),
        music_restarts=True,
    ),
)

_GREETINGS = ("Good morning", "Good afternoon", "Hello", "Hi there", "Good evening", "Thanks for calling")
_HOTELS = ("Grand Hotel", "Seaside Inn", "City Lodge", "the Royal", "Park Suites", "Harbour View")
_NAMES = ("Maria", "John", "Aisha", "Pierre", "Kenji", "Olga", "Samuel", "Lucia", "Tom", "Nadia")
_ASKS = ("how can I help you", "what can I do for you today", "how may I help", "who am I speaking with")
_AGENT_LINES = (
    "Let me check the availability for those dates.",
    "We have a double room with a sea view at one hundred and twenty euros per night.",
    "Breakfast is included, and I can add late checkout if you like.",
    "Could I have your name and a phone number please?",
    "Yes of course, one moment while I look at the system.",
    "The junior suite is also free, would you like me to hold it for you?",
    "Parking is available on site for fifteen euros a day.",
    "I will send you a confirmation by email right away.",
)
_CALLER_LINES = (
    "Hello, I would like to book a room for next weekend.",
    "Do you have anything for two nights in March?",
    "How much is it per night?",
    "Is breakfast included?",
    "That sounds good, thank you.",
    "Can I pay when I arrive?",
)
_VOICES = ("en", "en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-us-nyc")
_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt3", "iven2",
             "john", "Annie", "steph", "Andy", "Mr", "max")


@dataclass(frozen=True)
class SyntheticCall:
    """One synthetic call: both channels after G.711, and the truth by construction."""

    name: str
    line: str
    kind: str
    callee: np.ndarray
    caller: np.ndarray
    rate: int
    truth: tuple[TruthPhase, ...]
    invite_offset_s: float
    time_to_human_s: float | None       # from the INVITE
    outcome: str
    notes: dict[str, float] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return len(self.callee) / self.rate

    def stereo(self) -> np.ndarray:
        """Left = caller, right = callee, as the dialer records (see `CallResult.recording`)."""
        return np.stack([self.caller, self.callee], axis=1)


def _db(gain_db: float) -> float:
    return float(10 ** (gain_db / 20))


def _trim(x: np.ndarray, floor_db: float = -45.0) -> np.ndarray:
    """Cut leading/trailing near-silence so that truth onsets are speech onsets."""
    level = np.abs(x) > _db(floor_db)
    if not level.any():
        return x
    idx = np.flatnonzero(level)
    return x[max(idx[0] - 8, 0): idx[-1] + 8]


@functools.lru_cache(maxsize=256)
def asterisk_sound(name: str) -> np.ndarray:
    """A Debian Asterisk prompt or hold-music file as float32 at 8 kHz."""
    path = MOH / f"{name}.wav" if (MOH / f"{name}.wav").exists() else SOUNDS / f"{name}.wav"
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    data = data.mean(axis=1)
    if rate != RATE:
        data = resample_poly(data, RATE, rate).astype(np.float32)
    return data


@functools.lru_cache(maxsize=1024)
def speak(text: str, voice: str = "en", variant: str = "m3", speed: int = 165, pitch: int = 50) -> np.ndarray:
    """espeak-ng speech at 8 kHz, trimmed to its first and last audible sample."""
    out = subprocess.run(
        ["espeak-ng", "-v", f"{voice}+{variant}", "-s", str(speed), "-p", str(pitch), "--stdout", text],
        check=True, capture_output=True,
    ).stdout
    data, rate = soundfile.read(io.BytesIO(out), dtype="float32")
    data = resample_poly(data, 160, 441).astype(np.float32) if rate == 22050 else resample_poly(data, RATE, rate)
    data = _trim(np.asarray(data, dtype=np.float32))
    return data / (np.max(np.abs(data)) + 1e-9) * 0.5


def tone(freqs: tuple[float, ...], seconds: float, level_db: float = -16.0, rate: int = RATE) -> np.ndarray:
    """Sum of sines, each at `level_db` dBFS peak."""
    t = np.arange(int(seconds * rate)) / rate
    return (sum((np.sin(2 * np.pi * f * t) for f in freqs), np.zeros_like(t)) * _db(level_db)).astype(np.float32)


def ringback(style: str, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Ring tone of a national cadence, cut after `seconds` (answer can come mid-cadence)."""
    freqs, cadence = RING_CADENCES[style]
    level = float(rng.uniform(-20, -12))
    parts: list[np.ndarray] = []
    total = 0
    n = int(seconds * RATE)
    while total < n:
        for on, off in cadence:
            parts += [tone(freqs, on, level), np.zeros(int(off * RATE), np.float32)]
            total += int((on + off) * RATE)
    return np.concatenate(parts)[:n]


def line_noise(seconds: float, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """Band-limited crackly noise: what a bad line or a noisy room sounds like."""
    n = int(seconds * RATE)
    white = rng.standard_normal(n)
    pink = np.cumsum(white) * 0.02
    pink -= np.convolve(pink, np.ones(400) / 400, mode="same")
    mix = 0.6 * white / 3 + pink / (np.std(pink) + 1e-9) / 3
    mix *= 1 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * np.arange(n) / RATE)
    return (mix / (np.max(np.abs(mix)) + 1e-9) * _db(level_db)).astype(np.float32)


def g711_round_trip(x: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Encode to mu-law and back with sox, as RTP with PCMU does to every call."""
    with tempfile.TemporaryDirectory() as tmp:
        src, mid = Path(tmp, "in.wav"), Path(tmp, "ulaw.wav")
        soundfile.write(src, np.clip(x, -1, 1), rate, subtype="PCM_16")
        subprocess.run(["sox", str(src), "-e", "u-law", str(mid)], check=True, capture_output=True)
        data, _ = soundfile.read(mid, dtype="float32")
    return data


class _Timeline:
    """Two channels built side by side, with the truth phases of the callee channel."""

    def __init__(self) -> None:
        self.callee: list[np.ndarray] = []
        self.caller: list[np.ndarray] = []
        self.n = 0
        self.truth: list[TruthPhase] = []

    @property
    def t(self) -> float:
        return self.n / RATE

    def add(self, label: str, callee: np.ndarray, caller: np.ndarray | None = None) -> None:
        caller = np.zeros(0, np.float32) if caller is None else caller
        length = max(len(callee), len(caller))
        start = self.t
        self.callee.append(np.pad(callee, (0, length - len(callee))).astype(np.float32))
        self.caller.append(np.pad(caller, (0, length - len(caller))).astype(np.float32))
        self.n += length
        if self.truth and self.truth[-1].label == label and abs(self.truth[-1].end_s - start) < 1e-6:
            self.truth[-1] = TruthPhase(label, self.truth[-1].start_s, self.t)
        elif length:
            self.truth.append(TruthPhase(label, start, self.t))

    def silence(self, label: str, seconds: float) -> None:
        self.add(label, np.zeros(int(seconds * RATE), np.float32))


def _prompt(names: tuple[str, ...], gain_db: float) -> np.ndarray:
    """Asterisk prompt files, or "say:TEXT" spoken by the line's own espeak-ng voice (a TTS switchboard)."""
    parts = []
    for n in names:
        if n.startswith("say:"):
            parts += [speak(n[4:], "en-gb", "f4", 165, 55), np.zeros(int(0.35 * RATE), np.float32)]
        else:
            parts.append(asterisk_sound(n))
    return np.concatenate(parts) * _db(gain_db)


def _dtmf(rng: np.random.Generator) -> np.ndarray:
    low, high = rng.choice([697, 770, 852]), rng.choice([1209, 1336])
    return tone((float(low), float(high)), float(rng.uniform(0.08, 0.2)), -10)


def _agent_voice(rng: np.random.Generator) -> dict[str, object]:
    return {
        "voice": str(rng.choice(_VOICES)),
        "variant": str(rng.choice(_VARIANTS)),
        "speed": int(rng.integers(135, 195)),
        "pitch": int(rng.integers(25, 80)),
    }


def _ivr(tl: _Timeline, line: LineProfile, gain: float, rng: np.random.Generator, speech_ivr: bool) -> None:
    tl.silence("ivr_prompt", float(rng.uniform(0.2, 0.8)))
    tl.add("ivr_prompt", _prompt(line.ivr, gain))
    wait = np.zeros(int(rng.uniform(1.0, 3.0) * RATE), np.float32)
    caller = (speak("reservations", "en-gb", "m2", 160, 45) * 0.6 if speech_ivr
              else np.concatenate([np.zeros(int(0.4 * RATE), np.float32), _dtmf(rng)]))
    tl.add("ivr_prompt", wait, caller)


def _queue(tl: _Timeline, line: LineProfile, gain: float, hold_s: float, rng: np.random.Generator) -> None:
    """Music with periodic announcements for `hold_s` seconds; the agent may cut anything off."""
    end = tl.n + int(hold_s * RATE)
    music = asterisk_sound(line.music) * _db(gain + float(rng.uniform(-4, 2)))
    # some switchboards restart the track (and its fade-in) after every announcement
    restart = line.music_restarts or rng.random() < 0.2
    pos = 0 if restart else int(rng.uniform(0, len(music)))

    def put(label: str, audio: np.ndarray) -> None:
        tl.add(label, audio[: max(end - tl.n, 0)])

    # the message before the queue is a prompt (the simulator and the brief say so: the queue starts
    # with its music); the queue's own announcements come between stretches of music
    put("ivr_prompt", _prompt(line.queue_intro, gain))
    put("ivr_prompt", np.zeros(int(rng.uniform(0.1, 0.4) * RATE), np.float32))
    while tl.n < end:
        n = int(line.announce_every_s * RATE)
        put("hold_music", np.take(music, np.arange(pos, pos + n), mode="wrap"))
        pos = 0 if restart else (pos + n) % len(music)
        put("hold_music", np.zeros(int(rng.uniform(0.1, 0.4) * RATE), np.float32))
        put("announcement", _prompt(line.announcement, gain))
        put("announcement", np.zeros(int(rng.uniform(0.1, 0.4) * RATE), np.float32))


def _conversation(tl: _Timeline, rng: np.random.Generator) -> None:
    agent = _agent_voice(rng)
    caller_voice = {"voice": "en-gb", "variant": str(rng.choice(["m1", "f2", "m6", "f4"])),
                    "speed": int(rng.integers(150, 180)), "pitch": int(rng.integers(35, 65))}
    greeting = (f"{rng.choice(_GREETINGS)}, {rng.choice(_HOTELS)}, "
                f"{rng.choice(_NAMES)} speaking, {rng.choice(_ASKS)}?")
    gain = float(rng.uniform(-8, 0))
    tl.add("live_human", speak(greeting, **agent) * _db(gain))
    lines = list(rng.permutation(_AGENT_LINES))
    for turn in range(int(rng.integers(1, 4))):
        tl.silence("live_human", float(rng.uniform(0.3, 1.2)))
        said = speak(str(rng.choice(_CALLER_LINES)), **caller_voice) * 0.7
        tl.add("live_human", np.zeros(0, np.float32), said)
        tl.silence("live_human", float(rng.uniform(0.3, 1.0)))
        tl.add("live_human", speak(str(lines[turn]), **agent) * _db(gain))
    tl.silence("live_human", float(rng.uniform(0.3, 1.5)))


def synthesize_call(seed: int, line: LineProfile, kind: str, hold_s: float | None = None,
                    noise: bool | None = None) -> SyntheticCall:
    """Build one call of `kind` (see CALL_KINDS) to `line`; everything random comes from `seed`."""
    rng = np.random.default_rng(seed)
    tl = _Timeline()
    gain = float(rng.uniform(-6, 0))
    early_media = rng.random() > 0.15
    ring_s = float(rng.uniform(1.5, 9.0)) if kind != "voicemail" else float(rng.uniform(12, 20))
    if early_media:
        tl.add("ringback", ringback(line.ring, ring_s, rng))
    else:
        tl.silence("silence", min(ring_s, 2.0))
    noise = bool(rng.random() < 0.3) if noise is None else noise
    if noise:
        tl.add("noise", line_noise(float(rng.uniform(1.5, 4.0)), float(rng.uniform(-30, -18)), rng))
    hold_s = float(rng.choice([rng.uniform(4, 20), rng.uniform(20, 60), rng.uniform(60, 100)])) \
        if hold_s is None else hold_s
    outcome = "human"
    if kind in ("ivr_queue_human", "ivr_human", "ivr_dead_end", "abandoned"):
        _ivr(tl, line, gain, rng, speech_ivr=rng.random() < 0.25)
    if kind in ("ivr_queue_human", "queue_human", "abandoned"):
        _queue(tl, line, gain, hold_s, rng)
    if kind == "ivr_human":
        tl.silence("ivr_prompt", float(rng.uniform(0.3, 1.5)))
    if kind == "direct_human":
        tl.silence("silence", float(rng.uniform(0.0, 0.5)))
    if kind in ("ivr_queue_human", "queue_human", "ivr_human", "direct_human"):
        tl.silence(tl.truth[-1].label if tl.truth else "silence", float(rng.uniform(0.0, 0.8)))
        _conversation(tl, rng)
    elif kind == "voicemail":
        outcome = "voicemail"
        tl.silence("voicemail_greeting", float(rng.uniform(0.2, 0.6)))
        tl.add("voicemail_greeting", _prompt(line.voicemail, gain))
        tl.silence("voicemail_greeting", 0.3)
        tl.add("voicemail_greeting", tone((1000.0,), 0.5, -12))
        message = speak("Hello, this is a message for the reservations team, please call me back.",
                        "en-gb", "m1", 160, 50) * 0.7
        tl.add("silence", np.zeros(int(RATE * 0.8), np.float32))
        tl.add("silence", np.zeros(0, np.float32), message)
        tl.silence("silence", 1.0)
    elif kind == "ivr_dead_end":
        outcome = "ivr_dead_end"
        tl.add("ivr_prompt", _prompt(line.dead_end, gain))
        tl.silence("ivr_prompt", float(rng.uniform(0.3, 1.5)))
    elif kind == "abandoned":
        outcome = "abandoned_in_queue"
    else:
        raise ValueError(f"unknown call kind {kind!r}")
    callee = np.concatenate(tl.callee)
    caller = np.concatenate(tl.caller)
    callee = callee + rng.standard_normal(len(callee)).astype(np.float32) * _db(float(rng.uniform(-66, -56)))
    invite_offset_s = float(rng.uniform(0.05, 0.6))
    human = next((p.start_s for p in tl.truth if p.label == "live_human"), None)
    return SyntheticCall(
        name=f"{line.name}-{kind}-{seed}", line=line.name, kind=kind,
        callee=g711_round_trip(callee), caller=g711_round_trip(caller), rate=RATE,
        truth=tuple(tl.truth), invite_offset_s=invite_offset_s,
        time_to_human_s=None if human is None else human + invite_offset_s, outcome=outcome,
        notes={"hold_s": hold_s},
    )


def synthesize_campaign(n_calls: int, seed: int = 0) -> Iterator[SyntheticCall]:
    """`n_calls` calls spread over the LINES, cycling through CALL_KINDS, in dialling order."""
    for i in range(n_calls):
        line = LINES[i % len(LINES)]
        kind = CALL_KINDS[(i // len(LINES) + i) % len(CALL_KINDS)]
        yield synthesize_call(seed * 10_000 + i, line, kind)
