"""`mystery report CAMPAIGN --out DIR`: read the store, write the report folder, print where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from console.commands.context import settings_from
from mystery_core.errors import InputError, exit_on_input_error


def load_assumptions_file(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The YAML mapping of an assumptions file and the line of each top-level key (for errors)."""
    from mystery_core.yamlfile import load_located_yaml

    doc = load_located_yaml(path)
    if doc.data is None:
        return {}, {}
    if not isinstance(doc.data, dict):
        raise InputError(f"{path}:1", None, "expected a mapping of assumption names to values")
    lines = {key[0]: line for key, line in doc.lines.items() if len(key) == 1 and isinstance(key[0], str)}
    return doc.data, lines


@click.command("report")
@click.argument("campaign")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: <reports_dir>/<campaign>).")
@click.option("--calls-per-month", type=float, help="N: real booking calls a month to the line (PBX statistics).")
@click.option("--assumptions", "assumptions_path", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML file of lost-revenue assumptions (see docs/lost-revenue.md).")
@click.option("--timezone", help="The hotel's time zone for hours of calls (default Europe/Paris).")
@click.option("--pdf", is_flag=True, help="Also print report.pdf with headless Chromium.")
@click.pass_context
@exit_on_input_error
def report(ctx: click.Context, campaign: str, out_dir: Path | None, calls_per_month: float | None,
           assumptions_path: Path | None, timezone: str | None, pdf: bool) -> None:
    """Write the HTML report (index.html), calls.csv and recordings of CAMPAIGN (name or id)."""
    from mystery.report.build import estimate_line, report_from_store
    from mystery_core.store.engine import open_store

    if calls_per_month is not None and calls_per_month <= 0:
        raise InputError("--calls-per-month", None, f"expected a positive number, got {calls_per_month:g}")
    file_values: dict[str, Any] = {}
    file_lines: dict[str, int] = {}
    if assumptions_path is not None:
        file_values, file_lines = load_assumptions_file(assumptions_path)
    settings = settings_from(ctx)
    engine = open_store(settings.database_url)
    try:
        files = report_from_store(engine, campaign, out_dir, Path(settings.reports_dir),
                                  Path(settings.recordings_dir), file_values, str(assumptions_path),
                                  calls_per_month, timezone, pdf)
    except InputError as error:
        line = file_lines.get((error.field or "").split(".")[0].split("[")[0])
        if assumptions_path is not None and error.where == str(assumptions_path) and line:
            raise InputError(f"{assumptions_path}:{line}", error.field, error.problem) from None
        raise
    click.echo(f"report: {files.html}")
    click.echo(f"calls:  {files.csv} ({len(files.context.calls)} calls, {len(files.recordings)} recordings)")
    if files.pdf:
        click.echo(f"pdf:    {files.pdf}")
    if files.context.estimate is not None:
        click.echo(estimate_line(files.context.estimate))
