"""jinja2 for the dashboard: one environment (autoescape on, undefined names fail), one render call."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web

from mystery.report.html import format_money, format_seconds, format_share


def segment(value: object) -> str:
    """A value quoted as one URL path segment ('/' included), for names in links."""
    return quote(str(value), safe="")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("console.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=format_money, seconds=format_seconds, share=format_share, segment=segment)
    from mystery.report import charts

    env.globals["phase_colour"] = lambda kind: charts.PHASE_COLOURS.get(kind, "#d1d5db")
    return env


def render_text(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def render_page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """An HTML response from a template of console/web/templates."""
    return web.Response(text=render_text(template, path=request.path, **context), status=status,
                        content_type="text/html", charset="utf-8")
