"""`campaigns` command line: audit dialer logs, ingest-check a log, list rules, serve the guard.

Each command reads its flags into one request, makes one call into the package (campaigns.jobs,
campaigns.guard.app), prints, and returns an exit code. `audit`: 0 no findings and full coverage, 1 findings
and full coverage, 3 coverage gaps (a rule in scope not evaluated on some attempt, or rejected rows), 2 unusable
input (one line naming file, line and field).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from mystery_core.errors import InputError, configure_logging, exit_on_input_error

LOG_FORMATS = ("generic", "vicidial", "asterisk", "freeswitch")


@dataclass(frozen=True, slots=True)
class CampaignsContext:
    """The group's options, in the click context: config_file: --config (or MYSTERY_CONFIG); database_url:
    --database-url; verbose: tracebacks and DEBUG log lines."""

    config_file: str | None = None
    database_url: str | None = None
    verbose: bool = False

    def store_url(self) -> str:
        """The store's URL: --database-url, else the settings' database_url."""
        from mystery_core.settings import load_settings

        return load_settings(self.config_file, overrides={"database_url": self.database_url}).database_url


@click.group()
@click.option("--config", "config_file", type=click.Path(dir_okay=False), envvar="MYSTERY_CONFIG",
              help="Settings file (YAML); default ./mystery.yaml if present.")
@click.option("--database-url", help="SQLAlchemy URL of the store (default: settings database_url).")
@click.option("--verbose", is_flag=True, help="Show tracebacks on errors.")
@click.version_option(package_name="mystery")
@click.pass_context
def main(ctx: click.Context, config_file: str | None, database_url: str | None, verbose: bool) -> None:
    """Outbound-call compliance: audit dialer logs against calling rules; answer "may I call now?"."""
    configure_logging(verbose)
    ctx.obj = CampaignsContext(config_file, database_url, verbose)


def _context(ctx: click.Context) -> CampaignsContext:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CampaignsContext) else CampaignsContext()


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
@click.option("--pack", "pack_dir", metavar="DIR",
              help="Write every output into DIR (new or empty) with manifest.json (SHA-256 of every input and output) "
                   "signed with --signing-key; check it with campaigns verify DIR.")
@click.option("--signing-key", type=click.Path(), help="Ed25519 private key (PEM) that signs the --pack manifest.")
@click.option("--pseudonymise", "pseudonymise", type=click.Path(), metavar="KEYFILE",
              help="Replace phone numbers in every export by HMAC-SHA256 keyed hashes (pn:...), stable per key.")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True,
              help="Language of the summary, report, rule texts and messages.")
@click.pass_context
@exit_on_input_error
def audit(ctx: click.Context, log: str, log_format: str | None, source_tz: str | None, encoding: str,
          dispositions: str | None, persons: str | None, oppositions: str | None, consents: str | None,
          contracts: str | None, scrubs: str | None, campaigns_file: str | None, rules: str,
          params: tuple[str, ...], default_region: str, fmt: str,
          output: str | None, summary_file: str | None, evidence_file: str | None, suppression_file: str | None,
          reorder_hours: float, engine: str, no_store: bool, pack_dir: str | None, signing_key: str | None,
          pseudonymise: str | None, lang: str) -> None:
    """Ingest a dialer log and audit it against rule packs.

    \b
    Exit codes:
      0  no findings, and every rule in scope was evaluated on every attempt
      1  findings, and every rule in scope was evaluated on every attempt
      3  coverage gaps: some rule in scope was not evaluated on some attempt (no
         zone, an input file or log column missing...) or rows were rejected;
         with or without findings (the coverage lines say which rules and why)
      2  unusable input (one line naming file, line and field); nothing written
    """
    from campaigns.engines.audit import AuditRequest, collector_tuned_for_audit
    from campaigns.jobs import AuditOutputs, audit_with_outputs

    if not Path(log).is_file():
        raise InputError("--log", None, f"no such file: {log}")
    request = AuditRequest(
        log=Path(log), rules=_packs(rules), log_format=log_format, source_tz=source_tz, encoding=encoding,
        inputs=_input_paths(persons=persons, oppositions=oppositions, consents=consents, contracts=contracts,
                            scrubs=scrubs, campaigns=campaigns_file),
        dispositions=_input_paths(dispositions=dispositions).get("dispositions"), params=_params(params),
        default_region=default_region, reorder_hours=reorder_hours, engine=engine)
    outputs = AuditOutputs(fmt=fmt, violations=output, summary=summary_file, evidence=evidence_file,
                           suppression=suppression_file,
                           database_url=None if no_store else _context(ctx).store_url(), pack=pack_dir,
                           signing_key=signing_key, pseudonymise=pseudonymise, lang=lang)
    show_progress = output is not None or not sys.stdout.isatty()
    # This process runs nothing but the audit, so it may leave the collector off (its objects make no cycles).
    with collector_tuned_for_audit():
        outcome = audit_with_outputs(request, outputs, lambda path: _log_progress(path, show_progress))
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
    from campaigns.jobs import IngestRequest, ingest_to_file

    if not Path(file).is_file():
        raise InputError(file, None, "no such file")
    request = IngestRequest(log=file, log_format=log_format, source_tz=source_tz, encoding=encoding,
                            dispositions=Path(dispositions) if dispositions else None,
                            default_region=default_region, output=output)
    reader = ingest_to_file(request, on_rejected=lambda row: click.echo(f"rejected: {row}", err=True))
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
    """Serve GET /v1/check, POST /v1/check-and-record and POST /v1/attempts (aiohttp).

    Answers are judged on the attempts in the store (`campaigns --database-url URL guard serve`), so
    several guard processes, on one host or several, can serve one PostgreSQL database (or one SQLite
    file on one host) when started with the same rules and inputs. Decisions are logged to the store.
    """
    from campaigns.guard.app import GuardConfig, serve

    keys = tuple(k for item in api_keys for k in item.split() if k)
    if not keys:
        raise InputError("--api-key", None, "give at least one API key (or set CAMPAIGNS_GUARD_API_KEYS)")
    config = GuardConfig(
        rules=_packs(rules), params=_params(params),
        inputs=_input_paths(persons=persons, oppositions=oppositions, consents=consents, contracts=contracts,
                            scrubs=scrubs, campaigns=campaigns_file),
        api_keys=keys, database_url=_context(ctx).store_url(), default_region=default_region)
    serve(config, host, port, freeze_startup_objects=True)  # this process runs nothing but the guard


if __name__ == "__main__":
    main()


@main.command()
@click.argument("directory", type=click.Path())
@click.option("--public-key", type=click.Path(),
              help="The signer's Ed25519 public key (PEM) you trust; without it only the pack's own key is used, "
                   "which shows the pack is intact but not who signed it.")
@click.option("--inputs", "check_inputs", is_flag=True,
              help="Also re-hash the inputs the manifest names, where they are found at their recorded paths.")
@exit_on_input_error
def verify(directory: str, public_key: str | None, check_inputs: bool) -> None:
    """Check an evidence pack written by `campaigns audit --pack DIR`.

    \b
    Exit codes:
      0  the signature matches and every file is as signed
      1  a file was changed, added or removed, or the signature does not match (another key, an edited manifest)
      2  not a pack (no manifest.json) or an unreadable key
    """
    from campaigns.output_pack import verify_pack

    result = verify_pack(Path(directory), Path(public_key) if public_key else None, check_inputs)
    for name in result.checked:
        click.echo(f"ok  {name}")
    for note in result.notes:
        click.echo(f"note  {note}")
    for problem in result.problems:
        click.echo(f"FAIL  {problem}")
    trust = "" if public_key else " (the pack's own key: not checked against a key you trust; pass --public-key)"
    click.echo(f"{'pack intact' if result.ok else 'pack NOT intact'}: {len(result.checked)} file(s) checked, "
               f"{len(result.problems)} problem(s); key {result.key_id}{trust}")
    sys.exit(0 if result.ok else 1)


@main.command()
@click.argument("file", type=click.Path())
@exit_on_input_error
def keygen(file: str) -> None:
    """Create an Ed25519 signing key FILE (PEM, mode 0600) and its public key FILE.pub, for audit --pack."""
    from campaigns.output_pack import generate_key

    public = generate_key(Path(file))
    click.echo(f"signing key {file}; public key {public} (give it to whoever verifies your packs)")
