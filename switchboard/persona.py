"""Who answers a call: a live-sounding agent whose name, voice and words change per call.

Pure: everything is derived from the pool, the call's sequence number and a seeded
``random.Random``, so the n-th call to a line sounds the same in every run, and two
consecutive calls never share a name or a voice (when the pool has more than one).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import datetime

from switchboard.config import AgentPool, Voice


@dataclass(frozen=True, slots=True)
class Persona:
    """One agent for one call: the words it will say, in order, and the voice it says them with."""

    name: str
    voice: Voice
    greeting: str
    replies: tuple[str, ...]
    prompt_again: str
    closing: str
    max_talk_s: float


def call_rng(seed: int, line: str, seq: int) -> random.Random:
    """The random stream of the ``seq``-th call to ``line`` (string seeds are stable across runs)."""
    return random.Random(f"{seed}:{line}:{seq}")


def daypart(at: datetime) -> str:
    """'morning' / 'afternoon' / 'evening' for a greeting."""
    if at.hour < 12:
        return "morning"
    return "afternoon" if at.hour < 18 else "evening"


def fill(template: str, values: dict[str, str]) -> str:
    """Substitute ``{name}``-style fields; unknown fields are left as they are."""
    out = []
    for literal, field_name, _spec, _conv in string.Formatter().parse(template):
        out.append(literal)
        if field_name is not None:
            out.append(values.get(field_name, "{" + field_name + "}"))
    return "".join(out)


def choose_persona(
    pool: AgentPool, seq: int, rng: random.Random, values: dict[str, str], now: datetime
) -> Persona:
    """Pick the agent of the ``seq``-th call served by ``pool``.

    Name and voice rotate with ``seq`` (different strides, so the pairings vary too);
    wording, speed, pitch and the quoted price come from ``rng``.
    """
    name = pool.names[seq % len(pool.names)]
    stride = 3 if len(pool.voices) % 3 else 1
    voice_name = pool.voices[(seq * stride) % len(pool.voices)]
    voice = Voice(voice_name, rng.randint(*pool.speed_wpm), rng.randint(*pool.pitch))
    fields = {
        "daypart": daypart(now),
        "price": str(rng.choice([89, 95, 109, 119, 129, 139, 149, 159, 179])),
        **values,
        "name": name,
    }
    return Persona(
        name=name,
        voice=voice,
        greeting=fill(rng.choice(pool.greeting), fields),
        replies=tuple(fill(rng.choice(turn), fields) for turn in pool.replies),
        prompt_again=fill(rng.choice(pool.prompt_again), fields),
        closing=fill(rng.choice(pool.closing), fields),
        max_talk_s=pool.max_talk.sample(rng),
    )
