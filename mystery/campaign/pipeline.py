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
    from mystery.report.build import estimate_line, report_from_store

    files = report_from_store(engine, str(campaign_id), out_dir, Path(settings.reports_dir),  # type: ignore[attr-defined]
                              Path(settings.recordings_dir))  # type: ignore[attr-defined]
    return ReportOutcome(files.html, estimate_line(files.context.estimate))
