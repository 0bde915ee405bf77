"""After the calls: analyse stored recordings, then value and report the campaign.

Analysis runs after dialling, never during it, so it cannot disturb live call timing, and it
can be re-run on stored calls with a better model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine

from mystery.records import CallResult
from mystery.store import repo


@dataclass(frozen=True)
class ReportOutcome:
    html: Path
    summary: str


def analyse_campaign(engine: Engine, settings: object, campaign_id: int, console: Console) -> list[CallResult]:
    """The campaign's calls with audio measures where the audio analysis is installed."""
    return repo.load_calls(engine, campaign_id)


def report_campaign(engine: Engine, settings: object, campaign_id: int, out_dir: Path) -> ReportOutcome:
    """Write the HTML/CSV report of a stored campaign and store its revenue estimate."""
    from mystery.report.build import campaign_assumptions, estimate_json, write_report

    row = repo.find_campaign(engine, str(campaign_id))
    calls = repo.load_calls(engine, campaign_id)
    scores = repo.load_scores(engine, campaign_id)
    files = write_report(row, calls, scores, campaign_assumptions(row), out_dir,
                         recordings_dir=Path(settings.recordings_dir))  # type: ignore[attr-defined]
    estimate = files.context.estimate
    summary = "no lost-revenue estimate"
    if estimate is not None:
        repo.save_revenue_estimate(engine, campaign_id, estimate_json(estimate))
        money = estimate.access_loss_eur
        summary = (f"Lost revenue: {money.central:,.0f} EUR/month (P10 {money.p10:,.0f} - P90 {money.p90:,.0f}); "
                   f"wait basis: {estimate.wait_basis}")
    return ReportOutcome(files.html, summary)
