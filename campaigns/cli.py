"""`campaigns` command line: audit dialer logs, ingest-check a log, list rules, serve the guard.

Each command reads its flags, makes one call into the package, prints, and returns an exit code:
0 clean, 1 violations or rejected rows, 2 unusable input (one line naming file, line and field).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import click

from mystery_core.errors import InputError, exit_on_input_error

LOG_FORMATS = ("generic", "vicidial", "asterisk", "freeswitch")


@click.group()
@click.option("--config", "config_file", type=click.Path(dir_okay=False), envvar="MYSTERY_CONFIG",
              help="Settings file (YAML); default ./mystery.yaml if present.")
@click.option("--database-url", help="SQLAlchemy URL of the store (default: settings database_url).")
@click.option("--verbose", is_flag=True, help="Show tracebacks on errors.")
@click.version_option(package_name="mystery")
@click.pass_context
def main(ctx: click.Context, config_file: str | None, database_url: str | None, verbose: bool) -> None:
    """Outbound-call compliance: audit dialer logs against calling rules; answer "may I call now?"."""
    if verbose:
        os.environ["MYSTERY_VERBOSE"] = "1"
    ctx.obj = {"config_file": config_file, "database_url": database_url}


def _database_url(ctx: click.Context) -> str:
    from mystery_core.settings import load_settings

    settings = load_settings(ctx.obj["config_file"], overrides={"database_url": ctx.obj["database_url"]})
    return settings.database_url


def _params(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise InputError("--param", None, f"expected RULE_ID.PARAM=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _packs(text: str) -> tuple[str, ...]:
    packs = tuple(p.strip() for p in text.split(",") if p.strip())
    if not packs:
        raise InputError("--rules", None, "name at least one rule pack")
    return packs


@contextlib.contextmanager
def _atomic_output(path: str | None, default: IO[str]) -> Iterator[IO[str]]:
    """Write to a temporary file next to `path` and rename it only if the block succeeds."""
    if not path or path == "-":
        yield default
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".part")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            yield handle
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def _log_progress(log: Path, show: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr over the log's bytes (when stderr is a terminal and the findings do not go
    to the same screen); yields the callback the audit reports bytes read to."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    with Progress(TextColumn("auditing {task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=console, transient=True, redirect_stdout=False,
                  disable=not (show and console.is_terminal)) as progress:
        task = progress.add_task(log.name, total=log.stat().st_size)
        yield lambda done: progress.update(task, completed=done)


def _input_paths(**paths: str | None) -> dict[str, Path]:
    out = {}
    for kind, value in paths.items():
        if value:
            path = Path(value)
            if not path.is_file():
                raise InputError(f"--{kind}", None, f"no such file: {value}")
            out[kind] = path
    return out


def _common_inputs(func: Any) -> Any:
    for option in reversed([
        click.option("--persons", type=click.Path(), help="persons.csv: person_id,phone[,region]"),
        click.option("--oppositions", type=click.Path(), help="oppositions.csv: phone,listed_at,source"),
        click.option("--consents", type=click.Path(),
                     help="consents.csv: phone,person_id,given_at,withdrawn_at,scope"),
        click.option("--contracts", type=click.Path(),
                     help="contracts.csv: principal,started_at,subject[,phone,person_id,ended_at] (ongoing-contract "
                          "exception)"),
        click.option("--scrubs", type=click.Path(),
                     help="scrubs.csv: principal,source,scrubbed_at (when each principal checked its file against a "
                          "list, e.g. bloctel)"),
        click.option("--campaigns", "campaigns_file", type=click.Path(),
                     help="campaigns registry: campaign,principal,purpose[,packs,sector,subjects]"),
        click.option("--rules", "rules", required=True, help="Rule packs, comma-separated (e.g. fr-2023,fr-2026)."),
        click.option("--param", "params", multiple=True, metavar="RULE.PARAM=VALUE",
                     help="Override a rule parameter, e.g. fr-2023.frequency.window_days=31."),
        click.option("--default-region", default="FR", show_default=True,
                     help="Country for numbers written without +country code."),
    ]):
        func = option(func)
    return func


@main.command()
@click.option("--log", "log", required=True, type=click.Path(), help="Dialer log to audit.")
@click.option("--log-format", type=click.Choice(LOG_FORMATS), help="Log format (detected when omitted).")
@click.option("--source-tz", help="Zone of times that carry no offset (asterisk, freeswitch, vicidial call_date).")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of the input files.")
@click.option("--dispositions", type=click.Path(), help="Disposition mapping CSV: code,disposition.")
@_common_inputs
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "html"]), default="table",
              show_default=True, help="Format of the violations.")
@click.option("--output", help="Violations file (default: stdout).")
@click.option("--summary", "summary_file", help="Summary file (.json for JSON; default: stderr as text).")
@click.option("--evidence", "evidence_file", help="Evidence pack JSON (checksums, versions, parameters).")
@click.option("--suppression", "suppression_file", help="CSV of numbers to stop calling now.")
@click.option("--reorder-hours", default=6.0, show_default=True,
              help="How far out of time order log rows may be and still be sorted.")
@click.option("--engine", type=click.Choice(["auto", "columnar", "row"]), default="auto", show_default=True,
              help="Audit engine: columnar (batched) when it supports the log and the rules, else row by row.")
@click.option("--no-store", is_flag=True, help="Do not store the results in the database.")
@click.pass_context
@exit_on_input_error
def audit(ctx: click.Context, log: str, log_format: str | None, source_tz: str | None, encoding: str,
          dispositions: str | None, persons: str | None, oppositions: str | None, consents: str | None,
          contracts: str | None, scrubs: str | None, campaigns_file: str | None, rules: str,
          params: tuple[str, ...], default_region: str, fmt: str,
          output: str | None, summary_file: str | None, evidence_file: str | None, suppression_file: str | None,
          reorder_hours: float, engine: str, no_store: bool) -> None:
    """Ingest a dialer log and audit it against rule packs; exit 0 clean, 1 findings, 2 unusable input."""
    import json

    from campaigns import output as report
    from campaigns.engines.audit import AuditRequest, run_audit
    from mystery_core import jsontext

    if not Path(log).is_file():
        raise InputError("--log", None, f"no such file: {log}")
    request = AuditRequest(
        log=Path(log), rules=_packs(rules), log_format=log_format, source_tz=source_tz, encoding=encoding,
        inputs=_input_paths(persons=persons, oppositions=oppositions, consents=consents, contracts=contracts,
                            scrubs=scrubs, campaigns=campaigns_file),
        dispositions=_input_paths(dispositions=dispositions).get("dispositions"), params=_params(params),
        default_region=default_region, reorder_hours=reorder_hours, engine=engine)
    with contextlib.ExitStack() as stack:
        recorder = None
        if not no_store:
            from campaigns.store.repo import RunRecorder
            from mystery_core.store.engine import open_store

            engine = open_store(_database_url(ctx))
            stack.callback(engine.dispose)
            connection = stack.enter_context(engine.begin())
            recorder = RunRecorder(connection, str(request.log), list(request.rules), request.params)
            stack.callback(recorder.close)  # before the transaction ends, whichever way
        stream = stack.enter_context(_atomic_output(output, sys.stdout))
        writer = report.ViolationWriter(fmt, stream)

        def on_violation(v: Any) -> None:
            evidence_json = jsontext.dumps(v.evidence) if recorder and fmt in ("json", "csv") else None
            writer.write(v, evidence_json)
            if recorder:
                recorder.violation(v, evidence_json)

        def on_rejected(row: Any) -> None:
            if recorder:
                recorder.rejected(row)
            print(f"rejected: {row}", file=sys.stderr)

        with _log_progress(request.log, show=output is not None or not sys.stdout.isatty()) as on_progress:
            outcome = run_audit(request, on_violation, on_rejected, on_progress)
        writer.close(outcome)
        data = report.summary(outcome)
        evidence = outcome.evidence_pack()
        if recorder:
            recorder.finish(log_sha256=outcome.checksums[str(request.log)], log_format=outcome.log_format,
                            evidence=evidence, summary=data, rows=outcome.rows, attempts=outcome.attempts,
                            rejected=outcome.rejected, violations=outcome.violations, exit_code=outcome.exit_code)
            data["run_id"] = recorder.run_id
            evidence["run_id"] = recorder.run_id
    if summary_file:
        with _atomic_output(summary_file, sys.stderr) as handle:
            if summary_file.endswith(".json"):
                json.dump(data, handle, indent=1, ensure_ascii=False)
            else:
                handle.write(report.render_summary(data))
    else:
        sys.stderr.write(report.render_summary(data))
    if evidence_file:
        with _atomic_output(evidence_file, sys.stderr) as handle:
            json.dump(evidence, handle, indent=1, ensure_ascii=False)
    if suppression_file:
        with _atomic_output(suppression_file, sys.stderr) as handle:
            report.write_suppression(outcome.suppression, handle)
    sys.exit(outcome.exit_code)


@main.command()
@click.argument("file", type=click.Path())
@click.option("--log-format", type=click.Choice(LOG_FORMATS), help="Log format (detected when omitted).")
@click.option("--source-tz", help="Zone of times that carry no offset.")
@click.option("--encoding", default="utf-8", show_default=True)
@click.option("--dispositions", type=click.Path(), help="Disposition mapping CSV: code,disposition.")
@click.option("--default-region", default="FR", show_default=True)
@click.option("--output", help="Write the normalized attempts as CSV here.")
@exit_on_input_error
def ingest(file: str, log_format: str | None, source_tz: str | None, encoding: str, dispositions: str | None,
           default_region: str, output: str | None) -> None:
    """Normalize a dialer log: print rejected rows and counts that reconcile; exit 1 if any row is rejected."""
    import csv

    from campaigns.ingest.dispositions import load_mapping
    from campaigns.ingest.reader import LogReader
    from campaigns.model.localtime import utc_iso
    from campaigns.model.phones import PhoneBook
    from campaigns.model.records import Attempt

    if not Path(file).is_file():
        raise InputError(file, None, "no such file")
    mapping = load_mapping(Path(dispositions)) if dispositions else None
    reader = LogReader(file, log_format, source_tz=source_tz, phones=PhoneBook(default_region), mapping=mapping,
                       encoding=encoding)
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(_atomic_output(output, stack.enter_context(open(os.devnull, "w"))))
        writer = csv.writer(handle)
        writer.writerow([*Attempt._fields, "started_at_utc"])
        for item in reader:
            if isinstance(item, Attempt):
                writer.writerow([*item, utc_iso(item.ts)])
            else:
                click.echo(f"rejected: {item}", err=True)
    click.echo(f"format: {reader.format}")
    click.echo(reader.reconciliation())
    if reader.unmapped:
        click.echo("unmapped disposition codes: " + ", ".join(f"{k} ({v})" for k, v in sorted(reader.unmapped.items())))
    sys.exit(1 if reader.rejected else 0)


@main.command("rules")
@click.argument("packs", required=False)
@exit_on_input_error
def rules_command(packs: str | None) -> None:
    """List rule packs and their rules (ids, certainty, in-force dates, citations, parameters)."""
    from campaigns.checks.registry import known_checks
    from campaigns.rules.load import available_packs, load_packs

    for pack in load_packs(_packs(packs) if packs else available_packs()):
        click.echo(f"{pack.name} ({pack.version}): {pack.title}" + ("" if pack.enabled_by_default else " [opt-in]"))
        for rule in pack.rules:
            start, end = rule.in_force.start, rule.in_force.end
            window = f"in force {start or '...'} to {end or '...'}" if start or end else "always in force"
            click.echo(f"  {rule.id} [{rule.certainty}] {window}: {rule.title}")
            click.echo(f"      {rule.citation}")
            click.echo(f"      params: {dict(rule.params)}")
    click.echo("checks: " + ", ".join(known_checks()))


@main.group()
def guard() -> None:
    """The real-time guard: "may I call this number now?" with the audit's own rules."""


@guard.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, required=True, help="TCP port (0 picks a free one and prints it).")
@_common_inputs
@click.option("--api-key", "api_keys", multiple=True, envvar="CAMPAIGNS_GUARD_API_KEYS",
              help="Accepted API key (repeat; or CAMPAIGNS_GUARD_API_KEYS, space-separated).")
@click.pass_context
@exit_on_input_error
def guard_serve(ctx: click.Context, host: str, port: int, persons: str | None, oppositions: str | None,
                consents: str | None, contracts: str | None, scrubs: str | None, campaigns_file: str | None,
                rules: str, params: tuple[str, ...], default_region: str, api_keys: tuple[str, ...]) -> None:
    """Serve GET /v1/check and POST /v1/attempts (aiohttp); decisions are logged to the store."""
    from campaigns.guard.app import GuardConfig, serve

    keys = tuple(k for item in api_keys for k in item.split() if k)
    if not keys:
        raise InputError("--api-key", None, "give at least one API key (or set CAMPAIGNS_GUARD_API_KEYS)")
    config = GuardConfig(
        rules=_packs(rules), params=_params(params),
        inputs=_input_paths(persons=persons, oppositions=oppositions, consents=consents, contracts=contracts,
                            scrubs=scrubs, campaigns=campaigns_file),
        api_keys=keys, database_url=_database_url(ctx), default_region=default_region)
    serve(config, host, port)


if __name__ == "__main__":
    main()
