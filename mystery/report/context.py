"""Pure: stored calls + scores + estimate -> everything the report template prints.

All numbers shown in the report are computed here (not in the template), so a test can
compare the HTML with these values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from mystery.records import CallResult, Segment, Word
from mystery.revenue.estimate import RevenueEstimate
from mystery.revenue.loss import PERSON_OUTCOMES, WAIT_BASIS_HUMAN
from mystery.revenue.staffing import HourPlan

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

OUTCOME_LABELS = {
    "human": "Reached a person",
    "answered": "Answered (not yet analysed)",
    "voicemail": "Voicemail",
    "ivr_dead_end": "IVR dead end",
    "abandoned_in_queue": "Dropped in queue",
    "closed_message": "Closed message",
    "no_answer": "No answer",
    "busy": "Busy",
    "rejected": "Rejected",
    "failed": "Failed (network)",
    "dropped": "Dropped mid-call",
    "redirected": "Redirected elsewhere",
    "unknown": "Unknown (dialer crashed)",
}

PHASE_LABELS = {
    "dialling": "Dialling",
    "ringing": "Ringing",
    "ringback": "Ringing",
    "ivr": "IVR menu",
    "ivr_prompt": "IVR menu",
    "hold": "On hold",
    "hold_music": "On hold",
    "announcement": "Announcement",
    "agent": "Agent",
    "live_human": "Agent",
    "answered": "Answered (not analysed)",
    "message": "Recorded message",
    "voicemail_greeting": "Voicemail",
    "silence": "Silence",
    "noise": "Noise",
}
"""Timeline phase kind -> legend label; audio segment labels map onto the same colours."""


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of one call on the timeline, in seconds from the INVITE."""

    start_s: float
    end_s: float
    kind: str

    @property
    def label(self) -> str:
        return PHASE_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())


@dataclass(frozen=True, slots=True)
class Utterance:
    """Consecutive words of one speaker (a gap of more than 1 s starts a new one).

    `who` is Caller, Agent (a live person), Recording (IVR prompt, announcement, voicemail
    greeting) or Callee (the far end, where the audio analysis did not say which).
    """

    start_s: float
    channel: str
    text: str
    who: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """One script checklist item for one call, with its evidence.

    status: "said", "not_said" or "unsure" (the recogniser may have missed it: not in the score).
    reason: why, for an unsure verdict.
    """

    item: str
    status: str
    at_s: float | None
    quote: str
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "said"

    @property
    def unsure(self) -> bool:
        return self.status == "unsure"

    @property
    def label(self) -> str:
        return self.item.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class CallRow:
    """One call as the report shows it."""

    number: int
    call_id: str
    line: str
    started_local: str
    outcome: str
    sip_status: int | None
    pdd_s: float | None
    ring_s: float | None
    time_to_answer_s: float | None
    ivr_s: float | None
    hold_s: float | None
    time_to_human_s: float | None
    time_to_human_confidence: str | None     # high, medium, low; None: not graded (SIP-only or older analysis)
    time_to_human_reasons: tuple[str, ...]   # why the confidence is not higher
    talk_s: float | None
    duration_s: float
    wait_basis: str
    loss_probability: float | None
    recording_href: str | None
    recording_note: str
    phases: tuple[Phase, ...]
    transcript: tuple[Utterance, ...]
    verdicts: tuple[Verdict, ...]

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)

    @property
    def score_share(self) -> float | None:
        """Share of the judged checklist items (said or not said) that were said; None when the call was
        not scored or every item was unsure."""
        judged = [v for v in self.verdicts if not v.unsure]
        if not judged:
            return None
        return sum(v.passed for v in judged) / len(judged)

    @property
    def unsure_count(self) -> int:
        return sum(v.unsure for v in self.verdicts)


@dataclass(frozen=True, slots=True)
class WaitStats:
    """Median and 90th percentile of one waiting time over the calls where it was measured."""

    count: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True, slots=True)
class LineStats:
    """Waiting times of one line (a number of the client)."""

    line: str
    calls: int
    answered: int
    time_to_answer: WaitStats
    time_to_human: WaitStats
    hold: WaitStats
    score_share: float | None
    scored: int


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    outcome: str
    count: int
    share: float

    @property
    def label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)


@dataclass(frozen=True, slots=True)
class Headline:
    """The three numbers a director reads first."""

    wait: WaitStats
    wait_is_human: bool
    unanswered: int
    calls: int
    unanswered_share: float
    unanswered_low: float
    unanswered_high: float


@dataclass(frozen=True, slots=True)
class StaffingGrid:
    """Agents needed per hour of day (rows) and day of week (columns), busy hours only."""

    hours: tuple[int, ...]
    cells: tuple[tuple[HourPlan | None, ...], ...]   # [row][day]
    peak: HourPlan
    agent_hours_per_week: int
    handle_s: float


def staffing_grid(plans: Sequence[HourPlan], handle_s: float, min_share_of_peak: float = 0.1) -> StaffingGrid | None:
    """Keep the hours whose busiest day has at least 10 % of the peak hour's calls."""
    if not plans:
        return None
    by_hour = {p.hour_of_week: p for p in plans}
    peak = max(plans, key=lambda p: p.calls_per_hour)
    hours = tuple(
        h for h in range(24)
        if max((by_hour[d * 24 + h].calls_per_hour for d in range(7) if d * 24 + h in by_hour), default=0.0)
        >= min_share_of_peak * peak.calls_per_hour
    )
    cells = tuple(tuple(by_hour.get(d * 24 + h) for d in range(7)) for h in hours)
    return StaffingGrid(hours, cells, peak, sum(p.agents_needed for p in plans), handle_s)


@dataclass(frozen=True, slots=True)
class ReportContext:
    """Everything the template needs; built by `build_context`."""

    campaign: str
    client: str
    generated_at: str
    timezone: str
    first_call: str
    last_call: str
    headline: Headline
    calls: tuple[CallRow, ...]
    lines: tuple[LineStats, ...]
    overall: LineStats
    outcomes: tuple[OutcomeCount, ...]
    estimate: RevenueEstimate | None
    estimate_note: str
    has_transcripts: bool
    has_scores: bool
    staffing: StaffingGrid | None
    verdict_count: int = 0
    unsure_reasons: tuple[tuple[str, int], ...] = ()

    @property
    def unsure_count(self) -> int:
        return sum(n for _, n in self.unsure_reasons)


def wait_stats(values: Sequence[float | None]) -> WaitStats:
    """Median and P90 (numpy's linear interpolation) of the measured values."""
    measured = [v for v in values if v is not None]
    if not measured:
        return WaitStats(0, None, None)
    median, p90 = np.percentile(measured, [50, 90])
    return WaitStats(len(measured), float(median), float(p90))


def local_time(started_at: str, timezone: str) -> str:
    """'Mon 23 Nov 09:30' in the hotel's time zone."""
    try:
        moment = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    except ValueError:
        return started_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %H:%M")


def call_phases(call: CallResult) -> tuple[Phase, ...]:
    """Timeline of one call from the INVITE: SIP phases before the answer, audio segments after.

    Without audio segments the phases after the answer come from the measures (IVR, hold,
    agent) or, before analysis, one "answered" bar. Segment times are taken from the start
    of the recording and shifted by `recording_offset_s`.
    """
    phases: list[Phase] = []
    answer = call.time_to_answer_s
    end = _duration(call)
    pdd = call.pdd_s
    ring_end = answer if answer is not None else end
    if pdd is not None and pdd > 0:
        phases.append(Phase(0.0, min(pdd, ring_end), "dialling"))
        ring_start = min(pdd, ring_end)
    else:
        ring_start = 0.0
    if ring_end > ring_start:
        phases.append(Phase(ring_start, ring_end, "ringing" if pdd is not None or answer is not None else "dialling"))
    if answer is None:
        return tuple(phases)
    if call.segments:
        for segment in call.segments:
            start = call.recording_offset_s + segment.start_s
            stop = call.recording_offset_s + segment.end_s
            if stop > answer and segment.label not in ("silence",):
                phases.append(Phase(max(start, answer), stop, segment.label))
        return tuple(phases)
    t = answer
    if call.ivr_s:
        phases.append(Phase(t, t + call.ivr_s, "ivr"))
        t += call.ivr_s
    if call.hold_s:
        phases.append(Phase(t, t + call.hold_s, "hold"))
        t += call.hold_s
    if call.time_to_human_s is not None:
        t = max(t, call.time_to_human_s)
        talk_end = t + call.talk_s if call.talk_s is not None else end
        phases.append(Phase(t, max(talk_end, t), "agent"))
    elif call.outcome in ("closed_message", "voicemail", "ivr_dead_end"):
        phases.append(Phase(t, max(end, t), "message" if call.outcome != "voicemail" else "voicemail_greeting"))
    else:
        stop = answer + call.talk_s if call.talk_s is not None else end
        phases.append(Phase(t, max(stop, t), "answered"))
    return tuple(phases)


def _duration(call: CallResult) -> float:
    candidates = [call.duration_s, call.time_to_answer_s]
    if call.time_to_answer_s is not None and call.talk_s is not None:
        candidates.append(call.time_to_answer_s + call.talk_s)
    if call.events:
        candidates.append(max(e.t_s for e in call.events))
    return max((c for c in candidates if c is not None), default=0.0)


SPEAKERS = {"live_human": "Agent", "ivr_prompt": "Recording", "announcement": "Recording",
            "voicemail_greeting": "Recording"}


def speaker(word: Word, segments: Sequence[Segment]) -> str:
    """Who said a word: the caller, or on the callee side the label of the segment it falls in."""
    if word.channel == "caller":
        return "Caller"
    middle = (word.start_s + word.end_s) / 2
    label = next((s.label for s in segments if s.start_s <= middle <= s.end_s), "")
    return SPEAKERS.get(label, "Callee")


def utterances(words: Sequence[Word], offset_s: float, segments: Sequence[Segment] = (),
               gap_s: float = 1.0) -> tuple[Utterance, ...]:
    """Group words into turns per speaker, in time order, times from the INVITE."""
    out: list[Utterance] = []
    current: list[tuple[Word, str]] = []

    def flush() -> None:
        first, who = current[0]
        out.append(Utterance(first.start_s + offset_s, first.channel, " ".join(w.text for w, _ in current), who))

    for word in sorted(words, key=lambda w: w.start_s):
        who = speaker(word, segments)
        if current and (who != current[-1][1] or word.start_s - current[-1][0].end_s > gap_s):
            flush()
            current = []
        current.append((word, who))
    if current:
        flush()
    return tuple(out)


def build_context(
    campaign: Mapping[str, Any],
    calls: Sequence[CallResult],
    scores: Mapping[str, Sequence[Mapping[str, Any]]],
    estimate: RevenueEstimate | None,
    estimate_note: str,
    recording_hrefs: Mapping[str, str | None],
    timezone: str,
    generated_at: str,
    staffing: Sequence[HourPlan] = (),
    zones: Mapping[str, str] | None = None,
) -> ReportContext:
    """Assemble the report's numbers. `recording_hrefs` maps call id -> relative link (or None).

    A call's local start is in its line's site zone (`zones`), else in `timezone`."""
    zones = zones or {}
    loss_by_call = {c.call_id: c.loss_probability for c in estimate.per_call} if estimate else {}
    rows = []
    for number, call in enumerate(calls, start=1):
        verdicts = tuple(
            Verdict(str(v["item"]), str(v.get("verdict") or ("said" if v["passed"] else "not_said")), v.get("at_s"),
                    str(v.get("quote") or ""), str(v.get("reason") or ""))
            for v in scores.get(call.call_id, ())
        )
        href = recording_hrefs.get(call.call_id)
        note = "" if href else ("no recording" if not call.recording else "recording file not found")
        rows.append(CallRow(
            number=number,
            call_id=call.call_id,
            line=call.line or call.target_uri,
            started_local=local_time(call.started_at, zones.get(call.line, timezone)),
            outcome=call.outcome,
            sip_status=call.sip_status,
            pdd_s=call.pdd_s,
            ring_s=call.ring_s,
            time_to_answer_s=call.time_to_answer_s,
            ivr_s=call.ivr_s,
            hold_s=call.hold_s,
            time_to_human_s=call.time_to_human_s,
            time_to_human_confidence=call.time_to_human_confidence,
            time_to_human_reasons=call.time_to_human_reasons,
            talk_s=call.talk_s,
            duration_s=_duration(call),
            wait_basis=call.wait_basis,
            loss_probability=loss_by_call.get(call.call_id),
            recording_href=href,
            recording_note=note,
            phases=call_phases(call),
            transcript=utterances(call.words, call.recording_offset_s, call.segments),
            verdicts=verdicts,
        ))
    lines = tuple(_line_stats(line, [r for r in rows if r.line == line]) for line in sorted({r.line for r in rows}))
    overall = _line_stats("All lines", rows)
    counts = Counter(r.outcome for r in rows)
    order = {name: i for i, name in enumerate(OUTCOME_LABELS)}
    outcomes = tuple(
        OutcomeCount(name, count, count / len(rows))
        for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], 99)))
    )
    answered = [r for r in rows if r.outcome in PERSON_OUTCOMES]
    wait_is_human = bool(answered) and all(r.time_to_human_s is not None for r in answered)
    headline_wait = wait_stats(
        [(r.time_to_human_s if wait_is_human else r.time_to_answer_s) for r in answered]
    )
    unanswered = len(rows) - len(answered)
    if estimate is not None:
        low, high = estimate.unanswered_wilson_low, estimate.unanswered_wilson_high
    else:
        from mystery.revenue.estimate import wilson_interval

        low, high = wilson_interval(unanswered, len(rows)) if rows else (0.0, 0.0)
    starts = sorted(c.started_at for c in calls)
    return ReportContext(
        campaign=str(campaign.get("name", "")),
        client=str(campaign.get("client") or ""),
        generated_at=generated_at,
        timezone=timezone,
        first_call=local_time(starts[0], timezone) if starts else "",
        last_call=local_time(starts[-1], timezone) if starts else "",
        headline=Headline(headline_wait, wait_is_human, unanswered, len(rows),
                          unanswered / len(rows) if rows else 0.0, low, high),
        calls=tuple(rows),
        lines=lines,
        overall=overall,
        outcomes=outcomes,
        estimate=estimate,
        estimate_note=estimate_note,
        has_transcripts=any(r.transcript for r in rows),
        has_scores=any(r.verdicts for r in rows),
        verdict_count=sum(len(r.verdicts) for r in rows),
        unsure_reasons=unsure_reasons(v for r in rows for v in r.verdicts),
        staffing=staffing_grid(staffing, estimate.assumptions.handle_time_s.value) if estimate else None,
    )


def unsure_reasons(verdicts: Iterable[Verdict]) -> tuple[tuple[str, int], ...]:
    """(kind of reason, count) of the unsure verdicts, most frequent first: what the report says
    about how many verdicts the recogniser left open, and why."""
    kinds: dict[str, int] = {}
    for v in verdicts:
        if not v.unsure:
            continue
        reason = v.reason.removeprefix("unsure: ")
        if reason.startswith("heard only when the recogniser listened for it"):
            kind = "heard only when the recogniser was told to listen for it"
        elif "was heard without its number" in reason:
            kind = "a price whose number the recogniser lost"
        elif "no words were recognised" in reason:
            kind = "no words recognised where the item could be"
        elif "gave no words" in reason:
            kind = "stretches of the agent's speech gave no words"
        elif "low confidence" in reason:
            kind = "many words heard with low confidence"
        elif "nearly heard" in reason:
            kind = "the phrase was nearly heard, with low confidence"
        else:
            kind = "other"
        kinds[kind] = kinds.get(kind, 0) + 1
    return tuple(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))


def _line_stats(line: str, rows: Sequence[CallRow]) -> LineStats:
    answered = [r for r in rows if r.outcome in PERSON_OUTCOMES]
    scored = [r.score_share for r in rows if r.score_share is not None]
    return LineStats(
        line=line,
        calls=len(rows),
        answered=len(answered),
        time_to_answer=wait_stats([r.time_to_answer_s for r in answered]),
        time_to_human=wait_stats([r.time_to_human_s for r in answered]),
        hold=wait_stats([r.hold_s for r in answered]),
        score_share=sum(scored) / len(scored) if scored else None,
        scored=len(scored),
    )


__all__ = ["WAIT_BASIS_HUMAN", "ReportContext", "build_context", "call_phases", "wait_stats"]
