"""An attempt seen from the callee's side: person, candidate zones, local clock in each zone.

The audit builds one per log row and the guard one per question, with the same `CallBuilder`,
so both evaluate rules on identical inputs.
"""

from __future__ import annotations

from typing import NamedTuple

from campaigns.model.facts import Facts
from campaigns.model.localtime import Local, local, local_iso
from campaigns.model.phones import PhoneBook, PhoneInfo
from campaigns.model.records import Attempt
from campaigns.model.residence import residence_info


class Call(NamedTuple):
    """attempt: the normalized row; phone: what the number says; person_key/basis/id: identity;
    locals: the local clock in each candidate zone (() when no zone is known);
    day: local day (first zone, else UTC) used for rules' in-force dates and daily counts;
    region: department / state from the log or the persons file (a French callee's department sets `phone`'s
    country and zone: campaigns.model.residence)."""

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


_new = tuple.__new__  # C-level NamedTuple construction: one Call per log row


class CallBuilder:
    """Turns attempts into Calls (numbers are cached by the PhoneBook, offsets by localtime)."""

    def __init__(self, phones: PhoneBook, facts: Facts) -> None:
        self.phones = phones
        self.facts = facts
        self._keys: dict[str, tuple[str, str, str]] = {}  # number -> identity, for rows without a lead id
        self._residences: dict[tuple[str, str], PhoneInfo] = {}  # (number, region) -> what the call is judged on

    def build(self, attempt: Attempt) -> Call:
        info = self.phones.lookup(attempt.phone)
        if attempt.lead:
            person_key, basis, person_id = self.facts.identity.key(info.e164, attempt.lead)
        else:
            known = self._keys.get(info.e164)
            if known is None:
                known = self._keys[info.e164] = self.facts.identity.key(info.e164)
            person_key, basis, person_id = known
        region = attempt.region or (self.facts.identity.region(person_id) if person_id else "")
        if region:  # where the callee lives sets the zone and the holidays
            moved = self._residences.get((info.e164, region))
            if moved is None:
                moved = self._residences[(info.e164, region)] = residence_info(info, region)
                if moved.zone_basis == "residence":
                    self.phones.moved.add((moved.e164, moved.zones))
            info = moved
        zones = info.zones
        ts = attempt.ts
        if len(zones) <= 1:
            locals_: tuple[Local, ...] = (local(zones[0], ts),) if zones else ()
        else:
            locals_ = tuple(local(zone, ts) for zone in zones)
        day = locals_[0].day if locals_ else int(attempt.ts // 86400)
        return _new(Call, (attempt, info, person_key, basis, person_id, locals_, day, region))
