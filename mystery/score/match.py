"""Finding keywords, fuzzy phrases and regular expressions in timed words (pure functions).

Everything is compared in a normalised form (lower case, accents and punctuation removed) so
"Hôtel du Parc," from one engine and "hotel du parc" from another are the same words. Each match
remembers which recognised words it covers, which gives its time and quote. With the call's
language, numbers are compared as digits and names by sound (mystery/score/numbers.py, names.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from mystery.records import Word
from mystery.score.names import name_hits
from mystery.score.numbers import name_currencies, read_numbers, split_symbols

_NON_WORD = re.compile(r"[^\w']+")


def normalize_text(text: str) -> str:
    """Lower case, no accents, words separated by single spaces; apostrophes inside words kept."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").replace("`", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(t.strip("'") for t in _NON_WORD.sub(" ", plain).split() if t.strip("'"))


@dataclass(frozen=True, slots=True)
class TokenStream:
    """Normalised tokens of some words; token i comes from `words[word_of[i]]` through
    `words[last_word_of[i]]` (a number read from several words spans them all)."""

    words: tuple[Word, ...]
    tokens: tuple[str, ...]
    word_of: tuple[int, ...]
    last_word_of: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def last_word(self, i: int) -> int:
        return self.last_word_of[i] if self.last_word_of else self.word_of[i]


def tokenize(words: Sequence[Word], language: str | None = None) -> TokenStream:
    """A stream of normalised tokens (one word may give several: "twenty-nine" -> twenty, nine).

    With a `language`, numbers are read into digits and a currency after a price is named
    ("one hundred and seventy nine year long" -> "179 euros"; see mystery/score/numbers.py)."""
    tokens: list[str] = []
    word_of: list[int] = []
    for i, word in enumerate(words):
        text = split_symbols(word.text) if language else word.text
        for token in normalize_text(text).split():
            tokens.append(token)
            word_of.append(i)
    if language is None:
        return TokenStream(tuple(words), tuple(tokens), tuple(word_of))
    items = name_currencies(read_numbers(tokens, language), tokens, language)
    return TokenStream(tuple(words), tuple(t for t, _, _ in items), tuple(word_of[a] for _, a, _ in items),
                       tuple(word_of[b] for _, _, b in items))


def normalize_pattern(text: str, language: str | None = None) -> str:
    """A checklist phrase or keyword in the spelling of `tokenize` (numbers as digits with a language)."""
    plain = normalize_text(text)
    if language is None:
        return plain
    tokens = plain.split()
    return " ".join(t for t, _, _ in name_currencies(read_numbers(tokens, language), tokens, language))


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
        return stream.words[stream.last_word(self.last)].end_s

    def quote(self, stream: TokenStream, context: int = 3) -> str:
        """The matched words as recognised, with a few words of context on each side."""
        a, b = stream.word_of[self.first], stream.last_word(self.last)
        lo, hi = max(0, a - context), min(len(stream.words), b + context + 1)
        text = " ".join(w.text for w in stream.words[lo:hi])
        return ("…" if lo > 0 else "") + text + ("…" if hi < len(stream.words) else "")


def find_keyword(stream: TokenStream, keyword: str, language: str | None = None) -> list[Match]:
    """Every place where the keyword's tokens appear consecutively. With a language, a keyword of
    digits alone is a number however it was grouped: "4 7 1 9" = "4719" = "47 19" (a phone number
    read digit by digit, written by the recogniser as it likes), and in a language of s plurals a
    word matches its singular or plural ("we have rooms" = "we have room")."""
    wanted = tuple(normalize_pattern(keyword, language).split())
    n = len(wanted)
    if not n:
        return []
    if language is not None and all(t.isdigit() for t in wanted):
        return _find_digits(stream, "".join(wanted), keyword)
    plural = language in S_PLURALS
    return [Match(i, i + n - 1, 100.0, keyword) for i in range(len(stream.tokens) - n + 1)
            if stream.tokens[i:i + n] == wanted
            or plural and all(_same_word(a, b) for a, b in zip(stream.tokens[i:i + n], wanted, strict=True))]


S_PLURALS = frozenset({"en", "fr", "es", "pt"})
"""Languages whose plurals mostly add an s: there a keyword matches its singular or plural."""


def _same_word(a: str, b: str) -> bool:
    """The same word, or one is the other's plural in s ("we have room" = "we have rooms"): a
    recogniser drops or adds a final s that a phone line blurs."""
    return a == b or (len(a) >= 3 and len(b) >= 3 and a.isalpha() and (a == b + "s" or b == a + "s"))


def _find_digits(stream: TokenStream, digits: str, keyword: str) -> list[Match]:
    """Runs of digit tokens, starting and ending on token boundaries, whose digits are `digits`."""
    out = []
    tokens = stream.tokens
    for i in range(len(tokens)):
        joined = ""
        for j in range(i, len(tokens)):
            if not tokens[j].isdigit():
                break
            joined += tokens[j]
            if joined == digits:
                out.append(Match(i, j, 100.0, keyword))
            if len(joined) >= len(digits):
                break
    return out


def _suppress_overlaps(candidates: list[Match]) -> list[Match]:
    """Best-scoring matches first, dropping any that overlaps one already kept; then in time order."""
    kept: list[Match] = []
    for m in sorted(candidates, key=lambda m: (-m.score, m.first)):
        if all(m.last < k.first or m.first > k.last for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.first)


def phrase_windows(stream: TokenStream, phrase: str, language: str | None = None) -> list[Match]:
    """For each start token, the best-scoring window of about the phrase's length (any score)."""
    wanted = normalize_pattern(phrase, language)
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


def find_phrase(stream: TokenStream, phrase: str, min_score: float, language: str | None = None) -> list[Match]:
    """Non-overlapping windows whose fuzzy ratio to the phrase reaches `min_score`."""
    return _suppress_overlaps([m for m in phrase_windows(stream, phrase, language) if m.score >= min_score])


def find_names(stream: TokenStream, names: Sequence[str]) -> list[Match]:
    """Tokens heard as one of `names` (by spelling, sound or similarity: mystery/score/names.py)."""
    wanted = [normalize_text(n) for n in names if normalize_text(n)]
    singles = [n for n in wanted if " " not in n]
    out = [Match(h.index, h.index, h.score, h.name) for h in name_hits(stream.tokens, singles)]
    for name in (n for n in wanted if " " in n):  # a two-word name: exact words only
        out += find_keyword(stream, name)
    return sorted(out, key=lambda m: m.first)


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
