"""The client's words, handed to the recogniser so that it writes them rather than look-alikes.

A small model on 8 kHz audio turns "Grand Hotel Riviera" into "brand so El Riviera" and "Sophie"
into "sofisticing" unless it is told which names to expect. The checklist and the scenario know
them (hotel and brand names, the staff's first names, room types, prices, the script's phrases);
this record carries them to the engine, which uses what its library offers (faster-whisper:
`hotwords` and a short glossary as `initial_prompt`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PROMPT_MAX_CHARS = 600
"""Whisper keeps at most 223 prompt tokens; a glossary longer than this is cut at a term boundary."""


def split_terms(text: str) -> tuple[str, ...]:
    """Terms of a comma- or semicolon-separated list ("Sophie, Marc; Julia"), stripped, empty ones dropped."""
    return tuple(t.strip() for t in text.replace(";", ",").split(",") if t.strip())


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for item in items:
        key = " ".join(item.lower().split())
        if key and key not in seen:
            seen[key] = " ".join(item.split())
    return tuple(seen.values())


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Words the recogniser should expect on a campaign's calls.

    names: proper names (hotel, brand, staff first names): the ones a small model misspells most.
    terms: the rest (room types, prices such as "179 euros", the checklist's phrases), most
        important first.
    """

    names: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()

    @classmethod
    def of(cls, names: Iterable[str] = (), terms: Iterable[str] = ()) -> Vocabulary:
        """A vocabulary with duplicates (ignoring case and spacing) dropped, first mention kept."""
        unique_names = _unique(names)
        lowered = {n.lower() for n in unique_names}
        return cls(unique_names, tuple(t for t in _unique(terms) if t.lower() not in lowered))

    def __bool__(self) -> bool:
        return bool(self.names or self.terms)

    def glossary(self, max_chars: int = PROMPT_MAX_CHARS) -> str:
        """A glossary line for a prompt: names first, then terms, cut at a term boundary.

        Worded as a list, not as a sentence an agent might say: a prompt that reads like the
        opening of the call makes Whisper stop after repeating it.
        """
        out = "Glossary: "
        for i, term in enumerate((*self.names, *self.terms)):
            piece = ("" if i == 0 else "; ") + term
            if len(out) + len(piece) + 1 > max_chars:
                break
            out += piece
        return out + "." if out != "Glossary: " else ""

    def hotwords(self, max_chars: int = PROMPT_MAX_CHARS) -> str:
        """The names and terms as one space-separated string (faster-whisper's `hotwords`)."""
        out: list[str] = []
        length = 0
        for term in (*self.names, *self.terms):
            if length + len(term) + 1 > max_chars:
                break
            out.append(term)
            length += len(term) + 1
        return " ".join(out)
