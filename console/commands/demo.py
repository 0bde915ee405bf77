"""`mystery demo`: the whole job on embedded defaults, in a few minutes.

Starts the built-in hotel switchboard simulator, dials the demo campaign against it (quick
answer, long hold, IVR navigation, busy, no answer, closed message, voicemail, IVR dead end,
drop mid-queue), analyses the recordings, stores everything in the configured store (SQLite
by default) and writes `reports/demo/index.html`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import click

from console.commands.campaign import dial_scenario, summary_table, wide_console
from console.commands.context import settings_from
from mystery.scenario.load import load_scenario
from mystery_core.errors import exit_on_input_error

DEMO_SCENARIO = Path(__file__).parent / "grand_hotel.yaml"


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/demo"),
              show_default=True, help="Where the report goes.")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Calls in flight at once (default: scenario's).")
@click.pass_context
@exit_on_input_error
def demo(ctx: click.Context, out_dir: Path, concurrency: int | None) -> None:
    """Run a demo campaign against the built-in switchboard simulator and write its report."""
    from mystery.pipeline.process import process_campaign, report_campaign
    from mystery_core.store.engine import open_store
    from switchboard.harness import running_switchboard

    settings = settings_from(ctx)
    console = wide_console()
    started = time.monotonic()
    name = datetime.now(UTC).strftime("demo-%Y%m%d-%H%M%S")
    workdir = (Path(settings.recordings_dir) / name / "switchboard").resolve()  # kamailio changes dir
    # A fresh prompt library per demo: the simulated agents say the same rendered sentences in every
    # run, and a library that learnt them in an earlier run takes them for recorded prompts (the call
    # then reads as an IVR dead end and is not scored). Real agents never repeat a recording.
    settings = settings.model_copy(update={"fingerprints_dir": workdir.parent / "fingerprints"})
    console.print("[bold]Starting the switchboard simulator[/bold] (Grand Hotel Riviera, kamailio + pjsua2 workers)")
    with running_switchboard("demo_hotel", workers=3, workdir=workdir) as switchboard:
        scenario_file = workdir / "scenario.yaml"
        scenario_file.write_text(DEMO_SCENARIO.read_text().replace("{switchboard}", f"127.0.0.1:{switchboard.port}"))
        scenario = load_scenario(scenario_file)
        console.print(f"Calling {scenario.total_calls} times, {len(scenario.lines)} lines, at "
                      f"sip:*@127.0.0.1:{switchboard.port}")
        campaign_id, results = dial_scenario(settings, scenario, name, concurrency or scenario.concurrency, console)
    dial_s = time.monotonic() - started
    engine = open_store(settings.database_url)
    results = process_campaign(engine, settings, campaign_id, console)
    console.print(summary_table(results))
    report = report_campaign(engine, settings, campaign_id, out_dir)
    console.print(report.summary)
    rate = len(results) / (dial_s / 60.0)
    console.print(f"{len(results)} calls in {dial_s:.0f} s of dialling ({rate:.1f} calls/min); "
                  f"total {time.monotonic() - started:.0f} s")
    console.print(f"[bold]Report:[/bold] {report.html}")
