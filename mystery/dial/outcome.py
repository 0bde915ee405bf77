"""From what the dialer saw to the call's outcome and SIP timings (pure).

Timing definitions (ARCHITECTURE.md, t0 = INVITE sent): PDD = t0 -> first 18x; ring =
first 18x -> 200 OK; time to answer = t0 -> 200 OK; talk (SIP basis, provisional until audio
analysis) = 200 OK -> end of call (BYE sent or received).
"""

from __future__ import annotations

from dataclasses import dataclass, field

BUSY_CODES = {486, 600}
NO_ANSWER_CODES = {408, 480, 487}   # as sent by the far end; a local CANCEL also ends in 487
TIMERS = {"ring_timeout", "no_response", "max_seconds", "rtp_timeout"}
LOCAL_ENDS = TIMERS | {"plan", "stopped", "protocol_error"}
MAX_REDIRECTS = 3   # 3xx hops followed before the call is given up as `redirected`


@dataclass(slots=True)
class CallFacts:
    """What happened, in seconds from the INVITE (None = never happened).

    local_end: why the dialer itself ended the call: "", "plan" (a hangup step), "stopped" (SIGTERM),
    "ring_timeout", "no_response", "max_seconds", "rtp_timeout".
    """

    first_response_s: float | None = None
    first_provisional_s: float | None = None
    answered_s: float | None = None
    ended_s: float | None = None
    final_status: int | None = None
    final_reason: str = ""
    remote_bye: bool = False
    local_end: str = ""
    steps_pending: bool = False
    error: str = ""                      # local failure before/while sending (DNS, transport)
    redirect_target: str = ""            # the 3xx Contact we did not follow (not asked to, a loop, too many hops)
    redirect_why: str = ""               # why not: "not followed", "loop", "more than 3 hops"
    message_too_large: str = ""          # a response pjsip could read only in part (over its size limit)
    protocol_error: str = ""             # the far end broke SIP (a 2xx without a To tag): the call is not used
    local_refusal: str = ""              # pjsip itself hung up the answered call: why (no SDP, no common codec)
    redirect_status: int | None = None   # that 3xx (pjsip then ends the call with a local 487)
    redirect_reason: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Outcome and the SIP-based measures of one call."""

    outcome: str
    sip_status: int | None
    sip_reason: str
    hangup_by: str
    end_reason: str
    pdd_s: float | None
    ring_s: float | None
    time_to_answer_s: float | None
    talk_s: float | None
    duration_s: float | None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def judge(f: CallFacts) -> Verdict:
    """Classify the call (ARCHITECTURE.md outcomes) and compute its SIP timings."""
    pdd = f.first_provisional_s
    tta = f.answered_s
    ring = tta - pdd if tta is not None and pdd is not None else None
    talk = f.ended_s - tta if tta is not None and f.ended_s is not None else None
    status, reason = f.final_status, f.final_reason
    if f.message_too_large:
        outcome, by, end, reason = "failed", "", "message_too_large", f.message_too_large
    elif f.protocol_error:
        outcome, by, end, reason = "failed", "caller", "protocol_error", f.protocol_error
    elif tta is not None and f.local_refusal:
        outcome, by, end = "failed", "caller", "local_refusal"
        reason = f"media refused by the dialer: {f.local_refusal}"
    elif tta is not None:
        status, reason = 200, "OK"
        if f.local_end == "rtp_timeout":
            outcome, by, end = "dropped", "caller", "rtp_timeout"
        elif f.remote_bye:
            outcome = "dropped" if f.steps_pending else "answered"
            by, end = "callee", "remote_bye"
        else:
            outcome, by, end = "answered", "caller", f.local_end or "plan"
            # a plan that ends with its own hangup (or max_seconds while listening) is a normal end
    elif f.local_end == "stopped":
        outcome, by, end, status, reason = "failed", "caller", "stopped", None, "stopped before the answer (signal)"
    elif f.error:
        outcome, by, end, status, reason = "failed", "", "error", None, f.error
    elif f.first_response_s is None and f.local_end in {"no_response", "ring_timeout", "max_seconds"}:
        outcome, by, end, status, reason = "failed", "caller", "no_response", None, "no response from the far end"
    elif f.local_end in {"ring_timeout", "max_seconds"}:
        outcome, by, end = "no_answer", "caller", f.local_end
    elif f.redirect_target:
        outcome, by, end = "redirected", "callee", "redirected"
        status = f.redirect_status or status
        reason = f"{f.redirect_reason or 'redirected'} -> {f.redirect_target} ({f.redirect_why})"
    elif status in BUSY_CODES:
        outcome, by, end = "busy", "callee", "rejected"
    elif status in NO_ANSWER_CODES:
        outcome, by, end = "no_answer", "callee", "rejected"
    elif status is not None and 400 <= status < 500 or status is not None and status >= 600:
        outcome, by, end = "rejected", "callee", "rejected"
    else:
        outcome, by, end = "failed", "callee" if f.first_response_s is not None else "", "rejected"
    if by == "caller" and end in TIMERS:
        by = "timeout"
    return Verdict(
        outcome=outcome, sip_status=status, sip_reason=reason, hangup_by=by, end_reason=end,
        pdd_s=_round(pdd), ring_s=_round(ring), time_to_answer_s=_round(tta), talk_s=_round(talk),
        duration_s=_round(f.ended_s),
    )
