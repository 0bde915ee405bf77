"""Word error rate against a reference transcript, so a model can be judged before it is trusted.

WER = (substitutions + deletions + insertions) / reference words, after both sides are put in
one spelling: lower case, no punctuation, digits written as words ("press 1" = "press one"),
bracketed stage directions ("[beep]", "(tone plays)", "<beep ascending>") dropped, keys spoken ("*" = "star", "#" = "pound").
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from pathlib import Path

from rapidfuzz.distance import Levenshtein

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """English words of 0 <= n < 1,000,000 ("one hundred twenty"); larger numbers stay digits."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    if n < 1_000_000:
        rest = n % 1000
        return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))
    return str(n)


def normalize_for_wer(text: str) -> list[str]:
    """The words of `text` in the common spelling used for WER."""
    text = re.sub(r"\[[^\]]*\]|\([^)]*\)|<[^>]*>", " ", text)
    text = text.replace("*", " star ").replace("#", " pound ")  # how telephone prompts say the keys
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", text)
    return [t.strip("'") for t in re.sub(r"[^\w']+", " ", text).split() if t.strip("'")]


def word_error_rate(reference: str, hypothesis: str) -> tuple[float, int, int]:
    """(WER, word edits, reference words). An empty reference gives WER 0 only for an empty hypothesis."""
    ref, hyp = normalize_for_wer(reference), normalize_for_wer(hypothesis)
    edits = Levenshtein.distance(ref, hyp)
    return (edits / len(ref) if ref else float(bool(hyp))), edits, len(ref)


def read_prompt_transcripts(path: Path) -> dict[str, str]:
    """`name: text` lines of Asterisk's core-sounds-*.txt(.gz) (comments start with ';')."""
    opener = gzip.open if path.suffix == ".gz" else open
    out: dict[str, str] = {}
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(";") or ":" not in line:
                continue
            name, text = line.split(":", 1)
            out[name.strip()] = text.strip()
    return out
