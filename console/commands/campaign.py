"""`mystery campaign run SCENARIO.yaml` and `mystery campaign analyse NAME`: dial, store, analyse."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from console.commands.context import settings_from
from mystery.pipeline.campaign import dial_scenario as run_scenario
from mystery.pipeline.campaign import run_campaign
from mystery.pipeline.priority import wait_for_calls_to_end, yield_cpu_to_calls
from mystery.pipeline.runner import CampaignRun
from mystery.records import CallResult
from mystery.scenario.load import Scenario, load_scenario
from mystery.schedule import account_from_settings
from mystery.store import repo
from mystery_core.errors import InputError, exit_on_input_error
from mystery_core.store.engine import open_store

if TYPE_CHECKING:
    from mystery_core.settings import Settings
    from mystery_core.store.engine import Engine


def wide_console() -> Console:
    """A console at least 110 columns wide, so tables stay readable when output is piped or logged."""
    import shutil

    return Console(width=max(110, shutil.get_terminal_size((110, 24)).columns))


def beside_calls_options(command: Callable[..., None]) -> Callable[..., None]:
    """--no-wait and --normal-priority: how the analysis may share the machine with live calls."""
    command = click.option(
        "--normal-priority", is_flag=True,
        help="Analyse at normal CPU priority on every CPU. By default analysis runs at idle priority "
             "(SCHED_IDLE, nice 19) and leaves one CPU free, so calls placed on this machine keep their timing.")(command)
    return click.option(
        "--no-wait", is_flag=True,
        help="Start the analysis even while calls are being placed on this machine (by default it waits "
             "until no dialer has run for 2 s).")(command)


def make_way_for_calls(no_wait: bool, normal_priority: bool, console: Console) -> Callable[[], None]:
    """Before the analysis: wait for this machine's live calls to end, drop to idle CPU priority.

    Returns what to do between two calls' analysis: wait again if calls started meanwhile (another
    campaign), so they never run beside the analysis; nothing with --no-wait."""
    if not normal_priority:
        change = yield_cpu_to_calls()
        if change.problem:
            console.print(f"[yellow]analysis priority: {change.policy} ({change.problem})[/yellow]")
    if no_wait:
        return lambda: None
    wait_for_calls_to_end(on_wait=lambda live: console.print(
        f"waiting for {live} live call(s) on this machine to end before analysing (--no-wait: analyse now)"))

    def between_calls() -> None:
        wait_for_calls_to_end(on_wait=lambda live: console.print(
            f"analysis paused: {live} live call(s) on this machine (--no-wait: never pause)"))

    return between_calls


@click.group()
def campaign() -> None:
    """Campaigns of mystery calls."""


def dial_scenario(settings: Settings, scenario: Scenario, name: str, concurrency: int,
                  console: Console, quiet_s: float = 0.0) -> tuple[int, list[CallResult]]:
    """Dial the scenario as campaign `name` with a progress bar; say how any dialer crash ended. With
    `quiet_s`, analyse whenever the calls leave that long a gap (`analyse_between_calls`)."""
    def dial(on_start: Callable[[int], None], progress: Callable[[CallResult], None]) -> CampaignRun:
        return run_scenario(open_store(settings.database_url), scenario, name, concurrency,
                            Path(settings.recordings_dir), account_from_settings(settings.sip),
                            on_start=on_start, progress=progress, analyse=analyse_between_calls(settings, console),
                            quiet_s=quiet_s, calls_per_process=settings.sip.calls_per_process)

    return with_progress(dial, concurrency, console)


def dial_stored(settings: Settings, engine: Engine, campaign_name: str, concurrency: int | None, console: Console,
                quiet_s: float = 0.0) -> int:
    """Dial what is left of a stored campaign on this host (`resume`, `worker`) with a progress bar; returns
    its id. The concurrency defaults to the scenario's; with `quiet_s`, analyse in the calendar's gaps."""
    row = repo.find_campaign(engine, campaign_name)
    concurrency = concurrency or int((row["scenario"] or {}).get("concurrency") or 1)
    campaign_id, _ = with_progress(
        lambda on_start, progress: run_campaign(
            engine, row["id"], account_from_settings(settings.sip), concurrency, on_start, progress,
            analyse=analyse_between_calls(settings, console), quiet_s=quiet_s,
            calls_per_process=settings.sip.calls_per_process),
        concurrency, console)
    return campaign_id


def analyse_between_calls(settings: Settings, console: Console) -> Callable[[int], None]:
    """The analysis a long campaign runs when a day's calls have ended: no call is on the line then (and
    calls due meanwhile wait), so it runs at normal priority; the fingerprint library grows day by day."""
    def analyse(campaign_id: int) -> None:
        from mystery.pipeline.process import process_campaign

        console.print("no call for a while: analysing the calls so far", highlight=False)
        process_campaign(open_store(settings.database_url), settings, campaign_id, console)

    return analyse


def quiet_option(command: Callable[..., None]) -> Callable[..., None]:
    """--analyse-when-quiet: analyse during a long campaign whenever the calendar leaves a gap that long."""
    return click.option(
        "--analyse-when-quiet", "quiet_s", type=click.FloatRange(0), default=1800.0, show_default=True,
        metavar="SECONDS", help="On a calendar, analyse the calls so far whenever none is on the line and the "
                                "next is at least this far away (the end of a day); 0: never between calls. "
                                "run and resume also analyse at the end; a worker leaves that final pass "
                                "to `mystery campaign analyse`.")(command)


def with_progress(dial: Callable[[Callable[[int], None], Callable[[CallResult], None]], CampaignRun],
                  concurrency: int, console: Console) -> tuple[int, list[CallResult]]:
    """Run `dial(on_start, progress)` under a progress bar; say how any dialer crash ended."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[last]}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"calling ({concurrency} at once)", total=None, last="")

        def advance(result: CallResult) -> None:
            bar.update(task, advance=1, last=f"{result.line}: {result.outcome}")

        run = dial(lambda total: bar.update(task, total=total), advance)
    for crash in run.crashed:
        console.print(f"[red]{escape(crash.describe())}[/red]", highlight=False)
    if run.paused:
        console.print(f"[red]campaign paused, no call counted against any line: {escape(run.paused)}; fix the "
                      "trunk, then `mystery campaign resume`[/red]", highlight=False)
        raise SystemExit(1)
    return run.campaign_id, list(run.results)


def summary_table(results: list[CallResult]) -> Table:
    """One row per call: outcome and the waits, in seconds (blank where the phase never happened)."""
    table = Table(title="Calls", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("line", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    for header in ("SIP", "PDD", "ring", "answer", "human", "talk"):
        table.add_column(header, justify="right", no_wrap=True)

    def fmt(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    for r in sorted(results, key=lambda r: r.call_id):
        table.add_row(r.call_id.rsplit("-", 1)[-1], r.line, r.outcome, str(r.sip_status or ""), fmt(r.pdd_s),
                      fmt(r.ring_s), fmt(r.time_to_answer_s), fmt(r.time_to_human_s), fmt(r.talk_s))
    table.caption = "seconds; PDD, ring and answer from SIP; human (INVITE to first word of a person) and talk from audio"
    return table


@campaign.command("run")
@click.argument("scenario_file", type=click.Path(dir_okay=False))
@click.option("--name", help="Campaign name (default: the scenario's name).")
@click.option("--concurrency", type=click.IntRange(1, 256), help="Calls in flight at once.")
@click.option("--no-analysis", is_flag=True, help="Only dial and store; analyse later with `campaign analyse`.")
@quiet_option
@beside_calls_options
@click.pass_context
@exit_on_input_error
def run(ctx: click.Context, scenario_file: str, name: str | None, concurrency: int | None,
        no_analysis: bool, quiet_s: float, no_wait: bool, normal_priority: bool) -> None:
    """Dial every call of SCENARIO_FILE, analyse the recordings, store everything, print a summary."""
    from mystery.pipeline.process import process_campaign

    settings = settings_from(ctx)
    scenario = load_scenario(scenario_file)
    console = wide_console()
    if scenario.scheduled:
        console.print("calls are placed at their times on the calendar plan (`mystery campaign plan` shows it); "
                      "stop at any time and go on with `mystery campaign resume`", highlight=False)
    campaign_id, results = dial_scenario(settings, scenario, name or scenario.name,
                                         concurrency or scenario.concurrency, console,
                                         0.0 if no_analysis else quiet_s)
    if not no_analysis:
        # after the dialling: its dialers keep their priority
        between_calls = make_way_for_calls(no_wait, normal_priority, console)
        results = process_campaign(open_store(settings.database_url), settings, campaign_id, console, between_calls)
    console.print(summary_table(results))


@campaign.command("resume")
@click.argument("campaign_name")
@click.option("--concurrency", type=click.IntRange(1, 256), help="Calls in flight at once (default: the scenario's).")
@click.option("--no-analysis", is_flag=True, help="Only dial and store; analyse later with `campaign analyse`.")
@quiet_option
@beside_calls_options
@click.pass_context
@exit_on_input_error
def resume(ctx: click.Context, campaign_name: str, concurrency: int | None, no_analysis: bool, quiet_s: float,
           no_wait: bool, normal_priority: bool) -> None:
    """Go on with a stopped campaign: settle the calls it left on the line, then dial those never placed.

    A call that may have rung is never dialled again: its dialer's result is adopted, or kept as far as
    its journal goes (outcome unknown)."""
    from mystery.pipeline.process import process_campaign

    settings = settings_from(ctx)
    engine = open_store(settings.database_url)
    console = wide_console()
    campaign_id = dial_stored(settings, engine, campaign_name, concurrency, console, 0.0 if no_analysis else quiet_s)
    results = repo.load_calls(engine, campaign_id)
    if not no_analysis:
        between_calls = make_way_for_calls(no_wait, normal_priority, console)
        results = process_campaign(engine, settings, campaign_id, console, between_calls)
    console.print(summary_table(results))


@campaign.command("worker")
@click.argument("campaign_name")
@click.option("--concurrency", type=click.IntRange(1, 256), help="Calls in flight at once on this host.")
@quiet_option
@click.pass_context
@exit_on_input_error
def worker(ctx: click.Context, campaign_name: str, concurrency: int | None, quiet_s: float) -> None:
    """Dial a stored campaign's calls on this host, beside workers on other hosts (PostgreSQL store).

    On PostgreSQL the calls come as jobs of the campaign's procrastinate queue, each at its due time: each
    call is taken by one worker only, every site's calls-at-once cap holds across hosts, the jobs of a dead
    worker go back to the queue, and a worker restarted with the same MYSTERY_HOST_ID first settles the calls
    it left on the line. In the calendar's quiet gaps one worker at a time analyses the calls so far
    (--analyse-when-quiet); analyse with `mystery campaign analyse` once the calls are done."""
    settings = settings_from(ctx)
    dial_stored(settings, open_store(settings.database_url), campaign_name, concurrency, wide_console(), quiet_s)


@campaign.command("status")
@click.argument("campaign_name")
@click.pass_context
@exit_on_input_error
def status(ctx: click.Context, campaign_name: str) -> None:
    """What a campaign has done and what is left: calls per state, and the calls not done."""
    from mystery.store import planned

    engine = open_store(settings_from(ctx).database_url)
    row = repo.find_campaign(engine, campaign_name)
    rows = planned.planned(engine, row["id"])
    console = wide_console()
    tally = planned.counts(engine, row["id"])
    console.print(f"campaign {escape(row['name'])}: {row['status']}; {len(rows)} planned calls: "
                  + ", ".join(f"{n} {state}" for state, n in tally.items() if n), highlight=False)
    waiting = sorted((r["due_at"] or "", r["call_key"], r["line"]) for r in rows if r["state"] == "planned")
    if waiting:
        due, key, line = waiting[0]
        console.print(f"next: {key} ({line}) {'due ' + due if due else 'as soon as a runner takes it'}",
                      highlight=False)
    table = Table(title="Calls not done", title_justify="left")
    for header in ("call", "line", "state", "due", "attempts", "last change"):
        table.add_column(header)
    for r in rows:
        if r["state"] != "done":
            last = r["history"][-1]
            table.add_row(r["call_key"], r["line"], r["state"], r["due_at"] or "now", str(r["attempts"]),
                          f"{last['at']} {last.get('detail', '')}".strip())
    if table.row_count:
        console.print(table)


@campaign.command("analyse")
@click.argument("campaign_name")
@beside_calls_options
@click.pass_context
@exit_on_input_error
def analyse(ctx: click.Context, campaign_name: str, no_wait: bool, normal_priority: bool) -> None:
    """Re-analyse a stored campaign's recordings (segments, measures, transcripts, scores)."""
    console = wide_console()
    between_calls = make_way_for_calls(no_wait, normal_priority, console)  # first: loading the models gives way too
    from mystery.pipeline.process import process_campaign

    settings = settings_from(ctx)
    engine = open_store(settings.database_url)
    row = repo.find_campaign(engine, campaign_name)
    console.print(summary_table(process_campaign(engine, settings, row["id"], console, between_calls)))


@campaign.command("plan")
@click.argument("scenario_file", type=click.Path(dir_okay=False))
@click.option("--seed", type=click.IntRange(0), help="Seed of the plan (default: the scenario's `seed`, else 1).")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "ics"]), default="table",
              show_default=True, help="A table, CSV for a spreadsheet, or iCalendar for a calendar.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of the terminal.")
@click.option("--now", "now_text", metavar="ISO_TIME",
              help="Plan as if made at this moment, e.g. 2026-03-01T09:00Z (default: the clock).")
@exit_on_input_error
def plan(scenario_file: str, seed: int | None, output_format: str, output: str | None, now_text: str | None) -> None:
    """Print when each call of SCENARIO_FILE will be placed, in its site's local time."""
    from console.commands.plan_output import plan_table, write_plan
    from mystery.schedule.calendar import plan_calendar

    now = parse_now(now_text)
    the_plan = plan_calendar(load_scenario(scenario_file), now, seed)
    if output_format == "table" and output is None:
        wide_console().print(plan_table(the_plan))
        return
    write_plan(the_plan, output_format, output)


def parse_now(text: str | None) -> datetime:
    """--now as an aware UTC datetime (a time without a zone is UTC); the clock when not given."""
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError("--now", None, f"expected an ISO 8601 time such as 2026-03-01T09:00Z, got {text!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
