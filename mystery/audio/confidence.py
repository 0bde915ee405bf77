"""How sure the analysis is of a call's time to a person: high, medium or low, with the reasons.

Why: a wait that is 40 s wrong, shown with the same authority as a right one, costs the trust of
every page of a report. The segmenter knows when its evidence was thin: the caller never spoke
(no turn-taking to check), the line has no earlier calls (recordings cannot be told from people by
repetition), the person was found only by a weak rule (a phrase said twice to a silent caller, the
last speech of a mono recording), the sound classifier hesitated where the person starts, or the
person starts right where music or a prompt stops (the boundary itself is uncertain). The same holds
for "no person": speech that was called a prompt only by its position may have been a person.

Pure: evidence in, a `Confidence` out. The reasons are short English phrases, stored and shown as is.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("high", "medium", "low")

STRONG_RULES = frozenset({"turn-taking with the caller"})
"""Ways of finding a person that rest on the caller and the callee taking turns."""

WEAK_RULES = frozenset({"speaks again to a silent caller", "last speech, no caller channel",
                        "short unheard 'music' inside a conversation"})
"""Ways of finding a person that rest on position or timing alone."""

LOW_MARGIN = 2.0
"""Mean log-probability lead of speech over the next sound class in the person's first second,
under which the classifier is said to hesitate."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one call's analysis rested on, as far as its time to a person is concerned."""

    have_caller: bool                 # a caller channel (two-channel recording)
    caller_spoke: bool                # the caller channel carries speech somewhere
    line_history: int                 # items in the line's fingerprint library (0: first call, or no library)
    human_rule: str | None            # the rule that found the first person; None: no person found
    start_margin: float | None        # classifier's speech lead in the person's first second (log-prob)
    start_touches: bool               # the person starts within 1 s of unmatched music or a prompt ending
                                      # (0.3 s of a recording the fingerprint library matched)
    positional_speech: int            # unrecorded speech units labelled a prompt by position only
    answered_speech: bool             # the caller answered some unrecorded speech that stayed a prompt
    speech_before: bool = False       # unmatched speech called a prompt by position ends < 3 s before the person
    noise_before: bool = False        # noise ends < 1 s before the person (a room or a line: first word hidden or faked)
    caller_before: bool = False       # the caller spoke in the 3 s before the person's first word was found


@dataclass(frozen=True, slots=True)
class Confidence:
    """How sure the time to a person (or the absence of one) is, and why it is not surer."""

    level: str                        # high, medium or low
    reasons: tuple[str, ...] = ()     # empty when high for want of doubts


def rate_time_to_human(e: Evidence) -> Confidence:
    """Grade the time to a person from the evidence behind it: each doubt costs a point or two;
    0 points is high, 1 medium, 2 or more low."""
    doubts: list[tuple[int, str]] = []
    if not e.have_caller:
        doubts.append((1, "no caller channel: turn-taking cannot be checked"))
    elif not e.caller_spoke:
        doubts.append((1, "the caller never spoke: turn-taking cannot be checked"))
    if e.human_rule is not None:
        if e.human_rule in WEAK_RULES:
            doubts.append((2, f"person found only by weak evidence ({e.human_rule})"))
        elif e.human_rule not in STRONG_RULES and e.line_history == 0:
            doubts.append((1, f"person found by {e.human_rule} with no earlier calls on the line"))
        if e.start_margin is not None and e.start_margin < LOW_MARGIN:
            doubts.append((1, "the sound classifier hesitates where the person starts"))
        if e.start_touches:
            doubts.append((1, "the person starts right where music or a prompt stops"))
        if e.speech_before:
            doubts.append((1, "speech just before the person was called a prompt by its position only"))
        if e.noise_before:
            doubts.append((1, "noise right before the person may hide or fake their first word"))
        if e.caller_before:
            doubts.append((1, "the caller spoke before the person's first word was found"))
    else:
        if e.positional_speech:
            cost = 1 if e.caller_spoke and e.line_history else 2
            doubts.append((cost, f"{e.positional_speech} stretch(es) of speech called a recording by position only"))
        if e.answered_speech:
            doubts.append((1, "the caller answered speech that was called a recording"))
    if e.line_history == 0 and not any("earlier calls" in why for _, why in doubts) and (
            e.human_rule not in STRONG_RULES):
        doubts.append((0, "no earlier calls on the line to tell recordings by repetition"))
    points = sum(cost for cost, _ in doubts)
    level = LEVELS[min(points, 2)]
    return Confidence(level, tuple(why for _, why in doubts))
