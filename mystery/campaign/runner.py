"""Run a campaign: a pool of dialer processes (one call each) under a concurrency limit.

Each call runs in its own `python -m mystery.dial.worker` process: pjsua2 allows one Endpoint
and at most 4 calls per process, a crash loses one call, not the campaign, and Python work is
spread over the cores. Results are stored as each call ends, so an interrupted campaign keeps
what it measured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from mystery.dial.plan import CallPlan
from mystery.dial.runner import run_call_async
from mystery.records import CallResult
from mystery.store import repo


@dataclass(frozen=True)
class CampaignRun:
    campaign_id: int
    results: tuple[CallResult, ...]


async def run_calls(
    plans: list[CallPlan],
    concurrency: int,
    on_result: Callable[[CallResult], None],
    dialer: Callable[[CallPlan], object] = run_call_async,
) -> list[CallResult]:
    """Dial every plan with at most `concurrency` in flight; `on_result` sees each as it ends."""
    semaphore = asyncio.Semaphore(concurrency)
    results: list[CallResult] = []

    async def one(plan: CallPlan) -> None:
        async with semaphore:
            result = await dialer(plan)  # type: ignore[misc]
        results.append(result)
        on_result(result)

    await asyncio.gather(*(one(plan) for plan in plans))
    return results


def run_campaign(
    engine: Engine,
    campaign_id: int,
    plans: list[CallPlan],
    concurrency: int,
    progress: Callable[[CallResult], None] | None = None,
) -> CampaignRun:
    """Dial all plans, storing each result in the campaign as it arrives."""

    def store(result: CallResult) -> None:
        repo.save_call(engine, result, campaign_id)
        if progress is not None:
            progress(result)

    try:
        results = asyncio.run(run_calls(plans, concurrency, store))
    except BaseException:
        repo.finish_campaign(engine, campaign_id, status="interrupted")
        raise
    repo.finish_campaign(engine, campaign_id)
    return CampaignRun(campaign_id, tuple(sorted(results, key=lambda r: r.call_id)))


def campaign_key(name: str) -> str:
    """A file-system-safe key for the campaign's recordings folder."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name).strip("-")
    return safe or datetime.now(UTC).strftime("campaign-%Y%m%d-%H%M%S")
