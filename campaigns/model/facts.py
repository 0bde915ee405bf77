"""Inputs that do not change during an audit: who is who, lists, consents, the campaign registry."""

from __future__ import annotations

from dataclasses import dataclass, field

from campaigns.model.identity import Identity
from campaigns.model.phones import PhoneBook
from campaigns.model.records import CampaignInfo, Consent, Contract, Opposition, Scrub


@dataclass(slots=True)
class Facts:
    """Everything a check may look up besides the call and its history.

    present: names of the inputs that were given (persons, oppositions, consents, contracts, scrubs, campaigns);
    a rule that needs an absent input reports "not evaluated", never "compliant".
    """

    identity: Identity = field(default_factory=Identity)
    oppositions: dict[str, list[Opposition]] = field(default_factory=dict)
    consents: dict[str, list[Consent]] = field(default_factory=dict)
    contracts: dict[str, list[Contract]] = field(default_factory=dict)
    scrubs: dict[tuple[str, str], list[Scrub]] = field(default_factory=dict)  # (principal, source), by date
    registry: dict[str, CampaignInfo] = field(default_factory=dict)
    present: set[str] = field(default_factory=set)
    phones: PhoneBook = field(default_factory=PhoneBook)
    consents_any_principal: int = 0
    """Consents that name no principal: each counts for every principal of the log (the summary says so)."""

    def add_opposition(self, entry: Opposition) -> None:
        self.oppositions.setdefault(entry.phone, []).append(entry)

    def add_consent(self, consent: Consent) -> None:
        if not consent.principal:
            self.consents_any_principal += 1
        if consent.phone:
            self.consents.setdefault("n:" + consent.phone, []).append(consent)
        if consent.person_id:
            self.consents.setdefault("p:" + consent.person_id, []).append(consent)

    def add_scrub(self, scrub: Scrub) -> None:
        found = self.scrubs.setdefault((scrub.principal, scrub.source), [])
        found.append(scrub)
        found.sort(key=lambda s: s.scrubbed_at)

    def last_scrub(self, principal: str, source: str, ts: float) -> Scrub | None:
        """The principal's latest scrub against `source` at or before `ts`."""
        last = None
        for scrub in self.scrubs.get((principal, source), ()):
            if scrub.scrubbed_at.timestamp() > ts:
                break
            last = scrub
        return last

    def add_contract(self, contract: Contract) -> None:
        if contract.phone:
            self.contracts.setdefault("n:" + contract.phone, []).append(contract)
        if contract.person_id:
            self.contracts.setdefault("p:" + contract.person_id, []).append(contract)

    def contracts_for(self, phone: str, person_id: str) -> list[Contract]:
        """Contracts held on the number or by the person (each once)."""
        found = list(self.contracts.get("n:" + phone, ()))
        if person_id:
            found.extend(c for c in self.contracts.get("p:" + person_id, ()) if c not in found)
        return found

    def list_entries(self, phone: str, person_id: str, sources: frozenset[str], person_wide: bool,
                     principal: str | None = None, purpose: str | None = None,
                     at: float | None = None) -> list[Opposition]:
        """List entries for the number, or for every number of the person when `person_wide`; with `principal`,
        only entries of that principal's list or of no principal's (an internal list binds its own firm); with
        `purpose` and `at`, only entries whose scope covers that purpose and whose `until` is after `at`."""
        phones = [phone]
        if person_wide and person_id:
            phones = self.identity.phones_of_person.get(person_id, [phone])
            if phone not in phones:
                phones = [phone, *phones]
        found = []
        for number in phones:
            for entry in self.oppositions.get(number, ()):
                if entry.source in sources and entry.binds(principal, purpose, at):
                    found.append(entry)
        return found

    def consents_for(self, phone: str, person_id: str) -> list[Consent]:
        found = list(self.consents.get("n:" + phone, ()))
        if person_id:
            found.extend(c for c in self.consents.get("p:" + person_id, ()) if c not in found)
        return found
