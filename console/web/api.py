"""JSON endpoints: the campaigns list and the calls of one campaign (everything stored per call)."""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import Any
from urllib.parse import quote

from aiohttp import web

from console.web import live
from console.web.keys import ENGINE, RECORDINGS
from console.web.views import campaign_url, summaries

dumps = partial(json.dumps, ensure_ascii=False)


async def campaigns(request: web.Request) -> web.Response:
    items = await summaries(request)
    for item in items:
        item["html_url"] = campaign_url(item["name"])
        item["calls_url"] = f"/api/campaigns/{quote(item['name'], safe='')}/calls"
    return web.json_response({"campaigns": items}, dumps=dumps)


def call_json(campaign: live.LiveCampaign) -> list[dict[str, Any]]:
    """Each call as stored (CallResult.to_json) plus its number, verdicts, loss and links."""
    out = []
    for call, row in zip(campaign.calls, campaign.context.calls, strict=True):
        data = call.to_json()
        data.update(number=row.number, verdicts=list(campaign.scores.get(call.call_id, [])),
                    loss_probability=row.loss_probability, recording_url=row.recording_href,
                    html_url=f"/calls/{quote(call.call_id, safe='')}")
        out.append(data)
    return out


async def campaign_calls(request: web.Request) -> web.Response:
    engine, recordings = request.app[ENGINE], request.app[RECORDINGS]
    name = request.match_info["name"]
    campaign = await asyncio.to_thread(
        lambda: live.load_campaign(engine, live.find_campaign(engine, name), recordings))
    return web.json_response({"campaign": live.campaign_summary(campaign), "calls": call_json(campaign)},
                             dumps=dumps)
