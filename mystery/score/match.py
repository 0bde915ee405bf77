"""Finding keywords, fuzzy phrases and regular expressions in timed words (pure functions).

Everything is compared in a normalised form (lower case, accents and punctuation removed) so
"Hôtel du Parc," from one engine and "hotel du parc" from another are the same words. Each match
remembers which recognised words it covers, which gives its time and quote.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from mystery.records import Word

_NON_WORD = re.compile(r"[^\w']+")


def normalize_text(text: str) -> str:
    """Lower case, no accents, words separated by single spaces; apostrophes inside words kept."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").replace("`", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(t.strip("'") for t in _NON_WORD.sub(" ", plain).split() if t.strip("'"))


@dataclass(frozen=True, slots=True)
class TokenStream:
    """Normalised tokens of some words; `word_of[i]` is the index in `words` of token i."""

    words: tuple[Word, ...]
    tokens: tuple[str, ...]
    word_of: tuple[int, ...]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def tokenize(words: Sequence[Word]) -> TokenStream:
    """A stream of normalised tokens (one word may give several: "twenty-nine" -> twenty, nine)."""
    tokens: list[str] = []
    word_of: list[int] = []
    for i, word in enumerate(words):
        for token in normalize_text(word.text).split():
            tokens.append(token)
            word_of.append(i)
    return TokenStream(tuple(words), tuple(tokens), tuple(word_of))


@dataclass(frozen=True, slots=True)
class Match:
    """Tokens first..last (inclusive) of a stream matched `pattern` with `score` (100 = exact)."""

    first: int
    last: int
    score: float
    pattern: str

    def start_s(self, stream: TokenStream) -> float:
        return stream.words[stream.word_of[self.first]].start_s

    def end_s(self, stream: TokenStream) -> float:
        return stream.words[stream.word_of[self.last]].end_s

    def quote(self, stream: TokenStream, context: int = 3) -> str:
        """The matched words as recognised, with a few words of context on each side."""
        a, b = stream.word_of[self.first], stream.word_of[self.last]
        lo, hi = max(0, a - context), min(len(stream.words), b + context + 1)
        text = " ".join(w.text for w in stream.words[lo:hi])
        return ("…" if lo > 0 else "") + text + ("…" if hi < len(stream.words) else "")


def find_keyword(stream: TokenStream, keyword: str) -> list[Match]:
    """Every place where the keyword's tokens appear consecutively."""
    wanted = tuple(normalize_text(keyword).split())
    n = len(wanted)
    if not n:
        return []
    return [Match(i, i + n - 1, 100.0, keyword) for i in range(len(stream.tokens) - n + 1)
            if stream.tokens[i:i + n] == wanted]


def _suppress_overlaps(candidates: list[Match]) -> list[Match]:
    """Best-scoring matches first, dropping any that overlaps one already kept; then in time order."""
    kept: list[Match] = []
    for m in sorted(candidates, key=lambda m: (-m.score, m.first)):
        if all(m.last < k.first or m.first > k.last for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.first)


def phrase_windows(stream: TokenStream, phrase: str) -> list[Match]:
    """For each start token, the best-scoring window of about the phrase's length (any score)."""
    wanted = normalize_text(phrase)
    n = len(wanted.split())
    if not n:
        return []
    out = []
    for i in range(len(stream.tokens)):
        best: Match | None = None
        for size in range(max(1, n - 1), n + 2):
            if i + size > len(stream.tokens):
                break
            score = fuzz.ratio(wanted, " ".join(stream.tokens[i:i + size]))
            if best is None or score > best.score:
                best = Match(i, i + size - 1, float(score), phrase)
        if best is not None:
            out.append(best)
    return out


def find_phrase(stream: TokenStream, phrase: str, min_score: float) -> list[Match]:
    """Non-overlapping windows whose fuzzy ratio to the phrase reaches `min_score`."""
    return _suppress_overlaps([m for m in phrase_windows(stream, phrase) if m.score >= min_score])


def find_regex(stream: TokenStream, pattern: str) -> list[Match]:
    """Matches of a regular expression on the normalised text, mapped back to tokens."""
    text = stream.text
    starts, pos = [], 0
    for token in stream.tokens:
        starts.append(pos)
        pos += len(token) + 1
    out = []
    for m in re.finditer(pattern, text):
        if m.end() == m.start():
            continue
        first = max(0, _token_at(starts, m.start()))
        last = max(first, _token_at(starts, m.end() - 1))
        out.append(Match(first, last, 100.0, pattern))
    return out


def _token_at(starts: list[int], char: int) -> int:
    import bisect

    return bisect.bisect_right(starts, char) - 1
