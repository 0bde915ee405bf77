"""Who is called: phones linked to persons, so counts follow the consumer and not the number.

D223-9 and GDPR address the person (a mobile and a landline are one consumer); Bloctel and the
DNC lists are per number. The key used for each attempt is reported with its basis: `person`
(persons file), `lead` (the dialer's lead id, e.g. VICIdial `lead_id`), or `number`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Identity:
    """phone (E.164) -> person_id, and person_id -> region (department / state) when known."""

    person_of_phone: dict[str, str] = field(default_factory=dict)
    region_of_person: dict[str, str] = field(default_factory=dict)
    phones_of_person: dict[str, list[str]] = field(default_factory=dict)

    def link(self, person_id: str, phone: str, region: str = "") -> None:
        self.person_of_phone[phone] = person_id
        self.phones_of_person.setdefault(person_id, []).append(phone)
        if region:
            self.region_of_person[person_id] = region

    def key(self, phone: str, lead: str = "") -> tuple[str, str, str]:
        """(person_key, basis, person_id) for a callee number."""
        person = self.person_of_phone.get(phone)
        if person is not None:
            return "p:" + person, "person", person
        if lead:
            return "l:" + lead, "lead", ""
        return "n:" + phone, "number", ""

    def region(self, person_id: str) -> str:
        return self.region_of_person.get(person_id, "")
