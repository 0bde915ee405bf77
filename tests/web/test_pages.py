"""Every HTML page of the dashboard against a real store (SQLite and PostgreSQL), over 127.0.0.1."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from bs4 import BeautifulSoup

from tests.web.conftest import CAMPAIGN, SECOND, Store, campaign_path


async def page(client: TestClient, path: str, status: int = 200) -> BeautifulSoup:
    response = await client.get(path)
    text = await response.text()
    assert status == response.status, text[:500]
    assert "text/html" == response.content_type
    return BeautifulSoup(text, "html.parser")


async def test_campaigns_list_shows_counts_outcomes_medians_and_estimate(client: TestClient) -> None:
    soup = await page(client, "/")
    rows = {row["data-campaign"]: row for row in soup.select("#campaigns tbody tr")}
    assert {CAMPAIGN, SECOND} == set(rows)
    lumiere = rows[CAMPAIGN]
    assert "4" == lumiere.select_one('[data-key="calls"]').text
    assert "4.6 s" == lumiere.select_one('[data-key="tta"]').text       # median of 6.12 and 3.1
    assert "63.4 s" == lumiere.select_one('[data-key="tth"]').text      # median of 28.8 and 98.1
    assert "50 %" == lumiere.select_one('[data-key="unanswered"]').text
    assert lumiere.select_one('[data-key="estimate"]').text.startswith("€")
    assert ["human 2", "voicemail 1", "busy 1"] == [p.text for p in lumiere.select(".pill")]
    assert campaign_path(CAMPAIGN) == lumiere.a["href"]
    assert "—" == rows[SECOND].select_one('[data-key="estimate"]').text


async def test_names_are_escaped(client: TestClient) -> None:
    text = await (await client.get("/")).text()
    assert "empty &lt;campaign&gt;" in text
    assert "<campaign>" not in text


async def test_campaign_page_is_the_live_report_with_recordings_served_by_the_app(client: TestClient) -> None:
    response = await client.get(campaign_path(CAMPAIGN))
    text = await response.text()
    assert 200 == response.status
    soup = BeautifulSoup(text, "html.parser")
    assert CAMPAIGN == soup.h1.text
    assert soup.select_one("#kpi-wait") is not None                      # the report's own markup
    assert "/static/bar.css" in [link["href"] for link in soup.select("link[rel=stylesheet]")]
    assert [f"/calls/call-0{n}" for n in (1, 2, 3, 4)] == [a["href"] for a in soup.select(".dash-calls a")]
    assert ["/recordings/lumiere/call-01.wav"] == [audio["src"] for audio in soup.select("audio")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)" not in text
    wav = await client.get("/recordings/lumiere/call-01.wav")
    assert 200 == wav.status
    assert (await wav.read()).startswith(b"RIFF")


async def test_campaign_without_slash_redirects_and_csv_is_relative_to_the_page(client: TestClient) -> None:
    response = await client.get(campaign_path(CAMPAIGN).rstrip("/"), allow_redirects=False)
    assert 308 == response.status
    assert campaign_path(CAMPAIGN) == response.headers["Location"]
    csv = await client.get(campaign_path(CAMPAIGN) + "calls.csv")
    assert 200 == csv.status
    lines = (await csv.text()).splitlines()
    assert lines[0].startswith("number,call_id,")
    assert 5 == len(lines)
    assert lines[1].endswith("/recordings/lumiere/call-01.wav")


async def test_campaign_by_id_and_empty_campaign(client: TestClient) -> None:
    soup = await page(client, "/campaigns/1/")
    assert CAMPAIGN == soup.h1.text
    soup = await page(client, campaign_path(SECOND))
    assert SECOND == soup.h1.text


async def test_call_page_has_timeline_events_segments_words_verdicts_and_player(client: TestClient) -> None:
    soup = await page(client, "/calls/call-01")
    assert "Reached a person (SIP 200)" == soup.select_one('[data-key="outcome"]').text
    assert "28.8 s" == soup.select_one('[data-key="tth"]').text
    assert ["INVITE", "180", "200", "BYE_sent"] == [r.select("td")[1].text for r in soup.select("#sip-events tbody tr")]
    assert ["ivr_prompt", "hold_music", "live_human"] == [
        r.select("td")[2].text for r in soup.select("#segments tbody tr")]
    assert "6.12" == soup.select("#segments tbody tr")[0].td.text       # recording offset added
    assert 5 == len(soup.select("#words tbody tr"))
    assert ["pass", "fail"] == [r["class"][0] for r in soup.select("#verdicts tbody tr")]
    assert "/recordings/lumiere/call-01.wav" == soup.select_one("audio#recording")["src"]
    kinds = [rect.title.text.split(":")[0] for rect in soup.select("svg.timeline rect.phase")]
    assert ["Dialling", "Ringing", "IVR menu", "On hold", "Agent"] == kinds
    assert "/calls/call-02" == soup.select_one("a[rel=next]")["href"]
    assert "&lt;script&gt;" in str(soup.select_one("#transcript"))


async def test_call_without_recording_analysis_or_campaign(client: TestClient) -> None:
    soup = await page(client, "/calls/call-04")
    assert "recording not in the recordings folder" in soup.select_one(".player").text
    assert soup.select_one("audio") is None
    soup = await page(client, "/calls/loose-1")
    assert "(calls without a campaign)" in soup.select_one(".crumbs").text


async def test_compliance_runs_list_and_run_page(client: TestClient, store: Store) -> None:
    soup = await page(client, "/compliance/runs")
    row = soup.select_one(f'#runs tr[data-run="{store.run_id}"]')
    assert "3" == row.select_one('[data-key="violations"]').text
    soup = await page(client, f"/compliance/runs/{store.run_id}")
    counts = {r["data-rule"]: r.select("td")[1].text for r in soup.select("#rule-counts tbody tr")}
    assert {"fr-2023.frequency": "2", "fr-2023.hours": "1"} == counts
    hours = soup.select_one('#rule-counts tr[data-rule="fr-2023.hours"]').select("td")
    assert ["4", "Calls only 10:00-13:00 and 14:00-20:00"] == [hours[2].text, hours[3].text]
    assert "C. consom. art. D223-9" in soup.select_one("#rule-fr-2023\\.hours .citation").text
    assert "—" == soup.select_one('#rule-counts tr[data-rule="fr-2023.frequency"]').select("td")[2].text
    shown = {t["data-rule"]: len(t.select("tbody tr")) for t in soup.select("table.violations")}
    assert {"fr-2023.frequency": 2, "fr-2023.hours": 1} == shown
    assert "finding 1 &lt;b&gt;bold&lt;/b&gt;" in str(soup)
    assert "not a phone number" in soup.select_one("#rejected").text


async def test_run_page_pages_through_one_rule(client: TestClient, store: Store) -> None:
    base = f"/compliance/runs/{store.run_id}?rule=fr-2023.frequency&limit=1"
    soup = await page(client, base)
    rows = soup.select("table.violations tbody tr")
    assert 1 == len(rows)
    assert "A1" == rows[0].code.text
    following = soup.select_one("section.rule p.note a")["href"]
    soup = await page(client, following)
    assert ["A2"] == [r.code.text for r in soup.select("table.violations tbody tr")]
    assert soup.select_one("section.rule p.note") is None


async def test_unknown_things_get_a_clear_404_page(client: TestClient, store: Store) -> None:
    cases = {
        "/campaigns/nope/": "no campaign 'nope' (known: " + CAMPAIGN,
        "/calls/call-99": "no call 'call-99' in the store",
        f"/compliance/runs/{store.run_id + 7}": f"no compliance audit run {store.run_id + 7}",
        f"/compliance/runs/{store.run_id}?rule=nope": "has no violations of rule 'nope'",
        "/no/such/page": "no page at /no/such/page",
    }
    for path, message in cases.items():
        soup = await page(client, path, 404)
        assert message in soup.select_one("#error-message").text, path


async def test_bad_requests_get_a_clear_400_page(client: TestClient, store: Store) -> None:
    cases = {
        "/compliance/runs/abc": "a run id is a number, got 'abc'",
        f"/compliance/runs/{store.run_id}?limit=0": "query parameter limit: expected 1 to 1000, got 0",
        f"/compliance/runs/{store.run_id}?offset=x": "query parameter offset: expected a whole number, got 'x'",
    }
    for path, message in cases.items():
        soup = await page(client, path, 400)
        assert message == soup.select_one("#error-message").text, path


async def test_a_failure_inside_a_view_is_a_500_page_without_internals(client: TestClient, store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE campaigns_violations"))
    soup = await page(client, f"/compliance/runs/{store.run_id}", 500)
    message = soup.select_one("#error-message").text
    assert "the dashboard failed on this page" in message
    assert "campaigns_violations" not in str(soup)
