"""Numbers and prices in one spelling before matching: "one hundred and seventy nine euros" = "179 euros".

Recognisers write a price as digits one day and as words the next ("179 euros", "one hundred and
seventy nine year long", "100 and 79 your own"), so a rule written for one spelling misses the
others. Number words are read by `text2num` (a maintained parser for English, French, Spanish,
German, Italian, Dutch and Portuguese); a currency word misheard after a price ("your own" for
"euros") is recognised by its sound (`jellyfish` metaphone).
"""

from __future__ import annotations

import functools
import re

import jellyfish
from text_to_num import text2num

MAX_RUN = 8
"""Longest run of tokens read as one number ("one hundred and seventy nine thousand ..." is rarer)."""
CURRENCIES = {"euros": ("euro", "euros"), "dollars": ("dollar", "dollars"), "pounds": ("pound", "pounds")}
SYMBOLS = {"€": "euros", "$": "dollars", "£": "pounds"}
PRICE_FILLERS = frozenset({"i'm", "im", "and", "in", "a", "i"})
"""Words a recogniser writes for the end of a price ("nine" -> "I'm", "-ty" -> "in")."""
TEXT2NUM_LANGUAGES = {"en", "fr", "es", "de", "it", "nl", "pt", "da"}
_DIGITS = re.compile(r"\d+")


@functools.lru_cache(maxsize=64)
def _currency_sounds(language: str) -> dict[str, str]:
    """Metaphone code -> currency, for the words a recogniser writes in place of a currency after a price."""
    sounds = {jellyfish.metaphone(w): name for name, words in CURRENCIES.items() for w in words}
    if language == "en":  # "179 your own", "179 year long", "179 yours": the start of "euros"
        sounds.update({jellyfish.metaphone(w): "euros" for w in ("your", "yours", "year")})
    return sounds


@functools.lru_cache(maxsize=4096)
def _value(run: tuple[str, ...], language: str) -> int | None:
    if run[0] in ("and", "et", "y", "und", "e", "en") or run[-1] in ("and", "et", "y", "und", "e", "en"):
        return None
    try:
        value = text2num(" ".join(run), language)
    except ValueError:
        return None
    return int(value)


def _digit(token: str, language: str) -> int | None:
    """0-9 for a digit word of the language ("seven", "sept"), else None."""
    if token.isdigit() or not token.isalpha():
        return None
    value = _value((token,), language)
    return value if value is not None and value < 10 else None


def read_numbers(tokens: list[str], language: str = "en") -> list[tuple[str, int, int]]:
    """(token, first, last) triples: runs of number words become one digit token (positions into
    `tokens`, inclusive); other tokens pass through. A lone small number word stays a word
    ("one moment please"), unless a currency follows it. Two or more digit words in a row are a
    number read digit by digit (a phone number, a booking reference): one digit token each
    ("zero one four" -> "0 1 4", not "14")."""
    out: list[tuple[str, int, int]] = []
    n = len(tokens)
    i = 0
    use_words = language in TEXT2NUM_LANGUAGES
    while i < n:
        if use_words and i + 1 < n and _digit(tokens[i], language) is not None \
                and _digit(tokens[i + 1], language) is not None:
            while i < n and (digit := _digit(tokens[i], language)) is not None:
                out.append((str(digit), i, i))
                i += 1
            continue
        found = None
        if use_words and not tokens[i].isdigit():
            for end in range(min(n, i + MAX_RUN), i, -1):
                value = _value(tuple(tokens[i:end]), language)
                if value is not None:
                    found = (value, end)
                    break
        if found is not None:
            value, end = found
            lone_small = end - i == 1 and value < 10 and not (end < n and currency_at(tokens, end, language))
            if not lone_small:
                out.append((str(value), i, end - 1))
                i = end
                continue
        out.append((tokens[i], i, i))
        i += 1
    return _join_hundreds(out)


def _join_hundreds(items: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """ "100 and 79" / "100 79" / "150 9" (a recogniser's split of one price) -> "179", "159"."""
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(items):
        token, first, last = items[i]
        if token.isdigit() and int(token) % 10 == 0 and int(token) > 0:
            j = i + 1 + (i + 1 < len(items) and items[i + 1][0] == "and")
            limit = 100 if int(token) % 100 == 0 else 10  # "100 79" -> 179, "150 9" -> 159
            if j < len(items) and items[j][0].isdigit() and 0 < int(items[j][0]) < limit:
                out.append((str(int(token) + int(items[j][0])), first, items[j][2]))
                i = j + 1
                continue
        out.append((token, first, last))
        i += 1
    return out


def currency_at(tokens: list[str], i: int, language: str) -> str | None:
    """The currency that token `i` names or sounds like ("euros", "your" -> euros in English), or None."""
    token = tokens[i]
    for name, words in CURRENCIES.items():
        if token in words:
            return name
    return _currency_sounds(language).get(jellyfish.metaphone(token)) if token.isalpha() else None


def name_currencies(items: list[tuple[str, int, int]], tokens: list[str],
                    language: str = "en") -> list[tuple[str, int, int]]:
    """After a number, a currency word or its sound-alike ("your own", "year long") becomes the
    currency's name; the words it swallowed ("own", "long") go with it. Up to two filler words that a
    recogniser writes for a price's last syllable ("109 euros" -> "100 I'm your own") may stand
    between the number (10 or more) and the currency; they are dropped."""
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(items):
        token, first, last = items[i]
        out.append(items[i])
        if token.isdigit() and i + 1 < len(items):
            j = i + 1
            while (int(token) >= 10 and j < min(len(items) - 1, i + 3) and items[j][0] in PRICE_FILLERS
                   and currency_at(tokens, items[j][1], language) is None):
                j += 1
            name = currency_at(tokens, items[j][1], language)
            if name is not None:
                end = j
                exact = items[j][0] in CURRENCIES[name]
                # "your own", "year long": one filler word after the sound-alike belongs to it
                if not exact and j + 1 < len(items) and items[j + 1][0] in ("own", "long", "old", "on", "rose"):
                    end = j + 1
                out.append((name, items[j][1], items[end][2]))
                i = end + 1
                continue
        i += 1
    return out


def split_symbols(text: str) -> str:
    """ "€179" / "179€" -> "179 euros": a currency symbol becomes the currency's word after the number."""
    for symbol, name in SYMBOLS.items():
        if symbol in text:
            digits = _DIGITS.search(text)
            text = text.replace(symbol, "")
            if digits:
                text = f"{text} {name}"
    return text
