"""Scoring a call's transcript against a checklist: one verdict per item, with time and quote.

Pure functions over records: the same transcript and checklist always give the same scorecard,
so last month's calls can be re-scored when the client changes the script.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from mystery.records import CallResult, Word
from mystery.score.checklist import Checklist, ChecklistItem, Rule, fill_rule
from mystery.score.clarity import asks_for_a_price, hear_window, lost_price, near_miss_doubt
from mystery.score.match import (
    Match,
    TokenStream,
    find_keyword,
    find_names,
    find_phrase,
    find_regex,
    normalize_text,
    phrase_windows,
    tokenize,
)

SAID, NOT_SAID, UNSURE = "said", "not_said", "unsure"
VERDICTS = (SAID, NOT_SAID, UNSURE)


@dataclass(frozen=True, slots=True)
class Measures:
    """What makes verdicts survive recognition errors (all on by default; the benchmark turns
    them off to measure what each is worth).

    numbers: numbers read as digits and currencies named before matching.
    names: `names` rules match by sound and spelling (off: exact spelling only).
    unsure: a miss where the agent was not heard clearly is `unsure`, not `not_said`.
    """

    numbers: bool = True
    names: bool = True
    unsure: bool = True

AGENT_CHANNELS = {"callee", "mono"}
SPEAKER_CHANNELS: dict[str, set[str] | None] = {"agent": AGENT_CHANNELS, "caller": {"caller", "mono"}, "any": None}
"""Whose words count for an item: the agent is heard on the callee channel (or a mono recording)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What was (or nearly was) said for one rule.

    rule: the rule in words (`phrase 'junior suite'`). start_s, end_s: on the recording's clock.
    quote: the recognised words with a little context. score: 100 exact, lower for fuzzy matches;
    for a failed item this is the closest candidate found.
    """

    rule: str
    start_s: float
    end_s: float
    quote: str
    score: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one checklist item for one call.

    status: "said" (the rules matched: any / all, by the right speaker, in time), "not_said" (they
        did not, and the agent was heard clearly where the item could be) or "unsure" (they did
        not, but the recogniser may have missed it: the item is left out of the score).
    evidence: the matches that satisfied it, or for a miss the closest candidates (may be empty).
    reason: one sentence: what matched where, or why it did not count (for unsure: why unsure).
    """

    item_id: str
    title: str
    status: str
    weight: float
    evidence: tuple[Evidence, ...]
    reason: str

    @property
    def passed(self) -> bool:
        return self.status == SAID

    @property
    def at_s(self) -> float | None:
        return self.evidence[0].start_s if self.evidence and self.passed else None

    @property
    def quote(self) -> str:
        return self.evidence[0].quote if self.evidence else ""


class ScorecardJson(TypedDict):
    """Scorecard.to_json: what the transcript JSON carries and the store keeps (one dict per verdict)."""

    checklist: str
    score_pct: float
    answer_s: float
    verdicts: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Scorecard:
    """All verdicts of one call. answer_s: the time `within_s` limits are counted from."""

    checklist: str
    verdicts: tuple[Verdict, ...]
    answer_s: float

    @property
    def score_pct(self) -> float:
        """Weighted share of said items among the items judged (said or not said; unsure ones left out)."""
        total = sum(v.weight for v in self.verdicts if v.status != UNSURE)
        return 100.0 * sum(v.weight for v in self.verdicts if v.passed) / total if total else 0.0

    @property
    def missed(self) -> tuple[str, ...]:
        return tuple(v.item_id for v in self.verdicts if v.status == NOT_SAID)

    @property
    def unsure(self) -> tuple[str, ...]:
        return tuple(v.item_id for v in self.verdicts if v.status == UNSURE)

    def to_json(self) -> ScorecardJson:
        return {
            "checklist": self.checklist, "score_pct": round(self.score_pct, 1), "answer_s": round(self.answer_s, 3),
            "verdicts": [{"item": v.item_id, "title": v.title, "verdict": v.status, "passed": v.passed,
                          "weight": v.weight,
                          "at_s": None if v.at_s is None else round(v.at_s, 3), "quote": v.quote, "reason": v.reason,
                          "evidence": [{"rule": e.rule, "start_s": round(e.start_s, 3), "end_s": round(e.end_s, 3),
                                        "quote": e.quote, "score": round(e.score, 1)} for e in v.evidence]}
                         for v in self.verdicts],
        }

    def describe(self) -> str:
        lines = [f"score {self.score_pct:.0f}% ({self.checklist})"]
        for v in self.verdicts:
            mark = {SAID: "SAID", NOT_SAID: "MISS", UNSURE: "UNSURE"}[v.status]
            lines.append(f"  {mark} {v.item_id:24} {v.reason}")
        return "\n".join(lines)


def _matches(stream: TokenStream, rule: Rule, patterns: Sequence[str], language: str | None,
             measures: Measures) -> list[Match]:
    found: list[Match] = []
    if rule.kind == "names":
        if measures.names:
            return find_names(stream, patterns)
        return sorted((m for p in patterns for m in find_keyword(stream, p)), key=lambda m: m.first)
    for pattern in patterns:
        if rule.kind == "keywords":
            found += find_keyword(stream, pattern, language)
        elif rule.kind == "phrases":
            found += find_phrase(stream, pattern, rule.min_score, language)
        else:
            found += find_regex(stream, pattern)
    return sorted(found, key=lambda m: (m.first, -m.score))


def _evidence(stream: TokenStream, rule: Rule, m: Match) -> Evidence:
    described = f"{rule.kind[:-1]} {m.pattern!r}" if rule.kind != "regex" else rule.describe((m.pattern,))
    return Evidence(described, m.start_s(stream), m.end_s(stream), m.quote(stream), m.score)


def _near_miss(stream: TokenStream, rule: Rule, patterns: Sequence[str],
               language: str | None, keywords: bool = False) -> tuple[Evidence, tuple[float, ...]] | None:
    """The closest window to a phrase (or, with `keywords`, to a keyword of two words or more: one
    word alone is nearly everywhere), and the confidences of its words."""
    if rule.kind == "keywords" and keywords:
        patterns = [p for p in patterns if len(p.split()) >= 2]
    elif rule.kind != "phrases":
        return None
    windows = [w for p in patterns for w in phrase_windows(stream, p, language)]
    if not windows:
        return None
    best = max(windows, key=lambda w: (w.score, -w.first))
    heard = stream.words[stream.word_of[best.first]:stream.last_word(best.last) + 1]
    return _evidence(stream, rule, best), tuple(w.confidence for w in heard)


def score_item(item: ChecklistItem, words: Sequence[Word], answer_s: float,
               variables: Mapping[str, str], language: str | None = None,
               speech: Sequence[tuple[float, float]] | None = None, measures: Measures = Measures()) -> Verdict:
    """The verdict of one item over the call's words.

    language: numbers are read as digits in it (None: words compared as written). speech: the
    agent's speech segments, to tell a miss from something the recogniser did not hear."""
    channels = SPEAKER_CHANNELS[item.speaker]
    spoken = [w for w in words if channels is None or w.channel in channels]
    stream = tokenize(spoken, language if measures.numbers else None)
    language = language if measures.numbers else None
    deadline = None if item.within_s is None else answer_s + item.within_s
    normalised_vars = {k: normalize_text(v) for k, v in variables.items()}
    hits: list[Evidence] = []
    misses: list[str] = []
    near: list[Evidence] = []
    doubts: list[str] = []
    for rule in item.rules:
        # a names rule splits its list at commas, which normalising would remove ("Sophie, Marc" is two names)
        patterns = fill_rule(rule, variables if rule.kind == "names" else normalised_vars)
        found = _matches(stream, rule, patterns, language, measures)
        in_time = [m for m in found if deadline is None or m.start_s(stream) <= deadline]
        if in_time:
            hits.append(_evidence(stream, rule, in_time[0]))
        elif found:
            late = _evidence(stream, rule, found[0])
            near.append(late)
            misses.append(f"{rule.describe(patterns)} said at {late.start_s:.1f} s, later than {item.within_s:g} s "
                          f"after the answer ({answer_s:.1f} s)")
        else:
            closest = _near_miss(stream, rule, patterns, language, keywords=measures.unsure)
            candidate = None
            if closest is not None:
                candidate, confidences = closest
                near.append(candidate)
                doubt = near_miss_doubt(candidate.score, rule.min_score, confidences)
                if doubt is not None:
                    doubts.append(f"{rule.describe(patterns)} {doubt}")
            misses.append(f"{rule.describe(patterns)} not said" + (
                f" (closest: {candidate.quote!r} at {candidate.start_s:.1f} s, score {candidate.score:.0f} "
                f"< {rule.min_score:g})" if candidate is not None else ""))
    if measures.unsure and not hits and asks_for_a_price([p for rule in item.rules for p in rule.patterns]):
        lost = lost_price(stream, language, deadline)
        if lost is not None:
            doubts.append(lost)
    passed = bool(hits) if item.require == "any" else not misses
    if passed:
        hits.sort(key=lambda e: e.start_s)
        reason = f"at {hits[0].start_s:.1f} s: {hits[0].quote!r}"
        return Verdict(item.id, item.title, SAID, item.weight, tuple(hits), reason)
    if item.require == "all" and hits:
        misses.insert(0, f"only {len(hits)} of {len(item.rules)} required rules matched")
    near.sort(key=lambda e: -e.score)
    evidence = tuple(near[:1] + hits)
    if measures.unsure:
        heard = hear_window(spoken, speech, answer_s, deadline).doubt()
        reasons = ([heard] if heard else []) + doubts
        if reasons:
            return Verdict(item.id, item.title, UNSURE, item.weight, evidence,
                           "unsure: " + "; ".join(reasons) + " (" + "; ".join(misses) + ")")
    return Verdict(item.id, item.title, NOT_SAID, item.weight, evidence, "; ".join(misses))


def score_call(checklist: Checklist, words: Sequence[Word], answer_s: float | None = None,
               variables: Mapping[str, str] | None = None, speech: Sequence[tuple[float, float]] | None = None,
               measures: Measures = Measures()) -> Scorecard:
    """Score one call. `answer_s`: when a live person answered (recording clock); by default the
    first agent word. `variables` (e.g. the line's hotel name) override the checklist's. `speech`:
    the agent's speech segments (None: unknown), to tell "not said" from "not heard"."""
    ordered = sorted(words, key=lambda w: (w.start_s, w.end_s))
    if answer_s is None:
        agent = [w for w in ordered if w.channel in AGENT_CHANNELS]
        answer_s = agent[0].start_s if agent else 0.0
    merged = {**dict(checklist.variables), **(variables or {})}
    verdicts = tuple(score_item(item, ordered, answer_s, merged, checklist.language, speech, measures)
                     for item in checklist.items)
    return Scorecard(checklist.name, verdicts, answer_s)


@dataclass(frozen=True, slots=True)
class LineScore:
    """Scores of all scored calls to one line: the number a client reads per hotel / per number.

    item_pass_rates: (item id, share of calls where it passed), in checklist order.
    """

    line: str
    calls: int
    mean_pct: float
    min_pct: float
    max_pct: float
    item_pass_rates: tuple[tuple[str, float], ...]


def score_lines(scored: Iterable[tuple[str, Scorecard]]) -> tuple[LineScore, ...]:
    """Per-line aggregates of (line, scorecard) pairs, lines sorted by name; an item's pass rate
    counts the calls where it was judged (said or not said), not the unsure ones."""
    by_line: dict[str, list[Scorecard]] = {}
    for line, card in scored:
        by_line.setdefault(line, []).append(card)
    out = []
    for line in sorted(by_line):
        cards = by_line[line]
        pcts = [c.score_pct for c in cards]
        item_ids = list(dict.fromkeys(v.item_id for c in cards for v in c.verdicts))
        judged = {i: [v for c in cards for v in c.verdicts if v.item_id == i and v.status != UNSURE]
                  for i in item_ids}
        rates = tuple((i, sum(1 for v in judged[i] if v.passed) / len(judged[i]) if judged[i] else 0.0)
                      for i in item_ids)
        out.append(LineScore(line, len(cards), sum(pcts) / len(pcts), min(pcts), max(pcts), rates))
    return tuple(out)


def live_words(words: Iterable[Word], spans: Iterable[tuple[float, float, str]]) -> tuple[Word, ...]:
    """Words said inside live-human spans (when the segmenter found any): a recorded IVR greeting
    that names the hotel must not count as the agent's greeting."""
    live = [(a, b) for a, b, label in spans if label == "live_human"]
    words = tuple(words)
    if not live:
        return words
    return tuple(w for w in words if any(a <= (w.start_s + w.end_s) / 2 <= b for a, b in live))


def score_recorded_call(checklist: Checklist, call: CallResult, variables: Mapping[str, str] | None = None) -> Scorecard:
    """Score an analysed, transcribed call: only words said in live-human segments count, and
    `within_s` limits start when the live person answered (the first live_human segment)."""
    spans = [(s.start_s, s.end_s, s.label) for s in call.segments]
    answer = next((a for a, _, label in spans if label == "live_human"), None)
    speech = [(a, b) for a, b, label in spans if label == "live_human"] or None
    return score_call(checklist, live_words(call.words, spans), answer_s=answer, variables=variables, speech=speech)
