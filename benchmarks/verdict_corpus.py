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
    """A call of the corpus: the callee channel, its agent turns and the agent's names and voice."""

    call_id: str
    agent: str
    voice: str
    speed_wpm: int
    samples: np.ndarray
    turns: tuple[Turn, ...]

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
