"""Hearings of one call, one verdict: what the recogniser heard with the client's vocabulary, what
it heard without it, and, for what both missed, what it heard when told to listen for it.

A small model's word confidences say little about whether it misheard (on the benchmark, the
calls it got wrong had the same mean confidence as the ones it got right). Two decodings that
disagree say more: the vocabulary fixes names but can push other words aside ("Good afternoon,
Grand Hotel Riviera" -> "Grand Hotel Riviera"), the plain decoding keeps them but mangles names.
So an item is said when either hearing has it, not said only when both agree it was not, and
unsure when one says "not said" and the other cannot tell.

Both can still agree on a confident mistake ("we have a room" heard twice as "we can room", "at 89
euros" as "you have tasted I'm your own"). So the items they both call "not said" are listened for
once more: the speech is decoded again with those items' own words in the prompt. A prompt can make
a small model write what it was told to expect, so this third hearing never makes an item "said":
an item it hears becomes "unsure" (it may have been said), one it does not hear stays "not said".
Pure: scorecards in, scorecard out; the decoding is the caller's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mystery.score.checklist import Checklist, ChecklistItem, fill_rule
from mystery.score.scorecard import NOT_SAID, SAID, UNSURE, Scorecard, Verdict


def _combine(first: Verdict, second: Verdict) -> Verdict:
    if first.status == SAID:
        return first
    if second.status == SAID:
        return Verdict(second.item_id, second.title, SAID, second.weight, second.evidence,
                       second.reason + " (heard without the vocabulary)")
    if first.status == NOT_SAID and second.status == NOT_SAID:
        return first
    why = first.reason if first.status == UNSURE else second.reason
    return Verdict(first.item_id, first.title, UNSURE, first.weight, first.evidence,
                   why if why.startswith("unsure:") else f"unsure: {why}")


def combine_hearings(first: Scorecard, second: Scorecard) -> Scorecard:
    """One scorecard from two hearings of the same call against the same checklist: `first` (with
    the vocabulary) gives the evidence when both have an item, `second` fills in what it missed."""
    if [v.item_id for v in first.verdicts] != [v.item_id for v in second.verdicts]:
        raise ValueError("the two scorecards are not of the same checklist")
    return Scorecard(first.checklist, tuple(_combine(a, b) for a, b in zip(first.verdicts, second.verdicts,
                                                                           strict=True)), first.answer_s)


def _regex_words(pattern: str) -> list[str]:
    """The plain-word alternatives of a regex's groups ("(?:euros?|dollars?)" -> euros, dollars; "(my name
    is|this is)" -> my name is, this is): what it listens for. Character classes and the like are left out."""
    out: list[str] = []
    for group in re.findall(r"\((?:\?:)?([^()]*)\)", pattern):
        for alternative in group.split("|"):
            words = alternative.replace("?", "").strip()
            if re.fullmatch(r"[^\W\d_]+(?:['\s][^\W\d_]+)*", words) and len(words) >= 3:
                out.append(words)
    return out


def listen_terms(item: ChecklistItem, variables: Mapping[str, str]) -> tuple[str, ...]:
    """The words of one item to put in the recogniser's prompt when listening for it: its keywords,
    phrases and names (variables filled in) and the literal words of its regexes."""
    terms: list[str] = []
    for rule in item.rules:
        patterns = fill_rule(rule, variables)
        if rule.kind == "regex":
            terms += [w for p in patterns for w in _regex_words(p)]
        else:
            terms += patterns
    return tuple(dict.fromkeys(t for t in terms if t.strip()))


def missed_terms(checklist: Checklist, card: Scorecard, variables: Mapping[str, str]) -> tuple[str, ...]:
    """What to listen for: the terms of every item `card` calls not said (empty: nothing to re-hear)."""
    filled = {**dict(checklist.variables), **variables}
    missed = {v.item_id for v in card.verdicts if v.status == NOT_SAID}
    terms: list[str] = []
    for item in checklist.items:
        if item.id in missed:
            terms += listen_terms(item, filled)
    return tuple(dict.fromkeys(terms))


def recheck_misses(card: Scorecard, listened: Scorecard) -> Scorecard:
    """`card` with each "not said" that the listening hearing did hear made "unsure" (never "said")."""
    if [v.item_id for v in card.verdicts] != [v.item_id for v in listened.verdicts]:
        raise ValueError("the two scorecards are not of the same checklist")
    out = []
    for verdict, heard in zip(card.verdicts, listened.verdicts, strict=True):
        if verdict.status == NOT_SAID and heard.status == SAID:
            where = heard.reason.removeprefix("at ")
            verdict = Verdict(verdict.item_id, verdict.title, UNSURE, verdict.weight, heard.evidence,
                              f"unsure: heard only when the recogniser listened for it (at {where}); "
                              f"{verdict.reason}")
        out.append(verdict)
    return Scorecard(card.checklist, tuple(out), card.answer_s)
