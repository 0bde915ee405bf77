"""Write a campaign's report folder: index.html, calls.csv, recordings/ (and report.pdf).

The folder is self-contained: recordings are copied next to the page and linked relatively,
so it can be zipped and sent to a client. Files are written to temporary names and renamed
at the end, so a failed run leaves no half-written report.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mystery.records import CallResult
from mystery.report.context import ReportContext, build_context
from mystery.report.html import render_report
from mystery.revenue.assumptions import Assumptions, apply_overrides, default_assumptions
from mystery.revenue.estimate import RevenueEstimate, estimate_revenue
from mystery.revenue.loss import observe
from mystery.revenue.staffing import staffing_plan
from mystery.scenario.sites import zones_by_line
from mystery_core.csvcell import safe_cell
from mystery_core.errors import InputError
from mystery_core.yamlfile import LocatedYaml, load_located_yaml

CSV_COLUMNS = (
    "number", "call_id", "line", "started_at", "started_local", "outcome", "sip_status", "sip_reason",
    "pdd_s", "ring_s", "time_to_answer_s", "ivr_s", "hold_s", "time_to_human_s", "time_to_human_confidence",
    "time_to_human_reasons", "talk_s", "duration_s", "wait_basis", "loss_probability", "weight", "script_score", "script_said", "script_not_said",
    "script_unsure", "recording",
)


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """What `write_report` produced."""

    html: Path
    csv: Path
    recordings: tuple[Path, ...]
    pdf: Path | None
    context: ReportContext


def campaign_assumptions(
    campaign: Mapping[str, Any],
    assumptions_file: Mapping[str, Any] | LocatedYaml | None = None,
    assumptions_where: str = "assumptions",
    calls_per_month: float | None = None,
) -> Assumptions:
    """Defaults < the scenario's `revenue:` section < an assumptions file < --calls-per-month."""
    assumptions = default_assumptions(None)
    scenario = campaign.get("scenario") or {}
    section = scenario.get("revenue") if isinstance(scenario, Mapping) else None
    if isinstance(section, Mapping):
        assumptions = apply_overrides(assumptions, section, f"{campaign.get('scenario_path') or 'scenario'}: revenue")
    if assumptions_file:
        assumptions = apply_overrides(assumptions, assumptions_file, assumptions_where)
    if calls_per_month is not None:
        assumptions = apply_overrides(assumptions, {"calls_per_month": calls_per_month}, "--calls-per-month")
    return assumptions


def campaign_zones(campaign: Mapping[str, Any]) -> dict[str, str]:
    """Line -> its site's time zone, from the scenario stored with the campaign (lines without a site
    are left out: their calls use the assumptions' `timezone`)."""
    scenario = campaign.get("scenario")
    return zones_by_line(scenario) if isinstance(scenario, Mapping) else {}


def estimate_campaign(
    calls: Sequence[CallResult], scores: Mapping[str, Sequence[Mapping[str, Any]]], assumptions: Assumptions,
    zones: Mapping[str, str] | None = None,
) -> tuple[RevenueEstimate | None, str]:
    """The estimate (or None) and a note saying why there is none or how to read it.

    Each call's hour of week is taken in its own site's zone (`zones`, by line), else in the
    assumptions' `timezone`."""
    zones = zones or {}
    observations = []
    for call in calls:
        if call.outcome == "unknown":  # the dialer crashed: what the caller went through is not known
            continue
        if call.extra.get("retry_of"):  # an extra call of the retry policy: the first result is the sample
            continue
        verdicts = scores.get(call.call_id)
        # an unsure item is not a miss: the revenue model counts only what was judged not said
        missed = frozenset(str(v["item"]) for v in verdicts if (v.get("verdict") or (
            "said" if v["passed"] else "not_said")) == "not_said") if verdicts else None
        observations.append(observe(call, zones.get(call.line, assumptions.timezone), missed))
    if not observations:
        return None, "No calls in this campaign: no estimate."
    estimate = estimate_revenue(observations, assumptions)
    note = ("Monthly call volume not given: figures are per 1,000 booking calls a month "
            "(set calls_per_month or --calls-per-month)." if estimate.per_thousand_calls else "")
    return estimate, note


def write_report(
    campaign: Mapping[str, Any],
    calls: Sequence[CallResult],
    scores: Mapping[str, Sequence[Mapping[str, Any]]],
    assumptions: Assumptions,
    out_dir: Path,
    generated_at: str | None = None,
    pdf: bool = False,
    recordings_dir: Path | None = None,
) -> ReportFiles:
    """Compute, render and write the report of one campaign into `out_dir`.

    A recording stored as a relative path that does not exist from the current directory is
    also looked for in `recordings_dir` (the settings' recordings folder).
    """
    zones = campaign_zones(campaign)
    estimate, note = estimate_campaign(calls, scores, assumptions, zones)
    out_dir.mkdir(parents=True, exist_ok=True)
    hrefs, copied = _copy_recordings(calls, out_dir, recordings_dir)
    context = build_context(
        campaign, calls, scores, estimate, note, hrefs, assumptions.timezone,
        generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        staffing_plan(assumptions) if estimate is not None else (), zones,
    )
    html_path, csv_path = out_dir / "index.html", out_dir / "calls.csv"
    _write_atomically(csv_path, calls_csv(context, calls, estimate))
    _write_atomically(html_path, render_report(context))
    pdf_path = None
    if pdf:
        from mystery.report.pdf import print_to_pdf

        pdf_path = print_to_pdf(html_path, out_dir / "report.pdf")
    return ReportFiles(html_path, csv_path, tuple(copied), pdf_path, context)


def calls_csv(context: ReportContext, calls: Sequence[CallResult], estimate: RevenueEstimate | None) -> str:
    """One row per call with every measure, its loss probability and its weight in the sample.

    Text from outside (a far end's reason phrase, a call id) never reaches a spreadsheet as a formula.
    """
    by_id = {c.call_id: c for c in calls}
    weights = {c.call_id: c.weight for c in estimate.per_call} if estimate else {}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in context.calls:
        call = by_id[row.call_id]
        writer.writerow({name: safe_cell(value) for name, value in {
            "number": row.number, "call_id": row.call_id, "line": row.line, "started_at": call.started_at,
            "started_local": row.started_local, "outcome": row.outcome, "sip_status": _cell(row.sip_status),
            "sip_reason": call.sip_reason, "pdd_s": _cell(row.pdd_s), "ring_s": _cell(row.ring_s),
            "time_to_answer_s": _cell(row.time_to_answer_s), "ivr_s": _cell(row.ivr_s), "hold_s": _cell(row.hold_s),
            "time_to_human_s": _cell(row.time_to_human_s),
            "time_to_human_confidence": row.time_to_human_confidence or "",
            "time_to_human_reasons": "; ".join(row.time_to_human_reasons), "talk_s": _cell(row.talk_s),
            "duration_s": _cell(row.duration_s), "wait_basis": row.wait_basis,
            "loss_probability": _cell(row.loss_probability), "weight": _cell(weights.get(row.call_id)),
            "script_score": _cell(row.score_share),
            "script_said": ";".join(v.item for v in row.verdicts if v.passed),
            "script_not_said": ";".join(v.item for v in row.verdicts if v.status == "not_said"),
            "script_unsure": ";".join(v.item for v in row.verdicts if v.unsure),
            "recording": row.recording_href or "",
        }.items()})
    return buffer.getvalue()


def estimate_json(estimate: RevenueEstimate) -> dict[str, Any]:
    """The estimate as plain JSON (for the store's revenue_estimates table)."""
    data = dataclasses.asdict(estimate)
    data["weakest_assumption"] = estimate.weakest_assumption
    data["assumptions"].pop("hourly_profile", None)
    return data


def _cell(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _find_recording(recording: str | None, recordings_dir: Path | None) -> Path | None:
    if not recording:
        return None
    path = Path(recording)
    if path.is_file():
        return path
    if recordings_dir is not None and not path.is_absolute():
        for candidate in (recordings_dir / path, recordings_dir / path.name):
            if candidate.is_file():
                return candidate
    return None


def _copy_recordings(calls: Sequence[CallResult], out_dir: Path,
                     recordings_dir: Path | None = None) -> tuple[dict[str, str | None], list[Path]]:
    """Copy each existing recording into out_dir/recordings/; links relative to the page."""
    hrefs: dict[str, str | None] = {}
    copied: list[Path] = []
    target_dir = out_dir / "recordings"
    for call in calls:
        source = _find_recording(call.recording, recordings_dir)
        if source is None:
            hrefs[call.call_id] = None
            continue
        target_dir.mkdir(exist_ok=True)
        target = target_dir / f"{_safe(call.call_id)}{source.suffix or '.wav'}"
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            tmp = target.with_name(target.name + ".part")
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        hrefs[call.call_id] = f"recordings/{target.name}"
        copied.append(target)
    return hrefs, copied


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:100] or "call"


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def load_assumptions_file(path: Path) -> LocatedYaml | None:
    """An assumptions file as located YAML (errors then carry its lines); None for an empty file."""
    doc = load_located_yaml(path)
    if doc.data is None:
        return None
    if not isinstance(doc.data, dict):
        raise InputError(f"{path}:1", None, "expected a mapping of assumption names to values")
    return doc


def report_from_store(
    engine: Any,
    campaign: str,
    out_dir: Path | None,
    reports_dir: Path,
    recordings_dir: Path,
    assumptions_path: Path | None = None,
    calls_per_month: float | None = None,
    timezone: str | None = None,
    pdf: bool = False,
) -> ReportFiles:
    """Load a stored campaign (name or id), write its report and store its revenue estimate.

    The output folder defaults to `reports_dir/<campaign name>`. An assumptions file (YAML) is read
    before anything is written; a bad value in it is one error naming the file, line and field.
    """
    from mystery.revenue.assumptions import apply_overrides
    from mystery.store import repo

    if calls_per_month is not None and not calls_per_month > 0:
        raise InputError("--calls-per-month", None, f"expected a positive number, got {calls_per_month:g}")
    overrides = load_assumptions_file(assumptions_path) if assumptions_path is not None else None
    row = repo.find_campaign(engine, campaign)
    calls = repo.load_calls(engine, row["id"])
    scores = repo.load_scores(engine, row["id"])
    assumptions = campaign_assumptions(row, overrides, str(assumptions_path), calls_per_month)
    if timezone:
        assumptions = apply_overrides(assumptions, {"timezone": timezone}, "--timezone")
    files = write_report(row, calls, scores, assumptions, out_dir or reports_dir / row["name"], pdf=pdf,
                         recordings_dir=recordings_dir)
    if files.context.estimate is not None:
        repo.save_revenue_estimate(engine, row["id"], estimate_json(files.context.estimate))
    return files


def estimate_line(estimate: RevenueEstimate | None) -> str:
    """One line for a terminal: the monthly loss with its range and the wait basis."""
    if estimate is None:
        return "no lost-revenue estimate"
    money = estimate.access_loss_eur
    unit = " per 1,000 calls" if estimate.per_thousand_calls else ""
    return (f"lost revenue/month{unit}: {money.central:,.0f} EUR (P10 {money.p10:,.0f}, "
            f"P50 {money.p50:,.0f}, P90 {money.p90:,.0f}); wait basis: {estimate.wait_basis}")

