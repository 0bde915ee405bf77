"""Names heard through a poor line: matched by sound and by spelling against the scenario's list.

"Lucan speaking" is Lucas, "Mark" is Marc, "Julian" is Julia: a recogniser that does not know the
staff's names writes the nearest word it knows. A token counts as a name when its metaphone code
(`jellyfish`, a maintained phonetic encoder) equals the name's and its spelling is close
(`MIN_SOUND_SIMILARITY`), or when its Jaro-Winkler similarity (`rapidfuzz`) reaches `MIN_SIMILARITY`. Short tokens never count: "is" sounds like too much.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import jellyfish
from rapidfuzz.distance import JaroWinkler

MIN_SIMILARITY = 0.88
"""Jaro-Winkler (0-1) a token needs against a name when their metaphone codes differ."""
MIN_SOUND_SIMILARITY = 0.8
"""... and when they are the same: a sound code alone is shared by common words ("save" and
"safe" sound like Sophie, "likes" and "looks" like Lucas, "color" like Claire), and an agent who
says them has not given a name."""
MIN_LENGTH = 3
COMMON = frozenset({"the", "and", "you", "your", "for", "can", "how", "help", "this", "that", "thank", "have",
                    "speaking", "name", "may", "good", "hello", "calling", "room", "night", "day", "moment"})
"""Words of the script itself, never taken for a name whatever they sound like."""


@dataclass(frozen=True, slots=True)
class NameHit:
    """Token `index` is heard as `name`; score 100 for the same spelling, lower for a sound-alike."""

    index: int
    name: str
    score: float


def name_hits(tokens: Iterable[str], names: Iterable[str]) -> list[NameHit]:
    """Every token that is one of `names` (lower-case, one word each), by spelling, sound or similarity."""
    wanted = [(n, jellyfish.metaphone(n)) for n in names if len(n) >= MIN_LENGTH]
    out = []
    for i, token in enumerate(tokens):
        if len(token) < MIN_LENGTH or token in COMMON or not token.isalpha():
            continue
        code = jellyfish.metaphone(token)
        best: NameHit | None = None
        for name, name_code in wanted:
            if token == name:
                score = 100.0
            else:
                similarity = JaroWinkler.similarity(token, name)
                if similarity < (MIN_SOUND_SIMILARITY if code == name_code else MIN_SIMILARITY):
                    continue
                score = round(100.0 * max(similarity, 0.9 if code == name_code else 0.0), 1)
            if best is None or score > best.score:
                best = NameHit(i, name, score)
        if best is not None:
            out.append(best)
    return out
