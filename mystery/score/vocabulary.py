"""The recogniser's vocabulary for a campaign, from the checklist and the scenario's variables.

The checklist knows the script's phrases, the scenario knows the hotel's name, the staff's first
names (`staff: "Sophie, Marc"`) and other words the agents use (`vocabulary: "double room, 179 euros"`):
together they tell the recogniser what to expect (mystery/transcribe/vocabulary.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mystery.score.checklist import Checklist
from mystery.transcribe.vocabulary import Vocabulary, split_terms

NAME_VARIABLES = ("hotel", "brand", "staff", "client")
"""Variables whose values are proper names (the words a small model misspells most)."""


def campaign_vocabulary(checklist: Checklist | None, variables: Iterable[Mapping[str, str]]) -> Vocabulary:
    """Names from the name-like variables, then the other variables' terms, then the checklist's
    keywords and phrases (its regexes say nothing a recogniser could use)."""
    names: list[str] = []
    terms: list[str] = []
    merged = [dict(checklist.variables)] if checklist is not None else []
    for values in [*merged, *variables]:
        for key, value in values.items():
            (names if key in NAME_VARIABLES else terms).extend(split_terms(value))
    if checklist is not None:
        for item in checklist.items:
            for rule in item.rules:
                if rule.kind in ("keywords", "phrases"):
                    terms.extend(p for p in rule.patterns if "{" not in p)
    return Vocabulary.of(names, terms)
