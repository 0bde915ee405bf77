"""What happened before a call, per principal and person: the state that frequency, cooling-off and
objection rules read. The batch audit fills it in time order; the guard fills it from POSTs."""

from __future__ import annotations

from typing import NamedTuple

from campaigns.model.localtime import utc_iso
from campaigns.model.records import Attempt


class Past(NamedTuple):
    """An earlier attempt as evidence: UTC epoch, local day, ids, outcome, and its purpose (D223-9 counts
    canvassing attempts only)."""

    ts: float
    day: int
    call_id: str
    phone: str
    disposition: str
    campaign: str
    purpose: str

    def as_json(self) -> dict[str, object]:
        return past_json(self.call_id, utc_iso(self.ts), self.phone, self.disposition, self.campaign, self.purpose)


def past_json(call_id: str, started_at_utc: str, phone: str, disposition: str, campaign: str,
              purpose: str) -> dict[str, object]:
    """An earlier attempt as findings' evidence lists it (Past.as_json; the columnar engine formats the
    times of many at once and calls this with them). Its purpose is kept: a frequency or cooling-off finding
    must show that what it counted were canvassing calls (D223-9), not service or survey ones."""
    return {"call_id": call_id, "started_at_utc": started_at_utc, "phone": phone, "disposition": disposition,
            "campaign": campaign, "purpose": purpose}


class PersonHistory:
    """Attempts of the last `keep_s` seconds (oldest first), the latest refusal, the first opt-out, and
    the latest abandoned call per number (for the UK 72 h rule).

    A list, not a deque: a person has a handful of recent attempts, and a deque's 64-slot block
    costs 600 bytes per person, a million-row audit's largest memory item.
    """

    __slots__ = ("attempts", "refusal", "opt_out", "abandoned")

    def __init__(self) -> None:
        self.attempts: list[Past] = []
        self.refusal: Past | None = None
        self.opt_out: Past | None = None
        self.abandoned: dict[str, Past] | None = None


REFUSALS = frozenset({"refused", "opt_out"})
Mark = tuple[str, str, "Past | None", "Past | None"]  # principal, person key, first opt-out, latest refusal
_new = tuple.__new__


class Ledger:
    """History per (principal, person_key); attempts older than `keep_s` are dropped as time goes on."""

    def __init__(self, keep_s: float = 40 * 86400) -> None:
        self.keep_s = keep_s
        self.by_key: dict[tuple[str, str], PersonHistory] = {}

    def get(self, principal: str, person_key: str) -> PersonHistory | None:
        return self.by_key.get((principal, person_key))

    def marks(self) -> list[Mark]:
        """(principal, person_key, opt-out, refusal) of every person, in first-recorded order."""
        return [(principal, key, history.opt_out, history.refusal) for (principal, key), history in self.by_key.items()]

    def record(self, attempt: Attempt, person_key: str, day: int) -> None:
        """Add an attempt after it was checked."""
        key = (attempt.principal, person_key)
        history = self.by_key.get(key)
        if history is None:
            history = self.by_key[key] = PersonHistory()
        # tuple.__new__ builds the record in C; Past(...) would run namedtuple's Python __new__
        past = _new(Past, (attempt.ts, day, attempt.call_id, attempt.phone, attempt.disposition, attempt.campaign,
                          attempt.purpose))
        attempts = history.attempts
        if attempts and attempts[-1].ts > attempt.ts:
            attempts.append(past)
            attempts.sort()  # out of order (guard POSTs may arrive late): keep it sorted
        else:
            attempts.append(past)
        if attempts[0].ts < attempt.ts - self.keep_s:
            horizon = attempt.ts - self.keep_s
            keep = 0
            while attempts[keep].ts < horizon:
                keep += 1
            del attempts[:keep]
        disposition = attempt.disposition
        if disposition in REFUSALS and (history.refusal is None or history.refusal.ts <= past.ts):
            history.refusal = past
        if disposition == "opt_out" and (history.opt_out is None or history.opt_out.ts > past.ts):
            history.opt_out = past
        if disposition == "abandoned":
            if history.abandoned is None:
                history.abandoned = {}
            history.abandoned[attempt.phone] = past
