"""Pure: chart geometry (rectangles, ticks, labels) for the SVG the template draws.

Charts are hand-made SVG so the report is one self-contained page that prints crisply and
needs no plotting library or JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mystery.report.context import OutcomeCount, Phase
from mystery.revenue.estimate import RevenueEstimate

PHASE_COLOURS = {
    "dialling": "#cbd5e1",
    "ringing": "#94a3b8",
    "ringback": "#94a3b8",
    "ivr": "#f59e0b",
    "ivr_prompt": "#f59e0b",
    "hold": "#ef4444",
    "hold_music": "#ef4444",
    "announcement": "#f97316",
    "agent": "#10b981",
    "live_human": "#10b981",
    "answered": "#60a5fa",
    "message": "#6366f1",
    "voicemail_greeting": "#8b5cf6",
    "noise": "#e5e7eb",
}
OUTCOME_COLOURS = {
    "human": "#10b981",
    "answered": "#60a5fa",
    "voicemail": "#8b5cf6",
    "closed_message": "#6366f1",
}
LOST_COLOUR = "#ef4444"


@dataclass(frozen=True, slots=True)
class Bar:
    """A rectangle in chart coordinates with its fill and a tooltip."""

    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class TimelineRow:
    y: float
    label: str
    sublabel: str
    bars: tuple[Bar, ...]
    end_label: str
    end_x: float


@dataclass(frozen=True, slots=True)
class Timeline:
    """One row per call on a shared time axis from the INVITE."""

    width: float
    height: float
    left: float
    plot_width: float
    ticks: tuple[Tick, ...]
    rows: tuple[TimelineRow, ...]
    legend: tuple[tuple[str, str], ...]   # (label, colour) of the phases that occur


def nice_step(span: float, max_ticks: int = 8) -> float:
    """A round tick step (1, 2, 5, 10, 15, 30, 60 ... s) giving at most `max_ticks` ticks."""
    for step in (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if span / step <= max_ticks:
            return float(step)
    return float(math.ceil(span / max_ticks / 3600) * 3600)


def format_seconds(value: float) -> str:
    """'45 s', '2:05' (minutes:seconds) for axis labels."""
    if value < 60:
        return f"{value:.0f} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}:{seconds:02d}"


def timeline(rows: Sequence[tuple[str, str, Sequence[Phase], float]], width: float = 1000.0) -> Timeline:
    """Rows of (label, sublabel, phases, duration_s) -> geometry; 28 px per call."""
    from mystery.report.context import PHASE_LABELS

    left, right, top, row_h, bar_h = 200.0, 60.0, 30.0, 32.0, 18.0
    span = max([duration for *_, duration in rows] + [p.end_s for *_, phases, _ in rows for p in phases] + [1.0])
    step = nice_step(span)
    span = math.ceil(span / step) * step
    plot = width - left - right
    scale = plot / span
    ticks = tuple(Tick(left + i * step * scale, format_seconds(i * step)) for i in range(int(span / step) + 1))
    out_rows = []
    seen: dict[str, str] = {}
    for i, (label, sublabel, phases, duration) in enumerate(rows):
        y = top + i * row_h
        bars = []
        for phase in phases:
            colour = PHASE_COLOURS.get(phase.kind, "#d1d5db")
            seen.setdefault(PHASE_LABELS.get(phase.kind, phase.label), colour)
            bars.append(Bar(left + phase.start_s * scale, y + (row_h - bar_h) / 2,
                            max((phase.end_s - phase.start_s) * scale, 1.0), bar_h, colour,
                            f"{phase.label}: {phase.start_s:.1f}-{phase.end_s:.1f} s"))
        end = max([duration] + [p.end_s for p in phases])
        out_rows.append(TimelineRow(y, label, sublabel, tuple(bars), format_seconds(end), left + end * scale + 6))
    height = top + len(rows) * row_h + 8
    return Timeline(width, height, left, plot, ticks, tuple(out_rows), tuple(seen.items()))


@dataclass(frozen=True, slots=True)
class HBarChart:
    """Horizontal bars with a label on the left and a value on the right."""

    width: float
    height: float
    left: float
    rows: tuple[tuple[str, str, Bar], ...]   # (label, value text, bar)


def outcome_chart(outcomes: Sequence[OutcomeCount], width: float = 640.0) -> HBarChart:
    """Count of calls per outcome; failures in red, reached-a-person in green."""
    left, row_h, bar_h = 190.0, 30.0, 18.0
    plot = width - left - 110
    most = max([o.count for o in outcomes] + [1])
    rows = []
    for i, o in enumerate(outcomes):
        y = 6 + i * row_h
        colour = OUTCOME_COLOURS.get(o.outcome, LOST_COLOUR)
        bar = Bar(left, y, max(plot * o.count / most, 2.0), bar_h, colour, f"{o.label}: {o.count}")
        rows.append((o.label, f"{o.count} ({o.share:.0%})", bar))
    return HBarChart(width, 6 + len(outcomes) * row_h, left, tuple(rows))


@dataclass(frozen=True, slots=True)
class TornadoChart:
    width: float
    height: float
    centre_x: float
    top: float
    bottom: float
    rows: tuple[tuple[str, str, str, str, Bar, Bar], ...]  # label, range text, low EUR, high EUR, lower, upper
    ticks: tuple[Tick, ...]


def tornado_chart(estimate: RevenueEstimate, width: float = 900.0) -> TornadoChart:
    """Bars around the central estimate: each assumption alone at the ends of its range.

    The blue half is the assumption's low input, the orange half its high input, so the
    direction of each effect is visible (more patient callers -> less loss).
    """
    left, right, top, row_h, bar_h = 330.0, 80.0, 26.0, 34.0, 20.0
    central = estimate.access_loss_eur.central
    values = [central] + [v for bar in estimate.tornado for v in (bar.low_eur, bar.high_eur)]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.05 or max(central * 0.1, 1.0)
    lo, hi = max(lo - pad, 0.0), hi + pad
    plot = width - left - right
    scale = plot / (hi - lo)

    def x(value: float) -> float:
        return left + (value - lo) * scale

    rows = []
    for i, bar in enumerate(estimate.tornado):
        y = top + i * row_h + (row_h - bar_h) / 2
        low_x, high_x, c_x = x(bar.low_eur), x(bar.high_eur), x(central)
        low_bar = Bar(min(low_x, c_x), y, abs(c_x - low_x), bar_h, "#3b82f6", f"low input: {bar.low_eur:,.0f} EUR")
        high_bar = Bar(min(high_x, c_x), y, abs(high_x - c_x), bar_h, "#f59e0b", f"high input: {bar.high_eur:,.0f} EUR")
        rows.append((bar.label, _range_text(bar.symbol, bar.low_input, bar.high_input),
                     f"{bar.low_eur:,.0f}", f"{bar.high_eur:,.0f}", low_bar, high_bar))
    step = _money_step(hi - lo)
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi:
        ticks.append(Tick(x(value), f"€{value / 1000:,.0f}k" if step >= 1000 else f"€{value:,.0f}"))
        value += step
    bottom = top + len(estimate.tornado) * row_h
    return TornadoChart(width, bottom + 30, x(central), top, bottom, tuple(rows), tuple(ticks))


def _money_step(span: float) -> float:
    raw = span / 6
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _range_text(symbol: str, low: float, high: float) -> str:
    if symbol == "tau":
        return f"τ {low:.0f}–{high:.0f} s"
    if symbol == "n":
        return f"failure rate {low:.0%}–{high:.0%}"
    return f"{symbol} {low:.2f}–{high:.2f}"
