"""An attempt seen from the callee's side: person, candidate zones, local clock in each zone.

The audit builds one per log row and the guard one per question, with the same `CallBuilder`,
so both evaluate rules on identical inputs.
"""

from __future__ import annotations

from typing import NamedTuple

from campaigns.facts import Facts
from campaigns.localtime import Local, local, local_iso
from campaigns.phones import PhoneBook, PhoneInfo
from campaigns.records import Attempt


class Call(NamedTuple):
    """attempt: the normalized row; phone: what the number says; person_key/basis/id: identity;
    locals: the local clock in each candidate zone (() when no zone is known);
    day: local day (first zone, else UTC) used for rules' in-force dates and daily counts;
    region: department / state from the log or the persons file."""

    attempt: Attempt
    phone: PhoneInfo
    person_key: str
    person_basis: str
    person_id: str
    locals: tuple[Local, ...]
    day: int
    region: str

    def local_times(self) -> str:
        """Evidence text: local time in every candidate zone."""
        if not self.locals:
            return "unknown (no time zone for this number)"
        return " / ".join(f"{local_iso(z.zone, self.attempt.ts)} {z.zone}" for z in self.locals)


class CallBuilder:
    """Turns attempts into Calls, caching per-number and per-minute work."""

    def __init__(self, phones: PhoneBook, facts: Facts) -> None:
        self.phones = phones
        self.facts = facts
        self._locals: dict[tuple[tuple[str, ...], int], tuple[Local, ...]] = {}

    def locals_at(self, zones: tuple[str, ...], ts: float) -> tuple[Local, ...]:
        minute = int(ts // 60)
        key = (zones, minute)
        hit = self._locals.get(key)
        if hit is None:
            hit = tuple(local(zone, minute * 60) for zone in zones)
            if len(self._locals) > 500_000:
                self._locals.clear()
            self._locals[key] = hit
        return hit

    def build(self, attempt: Attempt) -> Call:
        info = self.phones.lookup(attempt.phone)
        person_key, basis, person_id = self.facts.identity.key(info.e164, attempt.lead)
        locals_ = self.locals_at(info.zones, attempt.ts) if info.zones else ()
        day = locals_[0].day if locals_ else int(attempt.ts // 86400)
        region = attempt.region or (self.facts.identity.region(person_id) if person_id else "")
        return Call(attempt, info, person_key, basis, person_id, locals_, day, region)
