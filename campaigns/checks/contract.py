"""The ongoing-contract exception of L223-1: a call made while the consumer's contract with the principal
runs, about that contract's subject, is exempt from Bloctel (until 2026-08-10), from prior consent (from
2026-08-11) and from the sector ban. D223-9's days, hours and frequency still apply to it.

"About its subject" cannot be read from a dialer log: the campaign registry declares the contract
subjects each campaign's offer relates to (`subjects`), and a contract qualifies only for those. A
campaign that declares none gets no exception; its findings list the contracts seen and why each did
not count, so the officer can see what would have exempted the call.
"""

from __future__ import annotations

from typing import Any

from campaigns.model.call import Call
from campaigns.model.facts import Facts
from campaigns.model.records import Contract


def contract_json(contract: Contract) -> dict[str, Any]:
    return {"principal": contract.principal, "subject": contract.subject,
            "started_at": contract.started_at.isoformat(),
            "ended_at": contract.ended_at.isoformat() if contract.ended_at else None,
            "phone": contract.phone, "person_id": contract.person_id, "kind": contract.kind, "file": contract.file,
            "line": contract.line}


def ongoing_contract(call: Call, facts: Facts) -> tuple[Contract | None, list[dict[str, Any]]]:
    """The contract that exempts the call (None if none), and the callee's other contracts with why each
    does not (for the finding's evidence)."""
    contracts = facts.contracts_for(call.phone.e164, call.person_id)
    if not contracts:
        return None, []
    attempt = call.attempt
    info = facts.registry.get(attempt.campaign)
    subjects = info.subjects if info else ()
    seen = []
    for contract in contracts:
        if contract.kind != "contract":
            why = f"an {contract.kind}, not a contract"
        elif contract.principal != attempt.principal:
            why = f"held with {contract.principal}, not with {attempt.principal}"
        elif contract.started_at.timestamp() > attempt.ts:
            why = "starts after the call"
        elif contract.ended_at is not None and contract.ended_at.timestamp() <= attempt.ts:
            why = "ended before the call"
        elif not subjects:
            why = f"campaign {attempt.campaign!r} declares no contract subjects in the campaigns registry"
        elif contract.subject not in subjects:
            why = f"subject {contract.subject!r} is not one the campaign's offer relates to ({', '.join(subjects)})"
        else:
            return contract, []
        seen.append({**contract_json(contract), "not_applied_because": why})
    return None, seen


def exempted(call: Call, facts: Facts, evidence: dict[str, Any]) -> bool:
    """True when an ongoing contract exempts the call; otherwise the contracts seen go into `evidence`."""
    contract, seen = ongoing_contract(call, facts)
    if contract is None and seen:
        evidence["contracts_seen"] = seen
    return contract is not None
