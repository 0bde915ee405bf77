"""The recogniser's vocabulary for a campaign, from the checklist and the scenario's variables.

The scenario knows the hotel's name, the staff's first names (`staff: "Sophie, Marc"`) and other
words the agents use (`vocabulary: "double room, 179 euros"`), the checklist has default values for
its variables: together they tell the recogniser which names to expect
(mystery/transcribe/vocabulary.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mystery.score.checklist import Checklist
from mystery.score.hearings import missed_terms
from mystery.score.scorecard import Scorecard
from mystery.transcribe.vocabulary import Vocabulary, split_terms

NAME_VARIABLES = ("hotel", "brand", "staff", "client")
"""Variables whose values are proper names (the words a small model misspells most)."""


def campaign_vocabulary(checklist: Checklist | None, variables: Iterable[Mapping[str, str]]) -> Vocabulary:
    """Names from the name-like variables (the checklist's defaults, then the scenario's and the
    lines'), then the other variables' terms.

    The checklist's own phrases are left out on purpose: they are common words the model knows, and
    in the prompt they made it write "thank you for calling Grand Hotel Riviera" over a greeting
    that said neither (benchmarks/bench_verdicts.py: 10 % false "said" on the greeting)."""
    names: list[str] = []
    terms: list[str] = []
    merged = [dict(checklist.variables)] if checklist is not None else []
    for values in [*merged, *variables]:
        for key, value in values.items():
            (names if key in NAME_VARIABLES else terms).extend(split_terms(value))
    return Vocabulary.of(names, terms)


def listening_vocabulary(vocabulary: Vocabulary, checklist: Checklist, card: Scorecard,
                         variables: Mapping[str, str]) -> Vocabulary:
    """The vocabulary of the listening hearing (mystery/score/hearings.py): the campaign's names, then the
    words of every item `card` calls not said. Empty (false) when nothing was missed: no third decoding."""
    terms = missed_terms(checklist, card, variables)
    return Vocabulary.of(vocabulary.names, terms) if terms else Vocabulary()
