"""The other inputs of an audit: persons, opposition lists, consents, contracts, list scrubs, the campaign
registry.

Each file has a header naming its columns (required ones listed in `COLUMNS`). A bad row becomes a
RejectedRow (reported and counted like log rows); a bad header is unusable input (exit 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from campaigns.ingest.text import CsvRows
from campaigns.ingest.times import TimeError, to_datetime
from campaigns.model.facts import Facts
from campaigns.model.phones import PhoneError
from campaigns.model.records import PURPOSES, CampaignInfo, Consent, Contract, Opposition, RejectedRow, Scrub
from mystery_core.errors import InputError

COLUMNS = {
    "persons": (("person_id", "phone"), ("region",)),
    "oppositions": (("phone", "listed_at", "source"), ("principal", "purpose", "until")),
    "consents": (("phone", "person_id", "given_at", "withdrawn_at", "scope"), ("principal",)),
    "contracts": (("principal", "started_at", "subject"), ("phone", "person_id", "ended_at", "kind")),
    "scrubs": (("principal", "source", "scrubbed_at"), ()),
    "campaigns": (("campaign", "principal", "purpose"), ("packs", "sector", "subjects")),
}
LIST_SOURCES = ("bloctel", "internal", "tps", "dnc", "dncl", "robinson", "state_dnc")
CONSENT_SCOPES = ("canvassing", "out_of_hours", "automated", "all")
CONTRACT_KINDS = ("contract", "inquiry")


@dataclass(slots=True)
class InputCounts:
    """Rows read, kept and rejected per input file."""

    path: str
    kind: str
    rows: int = 0
    kept: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    def line(self) -> str:
        return f"{self.path}: {self.rows} rows read = {self.kept} {self.kind} + {len(self.rejected)} rejected"


class _Bad(ValueError):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def _rows(path: Path, kind: str, counts: InputCounts) -> Iterator[tuple[int, dict[str, str]]]:
    required, optional = COLUMNS[kind]
    header: list[str] | None = None
    fixed: dict[str, str] = {}
    for line, fields, problem in CsvRows(path):
        if header is None:
            if problem:
                raise InputError(f"{path}:{line}", None, problem)
            header = [h.strip().lower() for h in fields]
            header, fixed = _as_opposition_header(header) if kind == "oppositions" else (header, {})
            missing = [c for c in required if c not in header and c not in fixed]
            if missing:
                raise InputError(f"{path}:1", "header", f"missing column(s) {', '.join(missing)}; a {kind} file "
                                 f"needs {','.join(required)}" + (f" (optional: {','.join(optional)})" if optional
                                                                  else ""))
            continue
        if not problem and (not fields or (len(fields) == 1 and not fields[0].strip())):
            continue
        counts.rows += 1
        if problem:
            counts.rejected.append(RejectedRow(str(path), line, "row", problem))
            continue
        if len(fields) != len(header):
            counts.rejected.append(RejectedRow(str(path), line, "row", f"expected {len(header)} fields, got "
                                                                       f"{len(fields)} (truncated line?)"))
            continue
        yield line, {**{name: value.strip() for name, value in zip(header, fields, strict=True)}, **fixed}


def _as_opposition_header(header: list[str]) -> tuple[list[str], dict[str, str]]:
    """A suppression list written by `campaigns audit --suppression` read back as an opposition list: its
    `since` is the entry's `listed_at`, and the source comes from its `reason` (`bloctel list` -> bloctel; a
    refusal or an objection, the firm's own, -> internal)."""
    if "listed_at" in header or "since" not in header or "reason" not in header:
        return header, {}
    header = ["listed_at" if name == "since" else name for name in header]
    return header, ({} if "source" in header else {"source": ""})


def _source_of_reason(reason: str) -> str:
    """The list source a suppression row's reason names (`dnc list`), else `internal`."""
    first, _, rest = reason.strip().lower().partition(" ")
    return first if rest == "list" and first in LIST_SOURCES else "internal"


def _phone(facts: Facts, text: str) -> str:
    try:
        return facts.phones.lookup(text).e164
    except PhoneError as error:
        raise _Bad("phone", str(error)) from None


def _when(text: str, name: str) -> datetime:
    try:
        return to_datetime(text)
    except TimeError as error:
        raise _Bad(name, str(error)) from None


def load_input(facts: Facts, kind: str, path: str | Path) -> InputCounts:
    """Read one input file into `facts`; returns its counts and rejected rows."""
    path = Path(path)
    counts = InputCounts(str(path), kind)
    facts.present.add(kind)
    for line, row in _rows(path, kind, counts):
        try:
            _add(facts, kind, row, str(path), line)
        except _Bad as bad:
            counts.rejected.append(RejectedRow(str(path), line, bad.field, bad.reason))
            continue
        counts.kept += 1
    return counts


def _add(facts: Facts, kind: str, row: dict[str, str], path: str, line: int) -> None:
    if kind == "persons":
        if not row["person_id"]:
            raise _Bad("person_id", "empty")
        facts.identity.link(row["person_id"], _phone(facts, row["phone"]), row.get("region", ""))
    elif kind == "oppositions":
        source = row["source"].lower()
        if not source and "reason" in row:  # a suppression list read back (_as_opposition_header)
            source = _source_of_reason(row["reason"])
        if source not in LIST_SOURCES:
            raise _Bad("source", f"expected one of {', '.join(LIST_SOURCES)}, got {row['source']!r}")
        purposes = tuple(row.get("purpose", "").replace(";", " ").split())
        unknown = [p for p in purposes if p not in (*PURPOSES, "all")]
        if unknown:
            raise _Bad("purpose", f"expected purposes among {', '.join(PURPOSES)} or all, got {' '.join(unknown)}")
        until = _when(row["until"], "until") if row.get("until") else None
        facts.add_opposition(Opposition(_phone(facts, row["phone"]), _when(row["listed_at"], "listed_at"),
                                        source, path, line, row.get("principal", ""), purposes, until))
    elif kind == "consents":
        scope = (row["scope"] or "canvassing").lower()
        if scope not in CONSENT_SCOPES:
            raise _Bad("scope", f"expected one of {', '.join(CONSENT_SCOPES)}, got {row['scope']!r}")
        if not row["phone"] and not row["person_id"]:
            raise _Bad("phone", "give a phone or a person_id")
        withdrawn = _when(row["withdrawn_at"], "withdrawn_at") if row["withdrawn_at"] else None
        facts.add_consent(Consent(_phone(facts, row["phone"]) if row["phone"] else "", row["person_id"],
                                  _when(row["given_at"], "given_at"), withdrawn, scope, path, line,
                                  row.get("principal", "")))
    elif kind == "scrubs":
        source = row["source"].lower()
        if source not in LIST_SOURCES:
            raise _Bad("source", f"expected one of {', '.join(LIST_SOURCES)}, got {row['source']!r}")
        if not row["principal"]:
            raise _Bad("principal", "empty")
        facts.add_scrub(Scrub(row["principal"], source, _when(row["scrubbed_at"], "scrubbed_at"), path, line))
    elif kind == "contracts":
        phone, person_id = row.get("phone", ""), row.get("person_id", "")
        if not phone and not person_id:
            raise _Bad("phone", "give a phone or a person_id")
        for name in ("principal", "subject"):
            if not row[name]:
                raise _Bad(name, "empty")
        started = _when(row["started_at"], "started_at")
        ended = _when(row["ended_at"], "ended_at") if row.get("ended_at") else None
        if ended is not None and ended < started:
            raise _Bad("ended_at", f"before started_at ({row['started_at']})")
        kind = (row.get("kind") or "contract").lower()
        if kind not in CONTRACT_KINDS:
            raise _Bad("kind", f"expected one of {', '.join(CONTRACT_KINDS)}, got {row['kind']!r}")
        facts.add_contract(Contract(_phone(facts, phone) if phone else "", person_id, row["principal"],
                                    started, ended, row["subject"].lower(), path, line, kind))
    elif kind == "campaigns":
        purpose = row["purpose"]
        if purpose not in PURPOSES:
            raise _Bad("purpose", f"expected one of {', '.join(PURPOSES)}, got {purpose!r}")
        packs = tuple(p for p in row.get("packs", "").replace(";", " ").split() if p)
        subjects = tuple(s.lower() for s in row.get("subjects", "").replace(";", " ").split() if s)
        facts.registry[row["campaign"]] = CampaignInfo(row["campaign"], row["principal"], purpose, packs,
                                                       row.get("sector", ""), subjects)
