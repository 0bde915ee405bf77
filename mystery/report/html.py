"""jinja2 -> HTML string. The only jinja2 import of the report; autoescape is always on."""

from __future__ import annotations

from importlib import resources

import jinja2
from markupsafe import Markup

from mystery.report import charts
from mystery.report.context import ReportContext


def format_money(value: float | None) -> str:
    """'€21,300': rounded to 100 EUR above 1,000 (the model is not precise to the euro)."""
    if value is None:
        return "—"
    rounded = round(value, -2) if abs(value) >= 1000 else round(value, -1)
    return f"€{rounded:,.0f}"


def format_seconds(value: float | None) -> str:
    """'95.0 s' or '—' when not measured."""
    return "—" if value is None else f"{value:.1f} s"


def format_share(value: float | None) -> str:
    """'25 %' or '—'."""
    return "—" if value is None else f"{value * 100:.0f} %"


SYMBOLS = {"tau": "τ", "rho": "ρ", "q_vm": "q_vm", "n": "sample"}


def format_symbol(symbol: str) -> str:
    """Greek letters for the model's symbols ('tau' -> 'τ')."""
    return SYMBOLS.get(symbol, symbol)


def environment() -> jinja2.Environment:
    """Templates from the package; autoescape on for every template, undefined names fail."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mystery.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = format_money
    env.filters["seconds"] = format_seconds
    env.filters["share"] = format_share
    env.filters["symbol"] = format_symbol
    env.globals["phase_colour"] = lambda kind: charts.PHASE_COLOURS.get(kind, "#d1d5db")
    return env


def stylesheet() -> Markup:
    """The report's CSS, inlined so index.html needs no other file to look right.

    It is our own package file, so it is marked safe: escaping would turn its quotes into
    entities, which are not decoded inside <style>.
    """
    text = resources.files("mystery.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    return Markup(text.replace("</", "<\\/"))


def render_report(context: ReportContext) -> str:
    """The whole report page."""
    timeline = charts.timeline([
        (f"#{row.number} {row.started_local}", row.outcome_label, row.phases, row.duration_s)
        for row in context.calls
    ])
    return environment().get_template("report.html.j2").render(
        r=context,
        css=stylesheet(),
        timeline=timeline,
        outcome_chart=charts.outcome_chart(context.outcomes),
        tornado=charts.tornado_chart(context.estimate) if context.estimate else None,
        format_seconds=charts.format_seconds,
    )
