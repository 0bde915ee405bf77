"""Simulator calls whose spoken text is known, for measuring checklist verdicts (not a test).

Each call is what the switchboard's agent says on a call to the demo hotel: the persona
(`switchboard.persona.choose_persona`: name, voice, speed, pitch, wording, price) of the n-th call
to the front desk, each turn spoken by espeak-ng at 8 kHz as the switchboard renders it
(`switchboard.render.render_speech`), with the caller's turns as line noise between them, and the
whole callee channel through a G.711 mu-law round trip as RTP carries it. One call in four has a
sloppy agent who leaves out a turn's key words (no name, no price, no goodbye), so that "not said"
is also tested. The SIP leg itself is not run: over loopback it changes nothing but the codec,
which the round trip reproduces.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import soundfile

from mystery.audio.synthetic import g711_round_trip, line_noise
from mystery.records import Segment, Word
from mystery.score.checklist import Checklist
from switchboard.config import load_switchboard
from switchboard.persona import call_rng, choose_persona
from switchboard.render import default_cache_dir, render_speech

RATE = 8000
DEMO_HOTEL = Path(__file__).resolve().parents[1] / "switchboard" / "scenarios" / "demo_hotel.yaml"
SLOPPY = {  # what a careless agent says instead of a turn
    "greeting": ("Hello, how can I help?", "Yes, hello?", "Reservations, good {daypart}."),
    "reply": ("Let me check. Yes, that is possible.", "We have rooms for those dates.", "I think so, yes."),
    "closing": ("Okay, thanks.", "Alright then.", "Fine, thank you."),
}


@dataclass(frozen=True)
class Turn:
    """One agent turn: what was said, when (seconds on the callee channel)."""

    kind: str
    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SimCall:
    """A call of the corpus: the callee channel, its agent turns and the agent's names and voice;
    `checklist`: its own checklist (None: the demo hotel's)."""

    call_id: str
    agent: str
    voice: str
    speed_wpm: int
    samples: np.ndarray
    turns: tuple[Turn, ...]
    checklist: Checklist | None = None

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The agent's turns as the segmenter labels a person (one live_human segment per turn)."""
        return tuple(Segment(t.start_s, t.end_s, "live_human") for t in self.turns)

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.turns)

    def truth_words(self) -> tuple[Word, ...]:
        """The spoken text as words, spread evenly over each turn, confidence 1."""
        out = []
        for t in self.turns:
            tokens = t.text.split()
            step = (t.end_s - t.start_s) / max(1, len(tokens))
            out += [Word(t.start_s + i * step, t.start_s + (i + 1) * step, w, 1.0, "callee")
                    for i, w in enumerate(tokens)]
        return tuple(out)


def _read(path: Path) -> np.ndarray:
    samples, rate = soundfile.read(str(path), dtype="float32")
    assert rate == RATE, path
    return samples


def agent_names(path: Path = DEMO_HOTEL) -> tuple[str, ...]:
    """The names the simulated front desk agents use (the scenario's staff list)."""
    return tuple(load_switchboard(path).pools["frontdesk"].names)


def build_calls(n: int, seed: int = 18, cache_dir: Path | None = None, path: Path = DEMO_HOTEL) -> list[SimCall]:
    """`n` calls to the demo hotel's front desk; the same `seed` gives the same calls."""
    cfg = load_switchboard(path)
    pool = cfg.pools["frontdesk"]
    cache = cache_dir or default_cache_dir()
    out = []
    for seq in range(n):
        rng = call_rng(seed, "bench", seq)
        now = datetime(2026, 5, 4, (8, 14, 19)[seq % 3], 0)
        persona = choose_persona(pool, seq, rng, {"hotel": cfg.hotel, **cfg.variables}, now)
        turns = [("greeting", persona.greeting), *(("reply", r) for r in persona.replies), ("closing", persona.closing)]
        sloppy = random.Random(f"{seed}:sloppy:{seq}")
        if seq % 4 == 3:  # one call in four: a careless agent for one or two turns
            for i in sloppy.sample(range(len(turns)), sloppy.choice((1, 2))):
                kind = turns[i][0]
                turns[i] = (kind, sloppy.choice(SLOPPY[kind]).replace("{daypart}", "morning"))
        noise = np.random.default_rng(seq)
        pieces = [line_noise(0.6, -55, noise)]
        t = 0.6
        timed = []
        for kind, text in turns:
            speech = _read(render_speech(text, persona.voice, cache))
            timed.append(Turn(kind, text, t, t + len(speech) / RATE))
            gap = float(rng.uniform(1.2, 2.5))  # the caller speaks on the other channel meanwhile
            pieces += [speech, line_noise(gap, -55, noise)]
            t += len(speech) / RATE + gap
        samples = g711_round_trip(np.concatenate(pieces).astype(np.float32))
        out.append(SimCall(f"sim-{seq:03d}", persona.name, persona.voice.voice, persona.voice.speed_wpm,
                           samples, tuple(timed)))
    return out


# --- real recordings: Asterisk's English prompts, one person's voice --------------------------------

SOUNDS = Path("/usr/share/asterisk/sounds/en")
SOUND_TEXTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
PROMPT_TURNS = {  # turn kind -> prompts that can open it (text from core-sounds-en.txt)
    "greeting": ("hello", "hello-world", "one-moment-please", "pls-hold-while-try", "transfer"),
    "contact": ("privacy-prompt", "telephone-number", "priv-recordintro"),
    "closing": ("goodbye", "vm-goodbye", "demo-thanks", "auth-thankyou"),
    "availability": ("queue-youarenext", "vm-nobodyavail", "queue-periodic-announce"),
}


def _digits(n: int) -> list[str]:
    """Asterisk's digit prompts for 1 <= n < 1000: 179 -> digits/1 digits/hundred digits/70 digits/9."""
    out = []
    if n >= 100:
        out += [f"digits/{n // 100}", "digits/hundred"]
        n %= 100
    if n >= 20:
        out.append(f"digits/{n // 10 * 10}")
        n %= 10
    if n:
        out.append(f"digits/{n}")
    return out


def build_prompt_calls(n: int, seed: int = 18) -> list[SimCall]:
    """`n` calls spoken by a real person: Asterisk's studio prompts (Allison Smith, CC BY-SA 3.0,
    Debian's asterisk-core-sounds-en) joined into agent turns whose text is the prompts' published
    transcripts, plus prices read digit by digit and other prompts as filler; line noise and G.711
    as on a call. Nothing here is a hotel: the greeting's hotel name is never said, so a recogniser
    that writes it from its prompt shows up as a false "said"."""
    import gzip

    with gzip.open(SOUND_TEXTS, "rt", encoding="utf-8", errors="replace") as f:
        texts = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in f if ":" in line
                                                       and not line.startswith(";"))}
    fillers = sorted(k for k, v in texts.items() if (SOUNDS / f"{k}.wav").is_file() and "/" not in k
                     and 4 <= len(v.split()) <= 14 and "[" not in v)
    out = []
    for seq in range(n):
        rng = random.Random(f"{seed}:prompts:{seq}")
        noise = np.random.default_rng(1000 + seq)
        turns: list[list[str]] = [[rng.choice(PROMPT_TURNS["greeting"])], rng.sample(fillers, 2)]
        if rng.random() < 0.6:
            turns.append(["digits/at", *_digits(rng.choice([89, 95, 109, 119, 129, 139, 149, 159, 179])),
                          "digits/dollars"])
        for kind, p in (("availability", 0.4), ("contact", 0.4), ("closing", 0.7)):
            if rng.random() < p:
                turns.append([rng.choice(PROMPT_TURNS[kind])])
        pieces = [line_noise(0.6, -50, noise)]
        t = 0.6
        timed = []
        for names in turns:
            audio = np.concatenate([np.concatenate([_read(SOUNDS / f"{name}.wav"), np.zeros(int(0.12 * RATE))])
                                    for name in names]).astype(np.float32)
            text = " ".join(texts[name].rstrip("!") for name in names)
            timed.append(Turn("prompt", text, t, t + len(audio) / RATE))
            gap = rng.uniform(1.2, 2.5)
            pieces += [audio + line_noise(len(audio) / RATE + 0.01, -50, noise)[:len(audio)],
                       line_noise(gap, -50, noise)]
            t += len(audio) / RATE + gap
        samples = g711_round_trip(np.concatenate(pieces).astype(np.float32))
        out.append(SimCall(f"real-{seq:03d}", "allison", "asterisk-en", 0, samples, tuple(timed)))
    return out
