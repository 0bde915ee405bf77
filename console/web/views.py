"""HTML pages: campaigns list, campaign report (live), call detail, recordings, compliance runs.

Store reads are blocking SQLAlchemy calls, so each runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from aiohttp import web

from console.web import compliance, live
from console.web.errors import PageError
from console.web.keys import ENGINE, RECORDINGS
from console.web.pages import render_page, render_text
from console.web.recordings import safe_recording
from mystery.report import charts
from mystery.report.build import calls_csv
from mystery.report.html import render_report
from mystery.store import repo


def campaign_url(name: str) -> str:
    return f"/campaigns/{quote(name, safe='')}/"


async def summaries(request: web.Request) -> list[dict]:
    """One summary per stored campaign (oldest first)."""
    engine, recordings = request.app[ENGINE], request.app[RECORDINGS]

    def load() -> list[dict]:
        return [live.campaign_summary(live.load_campaign(engine, row, recordings, staffing=False))
                for row in repo.list_campaigns(engine)]

    return await asyncio.to_thread(load)


async def campaigns_page(request: web.Request) -> web.Response:
    return render_page(request, "campaigns.html.j2", title="Mystery-call campaigns",
                       campaigns=await summaries(request))


async def campaign_redirect(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect(campaign_url(request.match_info["name"]))


async def _campaign(request: web.Request) -> live.LiveCampaign:
    engine, recordings = request.app[ENGINE], request.app[RECORDINGS]
    name = request.match_info["name"]
    return await asyncio.to_thread(
        lambda: live.load_campaign(engine, live.find_campaign(engine, name), recordings))


async def campaign_page(request: web.Request) -> web.Response:
    """The campaign's report, rendered by mystery.report, with the dashboard's bar on top."""
    campaign = await _campaign(request)
    html = await asyncio.to_thread(render_report, campaign.context)
    bar = render_text("bar.html.j2", campaign=campaign, path=request.path)
    return web.Response(text=with_bar(html, bar), content_type="text/html", charset="utf-8")


def with_bar(report_html: str, bar_html: str) -> str:
    """Put the dashboard's navigation bar (and its stylesheet) into a rendered report page."""
    head = report_html.find("</head>")
    body = report_html.find(">", report_html.find("<body")) + 1
    if head < 0 or body <= 0 or body < head:
        return bar_html + report_html
    link = '<link rel="stylesheet" href="/static/bar.css">\n'
    return report_html[:head] + link + report_html[head:body] + "\n" + bar_html + report_html[body:]


async def campaign_csv(request: web.Request) -> web.Response:
    campaign = await _campaign(request)
    text = calls_csv(campaign.context, campaign.calls, campaign.context.estimate)
    return web.Response(text=text, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(campaign.name, safe='')}.csv"})


async def call_page(request: web.Request) -> web.Response:
    engine, recordings = request.app[ENGINE], request.app[RECORDINGS]
    key = request.match_info["call_key"]
    campaign = await asyncio.to_thread(live.load_call_campaign, engine, key, recordings)
    call, row = campaign.call(key)
    keys = [c.call_id for c in campaign.calls]
    index = keys.index(key)
    timeline = charts.timeline([(f"#{row.number} {row.started_local}", row.outcome_label, row.phases,
                                 row.duration_s)])
    return render_page(
        request, "call.html.j2", title=f"Call #{row.number} — {campaign.name}", campaign=campaign,
        call=call, row=row, timeline=timeline,
        previous=keys[index - 1] if index > 0 else None,
        next=keys[index + 1] if index + 1 < len(keys) else None,
        campaign_href=campaign_url(campaign.name) if campaign.row["id"] is not None else None,
    )


async def recording(request: web.Request) -> web.FileResponse:
    """A WAV file under the recordings folder (Range requests work, so <audio> can seek)."""
    path = safe_recording(request.app[RECORDINGS], request.match_info["path"])
    if path is None:
        raise PageError(404, f"no recording {request.match_info['path']!r} in the recordings folder")
    return web.FileResponse(path, headers={"Content-Type": "audio/wav"})


async def runs_page(request: web.Request) -> web.Response:
    runs = await asyncio.to_thread(compliance.list_runs, request.app[ENGINE])
    return render_page(request, "runs.html.j2", title="Compliance audit runs", runs=runs)


MAX_ID = 2**63 - 1


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PageError(400, f"query parameter {name}: expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise PageError(400, f"query parameter {name}: expected {low} to {high}, got {value}")
    return value


async def run_page(request: web.Request) -> web.Response:
    raw = request.match_info["run_id"]
    if not raw.isdigit():
        raise PageError(400, f"a run id is a number, got {raw!r}")
    if int(raw) > MAX_ID:  # the store's ids are 64-bit: a larger one names no run
        raise PageError(404, f"no compliance audit run {raw}; see /compliance/runs")
    offset = _int_param(request, "offset", 0, 0, 10**9)
    limit = _int_param(request, "limit", 50, 1, 1000)
    rule = request.query.get("rule") or None
    page = await asyncio.to_thread(compliance.load_run_page, request.app[ENGINE], int(raw), rule, offset, limit)
    if page is None:
        raise PageError(404, f"no compliance audit run {raw}; see /compliance/runs")
    if rule is not None and not page.rules:
        raise PageError(404, f"run {raw} has no violations of rule {rule!r}")
    return render_page(request, "run.html.j2", title=f"Compliance audit run {raw}", page=page)
