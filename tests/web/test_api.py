"""JSON endpoints: campaigns, the calls of one campaign, and errors as JSON."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp.test_utils import TestClient

from mystery.records import CallResult
from mystery.store import repo
from tests.web.conftest import CAMPAIGN, SCORES, SECOND, Store


async def test_api_campaigns(client: TestClient) -> None:
    response = await client.get("/api/campaigns")
    assert 200 == response.status
    data = {c["name"]: c for c in (await response.json())["campaigns"]}
    assert [CAMPAIGN, SECOND] == list(data)
    lumiere = data[CAMPAIGN]
    assert 4 == lumiere["calls"]
    assert {"human": 2, "voicemail": 1, "busy": 1} == lumiere["outcomes"]
    assert abs(4.61 - lumiere["median_time_to_answer_s"]) < 1e-9
    assert abs(63.45 - lumiere["median_time_to_human_s"]) < 1e-9
    estimate = lumiere["estimate"]
    assert estimate["p10_eur"] <= estimate["p50_eur"] <= estimate["p90_eur"]
    assert estimate["per_thousand_calls"] is False          # the scenario gives calls_per_month
    assert f"/api/campaigns/{quote(CAMPAIGN, safe='')}/calls" == lumiere["calls_url"]
    assert 0 == data[SECOND]["calls"]
    assert data[SECOND]["estimate"] is None


async def test_api_calls_of_a_campaign(client: TestClient) -> None:
    response = await client.get(f"/api/campaigns/{quote(CAMPAIGN, safe='')}/calls")
    assert 200 == response.status
    data = await response.json()
    assert CAMPAIGN == data["campaign"]["name"]
    calls = {c["call_id"]: c for c in data["calls"]}
    assert ["call-01", "call-02", "call-03", "call-04"] == list(calls)
    first = calls["call-01"]
    # each verdict also says said / not_said / unsure, and why (issue 18)
    assert [{**s, "verdict": "said" if s["passed"] else "not_said", "reason": ""} for s in SCORES] == first["verdicts"]
    assert ["INVITE", "180", "200", "BYE_sent"] == [e["kind"] for e in first["events"]]
    assert 3 == len(first["segments"])
    assert "<script>alert(1)</script>" == first["words"][-1]["text"]   # JSON carries data, not markup
    assert "/recordings/lumiere/call-01.wav" == first["recording_url"]
    assert "/calls/call-01" == first["html_url"]
    assert calls["call-04"]["recording_url"] is None
    assert all(0.0 <= c["loss_probability"] <= 1.0 for c in data["calls"])
    by_id = await client.get("/api/campaigns/1/calls")
    assert 4 == len((await by_id.json())["calls"])


async def test_api_errors_are_json(client: TestClient) -> None:
    cases = [
        ("GET", "/api/campaigns/nope/calls", 404, "no campaign 'nope'"),
        ("GET", "/api/nothing", 404, "no page at /api/nothing"),
        ("POST", "/api/campaigns", 405, "POST is not allowed on /api/campaigns"),
    ]
    for method, path, status, message in cases:
        response = await client.request(method, path)
        assert status == response.status, path
        assert "application/json" == response.content_type
        error = (await response.json())["error"]
        assert status == error["status"]
        assert error["message"].startswith(message), error


async def test_pages_follow_the_store_live(client: TestClient, store: Store) -> None:
    """Estimates are memoised by their inputs: a new call or new verdicts show up at once."""
    before = (await (await client.get("/api/campaigns")).json())["campaigns"][0]
    again = (await (await client.get("/api/campaigns")).json())["campaigns"][0]
    assert before == again
    repo.save_scores(store.engine, "call-02", [{"item": "rate", "passed": True, "at_s": 99.0}])
    campaign_id = repo.find_campaign(store.engine, CAMPAIGN)["id"]
    repo.save_call(store.engine, CallResult(call_id="call-05", target_uri="sip:r@127.0.0.1", outcome="no_answer",
                                            started_at="2026-11-23T17:00:00+00:00", duration_s=40.0), campaign_id)
    after = (await (await client.get("/api/campaigns")).json())["campaigns"][0]
    assert 5 == after["calls"]
    assert {"human": 2, "voicemail": 1, "busy": 1, "no_answer": 1} == after["outcomes"]
    assert abs(0.75 - after["script_score"]) < 1e-9       # (1/2 + 1/1) / 2
    assert before["estimate"]["central_eur"] != after["estimate"]["central_eur"]
