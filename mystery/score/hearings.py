"""Two hearings of one call, one verdict: what the recogniser heard with the client's vocabulary
and what it heard without it.

A small model's word confidences say little about whether it misheard (on the benchmark, the
calls it got wrong had the same mean confidence as the ones it got right). Two decodings that
disagree say more: the vocabulary fixes names but can push other words aside ("Good afternoon,
Grand Hotel Riviera" -> "Grand Hotel Riviera"), the plain decoding keeps them but mangles names.
So an item is said when either hearing has it, not said only when both agree it was not, and
unsure when one says "not said" and the other cannot tell. Pure: scorecards in, scorecard out.
"""

from __future__ import annotations

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
