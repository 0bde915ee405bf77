"""`mystery report CAMPAIGN --out DIR`: read the store, write the report folder, print where."""

from __future__ import annotations

from pathlib import Path

import click

from console.commands.context import settings_from
from mystery_core.errors import exit_on_input_error


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

    settings = settings_from(ctx)
    files = report_from_store(open_store(settings.database_url), campaign, out_dir, Path(settings.reports_dir),
                              Path(settings.recordings_dir), assumptions_path, calls_per_month, timezone, pdf)
    click.echo(f"report: {files.html}")
    click.echo(f"calls:  {files.csv} ({len(files.context.calls)} calls, {len(files.recordings)} recordings)")
    if files.pdf:
        click.echo(f"pdf:    {files.pdf}")
    if files.context.estimate is not None:
        click.echo(estimate_line(files.context.estimate))
