"""Records that cross module boundaries: attempts, rejected rows, findings, list entries.

`Attempt` and `Violation` are NamedTuples rather than frozen dataclasses: one is built per log row
(a million in the benchmark) or per violation (a quarter of that), and tuple construction is several
times cheaper than a frozen dataclass `__init__`. They are just as immutable. The other records are
rarer and use frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

PURPOSES = ("canvassing", "survey", "service", "collection", "newspaper", "b2b")
"""Call purposes of the generic log; `unknown` is used when a log and the registry give none.
`newspaper`: canvassing for newspaper, periodical or magazine subscriptions (exempt from Bloctel,
C. consom. L223-5); `b2b`: calls to businesses, outside the consumer rules (D223-9, L223-1, TSR, DNCL)."""

DISPOSITIONS = ("answered", "no_answer", "busy", "voicemail", "abandoned", "failed", "refused", "opt_out")
"""Normalized outcomes. `refused`: the person declined the offer or the call; `opt_out`: asked
never to be called again (an objection under GDPR art. 21)."""

DIAL_MODES = ("manual", "preview", "progressive", "predictive", "prerecorded")


class Attempt(NamedTuple):
    """One dial attempt, normalized from any log format.

    call_id: the dialer's id (unique within a run); source/line: where the row came from;
    ts: start of the dial as UTC epoch seconds (the hot path works on floats);
    phone: callee in E.164; phone_raw: as the log wrote it; caller_id: CLI presented (may be "");
    campaign, principal: the campaign and the business the call is made for;
    purpose: one of PURPOSES or "unknown"; disposition: one of DISPOSITIONS;
    disposition_raw: the dialer's own code; duration_s: dial to hang-up; ring_s, talk_s: when known;
    dial_mode: one of DIAL_MODES or ""; agent: agent id or ""; region: department / state or "";
    lead: dialer's lead id linking numbers of one person (VICIdial), or "".
    """

    call_id: str
    source: str
    line: int
    ts: float
    phone: str
    phone_raw: str
    caller_id: str
    campaign: str
    principal: str
    purpose: str
    disposition: str
    disposition_raw: str
    duration_s: float | None
    ring_s: float | None
    talk_s: float | None
    dial_mode: str
    agent: str
    region: str
    lead: str


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that could not become an attempt: where it is, which field, and why."""

    source: str
    line: int
    field: str
    reason: str
    raw: str = ""

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Opposition:
    """A number on an opposition / do-not-call list.

    source: bloctel, internal, tps, dnc or dncl; listed_at: registration date (UTC midnight if no time);
    line: line in the list file, for evidence.
    """

    phone: str
    listed_at: datetime
    source: str
    file: str
    line: int
    principal: str = ""
    """Whose list it is, for a company's internal do-not-call list ("" = binds every principal)."""
    purposes: tuple[str, ...] = ()
    """The call purposes the entry bars (() or `all` = every purpose), as a suppression list scopes its entries."""
    until: datetime | None = None
    """First moment calls may resume (a refusal's cooling-off end in a suppression list); None = no end."""

    def binds(self, principal: str | None, purpose: str | None, ts: float | None) -> bool:
        """Whether the entry applies to a call by `principal` for `purpose` at `ts` (None: not asked)."""
        return ((principal is None or self.principal in ("", principal))
                and (purpose is None or not self.purposes or "all" in self.purposes or purpose in self.purposes)
                and (ts is None or self.until is None or ts < self.until.timestamp()))


@dataclass(frozen=True, slots=True)
class Consent:
    """A consent record. scope: canvassing (the opt-in of L223-1), out_of_hours (D223-9 al. 2), or all;
    principal: the professional it was given to (L223-1 from 2026-08-11), "" = every principal of the log."""

    phone: str
    person_id: str
    given_at: datetime
    withdrawn_at: datetime | None
    scope: str
    file: str
    line: int
    principal: str = ""


@dataclass(frozen=True, slots=True)
class Scrub:
    """A principal's file checked against an opposition list on `scrubbed_at` (the Bloctel duty: at least
    monthly for professionals who canvass habitually, L223-1 as amended in 2020)."""

    principal: str
    source: str
    scrubbed_at: datetime
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Contract:
    """A contract between a consumer and a principal. Calls made while it runs, about its subject, fall
    under the ongoing-contract exception of L223-1 (Bloctel until 2026-08-10, prior consent from
    2026-08-11, the sector ban); D223-9 still applies to them.

    subject: what the contract is about, matched against the campaign registry's `subjects`;
    ended_at: None while it runs; file/line: where it came from, for evidence.
    """

    phone: str
    person_id: str
    principal: str
    started_at: datetime
    ended_at: datetime | None
    subject: str
    file: str
    line: int
    kind: str = "contract"
    """`contract` (a purchase or transaction), or `inquiry`: the consumer asked about or applied for the
    principal's product on `started_at`; it never exempts as an ongoing contract, only for the inquiry part
    of an existing business relationship (3 months in the US, 6 in Canada)."""


@dataclass(frozen=True, slots=True)
class CampaignInfo:
    """Registry entry: whom a campaign calls for, why, and which packs apply (empty = the audit's).

    subjects: the contract subjects the campaign's offer relates to (the ongoing-contract exception
    applies only to those)."""

    campaign: str
    principal: str
    purpose: str
    packs: tuple[str, ...] = ()
    sector: str = ""
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule broken by one attempt (or by a campaign, for aggregate rules).

    evidence: JSON-ready details (earlier attempts, list entry, local times...);
    not_before: earliest UTC epoch at which this rule could allow the call again (guard);
    permanent: no expiry (opposition, objection, missing consent).
    """

    rule: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    not_before: float | None = None
    permanent: bool = False


class Violation(NamedTuple):
    """A finding tied to the attempt that broke the rule, as reported and stored.

    A NamedTuple like `Attempt`, for the same reason: a million-row audit makes a few hundred thousand
    of them, and a frozen dataclass `__init__` costs several times a tuple's.
    """

    call_id: str
    rule: str
    phone: str
    person_id: str
    person_key_basis: str
    campaign: str
    principal: str
    local_time: str
    zones: tuple[str, ...]
    message: str
    evidence: dict[str, Any]
    source: str
    line: int
    started_at_utc: str
    also_breaches: tuple[str, ...] = ()
    """Rules that describe the same act on this call, whose findings this one stands for (engines/same_act.py)."""

    def as_json(self) -> dict[str, Any]:
        out = {
            "call_id": self.call_id, "rule": self.rule, "phone": self.phone, "person_id": self.person_id,
            "person_key_basis": self.person_key_basis, "campaign": self.campaign, "principal": self.principal,
            "local_time": self.local_time, "zones": list(self.zones), "message": self.message,
            "evidence": self.evidence, "source": self.source, "line": self.line,
            "started_at_utc": self.started_at_utc,
        }
        if self.also_breaches:
            out["also_breaches"] = list(self.also_breaches)
        return out


@dataclass(frozen=True, slots=True)
class InForce:
    """Dates a rule is in force, both inclusive; None = open-ended."""

    start: date | None = None
    end: date | None = None

    def covers(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)
