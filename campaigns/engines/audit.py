"""Ingest and audit in one pass: read inputs, stream the log through the rules, hand out violations.

`run_audit` is the library entry point the CLI wraps. Violations and rejected rows go to callbacks
as they are found (nothing holds the whole log); the returned `AuditOutcome` has the counts, the
per-rule statistics and what the summary and evidence pack print. It leaves the garbage collector
alone: a program that runs nothing else meanwhile (the CLI) wraps it in `collector_tuned_for_audit()`.
"""

from __future__ import annotations

import gc
import platform
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from campaigns import __version__
from campaigns.engines.row import Auditor, RuleStats
from campaigns.ingest.dispositions import load_mapping
from campaigns.ingest.formats import ASSUMED_PRINCIPAL, ASTERISK_WIDTHS
from campaigns.ingest.inputs import InputCounts, load_input
from campaigns.ingest.reader import LogReader
from campaigns.ingest.text import file_sha256, file_sha256_soon
from campaigns.model.call import CallBuilder
from campaigns.model.facts import Facts
from campaigns.model.history import Mark
from campaigns.model.localtime import day_to_date, utc_isos
from campaigns.model.records import Attempt, RejectedRow, Violation
from campaigns.rules.load import load_packs
from campaigns.rules.model import Pack
from campaigns.rules.select import LOG_FIELDS, RuleSet
from mystery_core.errors import InputError

INPUT_KINDS = ("persons", "oppositions", "consents", "contracts", "scrubs", "campaigns")
VARIABLE_WIDTHS = {"asterisk": ASTERISK_WIDTHS, "freeswitch": range(13, 1 << 20)}
"""Numbers of fields the row converters of headerless formats accept (the columnar engine reads one)."""
EXIT_CODES = {0: "no findings, every rule evaluated on every attempt in scope",
              1: "findings, every rule evaluated on every attempt in scope",
              2: "unusable input (one line naming file, line and field); nothing written",
              3: "coverage gaps: some rule in scope was not evaluated on some attempt, or rows were rejected "
                 "(with or without findings; the summary says which rules and why)"}
"""The audit's exit codes; `campaigns audit --help` and docs/campaigns.md print them."""
FREEZE_EVERY = 50_000
"""The row engine reports progress every this many attempts (it also froze the collector then, hence the name)."""


@contextmanager
def collector_tuned_for_audit() -> Iterator[None]:
    """Automatic garbage collection off for the block, as it was on leaving it: for a program that runs
    an audit and nothing else meanwhile. Neither engine makes reference cycles per row (the few cycles of an
    audit are among its rules and number cache, which live as long as it does; tests/campaigns/test_collector.py),
    so the collector has nothing to free while it runs, and its passes over the long-lived history and the
    short-lived findings cost 7-14 % of a 1M-row audit."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@dataclass(frozen=True, slots=True)
class AuditRequest:
    """Everything an audit reads. inputs: kind -> path for persons, oppositions, consents, contracts, scrubs,
    campaigns."""

    log: Path
    rules: tuple[str, ...]
    log_format: str | None = None
    source_tz: str | None = None
    encoding: str = "utf-8"
    inputs: dict[str, Path] = field(default_factory=dict)
    dispositions: Path | None = None
    params: dict[str, str] = field(default_factory=dict)
    default_region: str = "FR"
    reorder_hours: float = 6.0
    engine: str = "auto"
    """auto (columnar when it supports the audit, else row), columnar (fail if it cannot) or row."""


@dataclass(slots=True)
class AuditOutcome:
    """Counts and statistics of a finished audit."""

    request: AuditRequest
    packs: list[Pack]
    log_format: str
    reconciliation: list[str]
    rows: int
    attempts: int
    rejected: int
    input_rejected: int
    violations: int
    late: int
    stats: dict[str, RuleStats]
    by_campaign: dict[tuple[str, str], int]
    unmapped: dict[str, int]
    ignored_columns: list[str]
    started_at: str
    finished_at: str
    checksums: dict[str, str]
    suppression: list[dict[str, str]]
    first_ts: float | None = None
    last_ts: float | None = None
    engine: str = "row"
    engine_note: str = ""

    warnings: list[str] = field(default_factory=list)
    """What the audit had to assume (e.g. one principal for every campaign), for the summary."""

    def gaps(self) -> int:
        """Attempts times rules in scope that were not evaluated, plus rejected rows (log and other inputs)."""
        return sum(sum(stats.not_evaluated.values()) for stats in self.stats.values()) + self.rejected + \
            self.input_rejected

    @property
    def exit_code(self) -> int:
        """EXIT_CODES: 3 when anything in scope went unjudged (a rule not evaluated on an attempt, a rejected
        row), else 1 with findings, else 0 (2, unusable input, never reaches an outcome)."""
        if self.gaps():
            return 3
        return 1 if self.violations else 0

    def parameters(self) -> dict[str, Any]:
        return {rule.id: dict(rule.params) for pack in self.packs for rule in pack.rules}

    def evidence_pack(self) -> dict[str, Any]:
        """What makes the audit reproducible: inputs and their checksums, versions, packs, parameters."""
        request = self.request
        return {
            "tool": {"name": "campaigns", "version": __version__, "python": platform.python_version(),
                     "libraries": {name: _version(name) for name in ("phonenumbers", "holidays", "tzdata",
                                                                      "sqlalchemy", "pyyaml", "numpy", "pyarrow")}},
            "command": sys.argv,
            "started_at": self.started_at, "finished_at": self.finished_at,
            "inputs": {"log": {"path": str(request.log), "format": self.log_format, "sha256":
                               self.checksums[str(request.log)], "source_tz": request.source_tz,
                               "encoding": request.encoding},
                       **{kind: {"path": str(path), "sha256": self.checksums[str(path)]}
                          for kind, path in request.inputs.items()},
                       **({"dispositions": {"path": str(request.dispositions),
                                            "sha256": self.checksums[str(request.dispositions)]}}
                          if request.dispositions else {})},
            "packs": [{"name": p.name, "version": p.version, "file": Path(p.source_file).name,
                       "sha256": file_sha256(Path(p.source_file))} for p in self.packs],
            "parameter_overrides": request.params,
            "rules": [rule.describe() for pack in self.packs for rule in pack.rules],
            "counts": {"rows": self.rows, "attempts": self.attempts, "rejected": self.rejected,
                       "violations": self.violations, "late": self.late},
            "coverage": "gaps" if self.gaps() else "full", "warnings": list(self.warnings),
            "exit_code": self.exit_code,
            "reorder_hours": request.reorder_hours, "default_region": request.default_region,
            "engine": {"name": self.engine, "why_not_columnar": self.engine_note or None},
        }


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_facts(request: AuditRequest, facts: Facts) -> list[InputCounts]:
    """Read persons, oppositions, consents, contracts, list scrubs and the campaign registry into `facts`."""
    counts = []
    for kind in INPUT_KINDS:
        path = request.inputs.get(kind)
        if path is not None:
            counts.append(load_input(facts, kind, path))
    return counts


def run_audit(request: AuditRequest, on_violation: Callable[[Violation], None],
              on_rejected: Callable[[RejectedRow], None],
              on_progress: Callable[[int], None] = lambda done: None) -> AuditOutcome:
    """Audit `request.log`; violations and rejected rows are handed out as they are found, and
    `on_progress` hears how many bytes of the log have been read (every block, or every 50,000 rows)."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    facts = Facts()
    facts.phones.default_region = request.default_region
    input_counts = load_facts(request, facts)
    for counts in input_counts:
        for row in counts.rejected:
            on_rejected(row)
    packs = load_packs(request.rules, request.params)
    extra = sorted({p for info in facts.registry.values() for p in info.packs} - {p.name for p in packs})
    if extra:
        packs = load_packs([*request.rules, *extra], request.params)
    ruleset = RuleSet(packs, list(request.rules), facts)
    mapping = load_mapping(request.dispositions) if request.dispositions else None
    reader = LogReader(request.log, request.log_format, source_tz=request.source_tz, phones=facts.phones,
                       registry=facts.registry, mapping=mapping, encoding=request.encoding)
    facts.present |= reader.fields_present & LOG_FIELDS
    auditor = Auditor(ruleset, facts, CallBuilder(facts.phones, facts), reorder_s=request.reorder_hours * 3600)
    on_violation = with_bases(on_violation, facts.phones.zone_bases, facts.phones.moved)
    log_sha256 = file_sha256_soon(request.log)
    engine, why_not = choose_engine(request, reader, ruleset)
    if engine == "columnar":
        from campaigns.engines.columnar.auditor import run_columnar

        columnar = run_columnar(reader, ruleset, facts, auditor, on_violation, on_rejected, on_progress)
        # the engine read the log without the reader: its counts go where the outcome reads them
        read = columnar.counts
        reader.rows, reader.attempts, reader.rejected = read.rows, read.attempts, read.rejected
        reader.unmapped, reader.ignored_columns = read.unmapped, read.ignored_columns
        return _outcome(request, packs, reader, auditor, facts, input_counts, columnar.violations, started,
                        log_sha256, columnar.first_ts, columnar.last_ts, engine, why_not, columnar.marks)
    violations = 0
    first_ts = last_ts = None
    attempts = 0
    for item in reader:
        if type(item) is Attempt:
            attempts += 1
            if not attempts % FREEZE_EVERY:
                on_progress(reader.bytes_read())
            ts = item.ts
            if first_ts is None or ts < first_ts:
                first_ts = ts
            if last_ts is None or ts > last_ts:
                last_ts = ts
            for found in auditor.feed(item):
                violations += 1
                on_violation(found)
        elif isinstance(item, RejectedRow):  # the reader yields attempts and rejected rows only
            on_rejected(item)
    for found in auditor.finish():
        violations += 1
        on_violation(found)
    return _outcome(request, packs, reader, auditor, facts, input_counts, violations, started, log_sha256, first_ts,
                    last_ts, engine, why_not, auditor.ledger.marks())


def with_bases(on_violation: Callable[[Violation], None], zone_bases: dict[str, str],
               moved: set[tuple[str, tuple[str, ...]]]) -> Callable[[Violation], None]:
    """`on_violation` with the finding's assumptions added to its evidence, whichever engine found it:
    `zone_basis` (country, area_code) when the callee's zones do not come from the number alone
    (PhoneBook.zone_bases), `residence` when the call was judged in its callee's residence zone
    (PhoneBook.moved), `principal_basis: assumed_single` when its principal is ASSUMED_PRINCIPAL."""

    def emit(v: Violation) -> None:
        basis = zone_bases.get(v.phone)
        if moved and (v.phone, v.zones) in moved:
            basis = "residence"
        if basis is not None or v.principal == ASSUMED_PRINCIPAL:
            extra = {"zone_basis": basis} if basis is not None else {}
            if v.principal == ASSUMED_PRINCIPAL:
                extra["principal_basis"] = "assumed_single"
            v = v._replace(evidence={**v.evidence, **extra})
        on_violation(v)

    return emit


def assumption_warnings(assumed: set[str]) -> list[str]:
    """The summary's warnings about what the audit assumed."""
    if not assumed:
        return []
    names = ", ".join(sorted(assumed)[:10]) + (f" and {len(assumed) - 10} more" if len(assumed) > 10 else "")
    return [f"no principal known for {len(assumed)} campaign(s) ({names}): no principal column and no --campaigns "
            f"registry entry, so they count as one principal {ASSUMED_PRINCIPAL!r} (the most restrictive reading; "
            "findings say principal_basis: assumed_single)"]


def consent_warnings(facts: Facts) -> list[str]:
    """The summary's warning about consents that name no principal (L223-1: consent is given to one
    professional; without a principal column each consent counts for every principal of the log)."""
    if not facts.consents_any_principal:
        return []
    return [f"{facts.consents_any_principal} consent(s) name no principal: each counts for every principal of "
            "the log (give a principal column in --consents to hold each consent to the professional it was "
            "given to)"]


def choose_engine(request: AuditRequest, reader: LogReader, ruleset: RuleSet) -> tuple[str, str]:
    """("columnar", "") when the batched engine can run this audit, else ("row", why not)."""
    if request.engine == "row":
        return "row", "asked for (--engine row)"
    from campaigns.engines.columnar.auditor import unsupported
    from campaigns.engines.columnar.csvbytes import scan_log

    why_not = unsupported(reader, ruleset)
    if not why_not:
        problem = scan_log(reader.source, reader.width, VARIABLE_WIDTHS.get(reader.format, range(0)))
        if problem:
            why_not = f"the log has {problem}"
    if why_not and request.engine == "columnar":
        raise InputError("--engine", None, f"the columnar engine cannot run this audit: {why_not}; use --engine auto")
    return ("row", why_not) if why_not else ("columnar", "")


def _outcome(request: AuditRequest, packs: list[Pack], reader: LogReader, auditor: Auditor, facts: Facts,
             input_counts: list[InputCounts], violations: int, started: str, log_sha256: Future[str],
             first_ts: float | None, last_ts: float | None, engine: str, why_not: str,
             marks: list[Mark]) -> AuditOutcome:
    checksums = {str(request.log): log_sha256.result()}
    for path in [*request.inputs.values(), *([request.dispositions] if request.dispositions else [])]:
        checksums[str(path)] = file_sha256(path)
    return AuditOutcome(
        request=request, packs=packs, log_format=reader.format,
        reconciliation=[reader.reconciliation(), *(c.line() for c in input_counts)],
        rows=reader.rows, attempts=reader.attempts, rejected=reader.rejected,
        input_rejected=sum(len(c.rejected) for c in input_counts), violations=violations, late=auditor.late,
        stats=auditor.stats(), by_campaign=dict(auditor.by_campaign), unmapped=dict(reader.unmapped),
        ignored_columns=reader.ignored_columns, started_at=started,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"), checksums=checksums,
        warnings=[*assumption_warnings(reader.context.assumed), *consent_warnings(facts)],
        suppression=suppression_list(marks, auditor.rules, facts, last_ts), first_ts=first_ts, last_ts=last_ts, engine=engine,
        engine_note=why_not)


def suppression_list(marks: list[Mark], rules: RuleSet, facts: Facts, now: float | None) -> list[dict[str, str]]:
    """Numbers to stop calling as of the last call of the log: objections (every number of the person),
    refusals still cooling off, and list entries. A number listed for several reasons keeps the first
    (`marks` in first-recorded order, as Ledger.marks gives them)."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    moments: list[float] = []  # the "since" of each row in `rows` so far, formatted all at once below
    cooling_days = max((int(rule.params.get("days", 0)) for rule in rules.rules if rule.check == "cooling_off"),
                       default=0)
    # a refusal still bars on `now` if made on day `bars_from` or later
    bars_from = int(now // 86400) - cooling_days if cooling_days and now is not None else None
    reopen: dict[int, str] = {}  # refusal day -> first day it no longer bars, as text
    phones_of_person = facts.identity.phones_of_person
    for principal, person_key, opt_out, refusal in marks:
        if refusal is not None and (bars_from is None or refusal.day < bars_from):
            refusal = None
        if opt_out is None and refusal is None:
            continue
        person_id = person_key[2:] if person_key.startswith("p:") else ""
        phones = phones_of_person.get(person_id) if person_id else None
        for past, reason in ((opt_out, "objection"), (refusal, "refusal")):
            if past is None:
                continue
            if reason == "objection":
                until = ""
            else:
                reopens = reopen.get(past.day)
                if reopens is None:
                    reopens = reopen[past.day] = day_to_date(past.day + cooling_days + 1).isoformat()
                until = reopens
            for phone in phones or (past.phone,):
                if (phone, principal) not in rows:
                    rows[(phone, principal)] = {"phone": phone, "person_id": person_id, "principal": principal,
                                                "reason": f"{reason} (call {past.call_id})", "since": "",
                                                "until": until}
                    moments.append(past.ts)
    for row, text in zip(rows.values(), utc_isos(moments), strict=True):
        row["since"] = text
    person_of_phone = facts.identity.person_of_phone
    for phone, entries in facts.oppositions.items():
        for entry in entries:
            if (phone, "") not in rows:
                rows[(phone, "")] = {"phone": phone, "person_id": person_of_phone.get(phone, ""), "principal": "",
                                     "reason": f"{entry.source} list", "since": entry.listed_at.isoformat(),
                                     "until": ""}
    return [rows[key] for key in sorted(rows)]
