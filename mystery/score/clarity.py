"""Was the agent heard well enough to say "not said"? The third verdict, `unsure`, comes from here.

A director must be able to act on "not said": the agent skipped it. When the recogniser missed
stretches of the agent's speech, or heard them with low confidence, or nearly heard the phrase,
the honest verdict is `unsure`: the item is left out of the score and the report says why. Pure:
words and speech spans in, a reason (or None) out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mystery.records import Word
from mystery.score.match import TokenStream
from mystery.score.numbers import CURRENCIES, currency_at
from mystery.transcribe.accuracy import number_words

LOW_CONFIDENCE = 0.35
"""A word below this confidence (the engine's own, 0-1) is 'unclear'."""
UNCLEAR_SHARE = 0.35
"""More than this share of unclear words where the item could be: unsure."""
MISSING_SPEECH_S = 1.5
"""Speech without any recognised word for this long, where the item could be: unsure."""
SPARSE_SPAN_S = 3.0
MIN_WORDS_PER_S = 0.5
SPEECH_WORDS_PER_S = 2.5
"""A segment of SPARSE_SPAN_S or more with fewer words a second than MIN_WORDS_PER_S was heard only in
part; its unheard part is its length less the time its words take at SPEECH_WORDS_PER_S. Kept low:
a person's segment holds pauses too (a price read out slowly is one word a second)."""
NEAR_MISS_MARGIN = 12.0
"""A phrase that came within this many points of its `min_score` ..."""
LOST_NUMBER_WORDS = 3
"""A currency with no number in this many words before it, ..."""
LOST_NUMBER_UNCLEAR = 2
"""... and a word below LOW_CONFIDENCE among the last this many or the currency itself: the price's number
was lost."""
TURN_GAP_S = 0.5
"""A pause this long after a word ends the speaker's phrase."""
NEAR_MISS_CONFIDENCE = 0.6
"""... over words whose mean confidence is below this, or with one word below LOW_CONFIDENCE: unsure
(it may well have been said)."""


@dataclass(frozen=True, slots=True)
class Hearing:
    """How well one stretch of a call was heard (the window where an item could be said).

    words: the agent's words in the window. speech_s: speech the segmenter found there (None: not
    known). missing_s: speech in the window with no recognised word. unclear: words below
    LOW_CONFIDENCE.
    """

    words: int
    unclear: int
    speech_s: float | None
    missing_s: float

    def doubt(self) -> str | None:
        """Why a "not said" here could be the recogniser's fault, or None when the agent was heard."""
        if self.words == 0 and (self.speech_s is None or self.speech_s > 0.3):
            return "no words were recognised where the agent could have said it"
        if self.missing_s >= MISSING_SPEECH_S:
            return f"{self.missing_s:.1f} s of the agent's speech gave no words"
        if self.words and self.unclear / self.words > UNCLEAR_SHARE:
            return f"{self.unclear} of {self.words} words were heard with low confidence"
        return None


def spoken_length(text: str) -> int:
    """How many words a recognised word stands for: "$149" is "one hundred forty nine dollars"."""
    digits = re.findall(r"\d+", text)
    if not digits:
        return 1
    said = sum(len(number_words(int(d)).split()) for d in digits if len(d) <= 6)
    return max(1, said + any(symbol in text for symbol in "$€£"))


def hear_window(words: Sequence[Word], spans: Sequence[tuple[float, float]] | None,
                start_s: float, end_s: float | None) -> Hearing:
    """How well the agent was heard between `start_s` and `end_s` (None: the end of the call).

    `spans`: the agent's speech (segmenter's live-human segments); a segment of 0.8 s or more that
    gave no word at all, or far too few for its length, adds to `missing_s` (gaps between words are
    not counted: a live-human segment may hold the caller's turns too)."""
    end = float("inf") if end_s is None else end_s
    inside = [w for w in words if start_s - 0.5 <= (w.start_s + w.end_s) / 2 <= end + 0.5]
    unclear = sum(1 for w in inside if w.confidence < LOW_CONFIDENCE)
    if spans is None:
        return Hearing(len(inside), unclear, None, 0.0)
    speech = missing = 0.0
    for a, b in spans:
        a, b = max(a, start_s), min(b, end)
        if b <= a:
            continue
        speech += b - a
        heard = sum(spoken_length(w.text) for w in words if w.end_s > a and w.start_s < b)
        if b - a >= 0.8 and not heard:
            missing += b - a
        elif b - a >= SPARSE_SPAN_S and heard < MIN_WORDS_PER_S * (b - a):  # the recogniser stopped early
            missing += b - a - heard / SPEECH_WORDS_PER_S
    return Hearing(len(inside), unclear, speech, missing)


def near_miss_doubt(score: float, min_score: float, confidences: Sequence[float]) -> str | None:
    """A phrase nearly found, over words heard with low confidence (on average, or one of them): it may
    have been said."""
    if not confidences or score < min_score - NEAR_MISS_MARGIN:
        return None
    mean = sum(confidences) / len(confidences)
    if mean >= NEAR_MISS_CONFIDENCE and min(confidences) >= LOW_CONFIDENCE:
        return None
    return f"nearly heard (score {score:.0f}, confidence {mean:.2f})"


def asks_for_a_price(patterns: Sequence[str]) -> bool:
    """Does a rule's text look for a currency (a rate item)?"""
    text = " ".join(patterns).lower()
    return any(word in text for words in CURRENCIES.values() for word in words)


def lost_price(stream: TokenStream, language: str | None, until_s: float | None = None) -> str | None:
    """A currency heard without its number, itself or just after words heard with low confidence: the
    recogniser lost the price ("at 89 euros" -> "you have tasted I'm your own", "for 89 euros a night" ->
    "maybe I'm your overnight", "your" standing for "euros"). `stream`: the agent's words as the matching
    reads them (numbers as digits, a currency after its number named); only words starting by `until_s`
    count. The reason, or None."""
    if language is None:
        return None
    tokens, words = list(stream.tokens), stream.words
    for i, token in enumerate(tokens):
        word = words[stream.word_of[i]]
        if until_s is not None and word.start_s > until_s:
            break
        if currency_at(tokens, i, language) is None:
            continue
        named = any(token in forms for forms in CURRENCIES.values())
        following = stream.last_word(i) + 1
        ends_phrase = following == len(words) or words[following].start_s - words[following - 1].end_s >= TURN_GAP_S
        if not named and not ends_phrase and not (i + 1 < len(tokens) and tokens[i + 1].startswith("o")):
            continue  # a sound-alike ("your") stands for "euros" only before the "-os": "your own", "your overnight"
        if any(tokens[j].isdigit() for j in range(max(0, i - LOST_NUMBER_WORDS), i)):
            continue  # a number just before it: a price (read as digits by the stream)
        unclear = [words[stream.word_of[j]] for j in range(max(0, i - LOST_NUMBER_UNCLEAR), i + 1)
                   if words[stream.word_of[j]].confidence < LOW_CONFIDENCE]
        if unclear:
            return (f"a currency ({word.text!r} at {word.start_s:.1f} s) was heard without its number, "
                    f"{'after ' if unclear[0] is not word else ''}{unclear[0].text!r} heard with low "
                    f"confidence ({unclear[0].confidence:.2f})")
    return None
