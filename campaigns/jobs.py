"""Each `campaigns` command's work as one library call, its files included (the command line only reads flags).

An audit with its outputs: the findings stream to a file (or stdout) as they are found, the run is recorded
in the store, then the summary, evidence pack and suppression list are written. An ingest check with the
normalized attempts as CSV. Every file is written next to its final name and renamed into place only when
complete, so a failed run never leaves a half-written file under the name asked for.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from campaigns.engines.audit import AuditOutcome, AuditRequest, run_audit
from campaigns.ingest.reader import LogReader
from campaigns.model.records import RejectedRow, Violation

Progress = Callable[[Path], AbstractContextManager[Callable[[int], None]]]
"""progress(log) -> a context that yields the callback the audit reports bytes of the log read to."""


OUTPUT_BUFFER = 1 << 20
"""Bytes an output file collects before each write to the OS."""


@contextlib.contextmanager
def atomic_output(path: str | None, default: TextIO) -> Iterator[TextIO]:
    """Write to a temporary file next to `path` and rename it only if the block succeeds; `default` when
    `path` is empty or "-"."""
    if not path or path == "-":
        yield default
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".part")
    try:
        # a large buffer: each flush is a write() that gives up the GIL, and getting it back waits on the
        # log reader and store threads (with 8 KB, 24 us a finding, a third of writing them)
        with open(temporary, "w", encoding="utf-8", newline="", buffering=OUTPUT_BUFFER) as handle:
            yield handle
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def _bytes_under(stream: TextIO, path: str | None) -> BinaryIO | None:
    """The byte layer of a file `atomic_output` opened for `path` (UTF-8, no newline translation), for writers that
    write bytes; None for the default stream (stdout's encoding and newlines are the platform's)."""
    return stream.buffer if path and path != "-" else None


@dataclass(frozen=True, slots=True)
class AuditOutputs:
    """Where an audit's results go. fmt: table, json, csv or html (campaigns.output.FORMATS);
    violations: file (None or "-": stdout); summary: file (.json for JSON, else text; None: text on
    stderr); evidence, suppression: files, or None for none. database_url: the store the run is recorded
    in (None: not recorded)."""

    fmt: str = "table"
    violations: str | None = None
    summary: str | None = None
    evidence: str | None = None
    suppression: str | None = None
    database_url: str | None = None
    pack: str | None = None
    signing_key: str | None = None
    pseudonymise: str | None = None
    lang: str = "en"


PACK_FILES = {"json": "findings.jsonl", "csv": "findings.csv", "html": "report.html"}
"""The findings files of an evidence pack, one per format; with summary.json, summary.txt, evidence.json and
suppression.csv, then manifest.json and manifest.sig."""


def _pack_directory(outputs: AuditOutputs) -> Path | None:
    """The pack directory, checked before the audit runs: new or empty, and a key that can sign."""
    from campaigns.output_pack import check_signing_key
    from mystery_core.errors import InputError

    if not outputs.pack:
        return None
    if not outputs.signing_key:
        raise InputError("--signing-key", None, "--pack needs a signing key (create one with campaigns keygen FILE)")
    check_signing_key(Path(outputs.signing_key))
    directory = Path(outputs.pack)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InputError("--pack", None, f"{directory}: exists and is not an empty directory")
    return directory


def _remove_if_empty(directory: Path) -> None:
    """A pack directory the failed audit left empty goes (exit code 2 writes nothing)."""
    with contextlib.suppress(OSError):
        directory.rmdir()  # only ever removes an empty directory


def _call_grid(request: AuditRequest, outcome: AuditOutcome, rows: list[Violation],
               display: Callable[[str], str]) -> Any:
    """Every attempt of the log read again for the report's heatmap and timeline (campaigns/output_report.py)."""
    from campaigns.output_report import read_call_grid, watched_persons

    return read_call_grid(Path(request.log), outcome.log_format, watched_persons(rows), source_tz=request.source_tz,
                          encoding=request.encoding, default_region=request.default_region,
                          dispositions=Path(request.dispositions) if request.dispositions else None,
                          display=display)


def audit_with_outputs(request: AuditRequest, outputs: AuditOutputs, progress: Progress | None = None) -> AuditOutcome:
    """Run the audit (campaigns.engines.audit.run_audit), write its outputs and record it in the store.

    Rejected log rows are reported on stderr as `rejected: ...` lines while the audit runs. The store's
    transaction commits only if the whole audit succeeds; the run id goes into the summary and evidence."""
    import json

    from campaigns import output as report
    from campaigns.output_explain import RuleLookup
    from campaigns.output_pseudonym import Pseudonymiser
    from mystery_core import jsontext

    fmt = outputs.fmt
    pseudo = Pseudonymiser.from_file(Path(outputs.pseudonymise)) if outputs.pseudonymise else None
    rule_of = RuleLookup(request.rules, request.params)
    pack = _pack_directory(outputs)
    with contextlib.ExitStack() as stack:
        if pack is not None:
            stack.callback(_remove_if_empty, pack)  # runs last: after the findings files are renamed into place
        recorder = None
        if outputs.database_url is not None:
            from campaigns.store.repo import RunRecorder
            from mystery_core.store.engine import open_store

            engine = open_store(outputs.database_url)
            stack.callback(engine.dispose)
            connection = stack.enter_context(engine.begin())
            recorder = RunRecorder(connection, str(request.log), list(request.rules), request.params)
            stack.callback(recorder.close)  # before the transaction ends, whichever way
        stream = stack.enter_context(atomic_output(outputs.violations, sys.stdout))
        writers = [report.ViolationWriter(fmt, stream, rule_of, outputs.lang, _bytes_under(stream, outputs.violations))]
        for pack_fmt, name in PACK_FILES.items():
            if pack is not None:
                pack_stream = stack.enter_context(atomic_output(str(pack / name), sys.stdout))
                writers.append(report.ViolationWriter(pack_fmt, pack_stream, rule_of, outputs.lang,
                                                      _bytes_under(pack_stream, str(pack / name))))

        def on_violation(v: Violation) -> None:
            evidence_json = jsontext.dumps(v.evidence) if recorder and fmt in ("json", "csv") else None
            shown, shown_json = (pseudo.violation(v), None) if pseudo else (v, evidence_json)
            for writer in writers:
                writer.write(shown, shown_json)
            if recorder:
                recorder.violation(v, evidence_json)

        def on_rejected(row: RejectedRow) -> None:
            if recorder:
                recorder.rejected(row)
            print(f"rejected: {row}", file=sys.stderr)

        with progress(request.log) if progress else contextlib.nullcontext(lambda done: None) as on_progress:
            outcome = run_audit(request, on_violation, on_rejected, on_progress)
        for writer in writers:
            grid = None
            if writer.fmt == "html":
                grid = _call_grid(request, outcome, writer.rows, pseudo.phone if pseudo else lambda p: p)
            writer.close(outcome, grid)
        data = report.summary(outcome)
        evidence = outcome.evidence_pack()
        evidence["exports"] = {"pseudonymised": pseudo is not None, "lang": outputs.lang}
        if recorder:
            recorder.finish(log_sha256=outcome.checksums[str(request.log)], log_format=outcome.log_format,
                            evidence=evidence, summary=data, rows=outcome.rows, attempts=outcome.attempts,
                            rejected=outcome.rejected, violations=outcome.violations, exit_code=outcome.exit_code)
            data["run_id"] = recorder.run_id
            evidence["run_id"] = recorder.run_id
    suppression = report.suppression_scope(outcome.suppression,
                                           [rule for p in outcome.packs for rule in p.rules])
    if pseudo:
        suppression = [pseudo.row(row) for row in suppression]
    text_summary = report.render_summary(data, outputs.lang)
    if outputs.summary:
        with atomic_output(outputs.summary, sys.stderr) as handle:
            if outputs.summary.endswith(".json"):
                json.dump(data, handle, indent=1, ensure_ascii=False)
            else:
                handle.write(text_summary)
    else:
        sys.stderr.write(text_summary)
    if outputs.evidence:
        with atomic_output(outputs.evidence, sys.stderr) as handle:
            json.dump(evidence, handle, indent=1, ensure_ascii=False)
    if outputs.suppression:
        with atomic_output(outputs.suppression, sys.stderr) as handle:
            report.write_suppression(suppression, handle)
    if pack:
        _write_pack(pack, outputs, data, text_summary, evidence, suppression)
    return outcome


def _write_pack(pack: Path, outputs: AuditOutputs, data: dict[str, Any], text_summary: str,
                evidence: dict[str, Any], suppression: list[dict[str, str]]) -> None:
    """The rest of the pack (the findings files are written during the audit), then its signed manifest."""
    import json

    from campaigns import output as report
    from campaigns.output_pack import write_manifest

    with atomic_output(str(pack / "summary.json"), sys.stderr) as handle:
        json.dump(data, handle, indent=1, ensure_ascii=False)
    with atomic_output(str(pack / "summary.txt"), sys.stderr) as handle:
        handle.write(text_summary)
    with atomic_output(str(pack / "evidence.json"), sys.stderr) as handle:
        json.dump(evidence, handle, indent=1, ensure_ascii=False)
    with atomic_output(str(pack / "suppression.csv"), sys.stderr) as handle:
        report.write_suppression(suppression, handle)
    inputs = {kind: {"path": item["path"], "sha256": item["sha256"]} for kind, item in evidence["inputs"].items()}
    inputs.update({f"pack:{p['name']}": {"path": p["file"], "sha256": p["sha256"]} for p in evidence["packs"]})
    write_manifest(pack, inputs, Path(str(outputs.signing_key)),
                   {"tool": evidence["tool"], "finished_at": evidence["finished_at"], "run_id": evidence.get("run_id"),
                    "exit_code": evidence["exit_code"], "exports": evidence["exports"]})


@dataclass(frozen=True, slots=True)
class IngestRequest:
    """A log to normalize. log: as given (messages name it so); output: CSV of the normalized attempts (None:
    none written)."""

    log: str
    log_format: str | None = None
    source_tz: str | None = None
    encoding: str = "utf-8"
    dispositions: Path | None = None
    default_region: str = "FR"
    output: str | None = None


def ingest_to_file(request: IngestRequest, on_rejected: Callable[[RejectedRow], Any]) -> LogReader:
    """Read the log through the ingest layer, write the attempts it keeps (with their UTC start) as CSV,
    hand each rejected row to `on_rejected`; returns the reader (format, counts that reconcile, unmapped
    disposition codes)."""
    import csv

    from campaigns.ingest.dispositions import load_mapping
    from campaigns.model.localtime import utc_iso
    from campaigns.model.phones import PhoneBook
    from campaigns.model.records import Attempt
    from mystery_core.csvcell import safe_row

    mapping = load_mapping(request.dispositions) if request.dispositions else None
    reader = LogReader(request.log, request.log_format, source_tz=request.source_tz,
                       phones=PhoneBook(request.default_region), mapping=mapping, encoding=request.encoding)
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(atomic_output(request.output, stack.enter_context(open(os.devnull, "w"))))
        writer = csv.writer(handle)
        writer.writerow([*Attempt._fields, "started_at_utc"])
        for item in reader:
            if isinstance(item, Attempt):
                writer.writerow(safe_row([*item, utc_iso(item.ts)]))
            else:
                on_rejected(item)
    return reader
