"""The report renders from fixture records; every number shown equals the computed one."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from mystery.records import CallResult
from mystery.report.build import campaign_assumptions, write_report
from mystery.report.context import wait_stats
from mystery.report.html import format_money, format_seconds, format_share


@pytest.fixture
def rendered(tmp_path: Path, fixture_calls: list[CallResult], campaign: dict, scores: dict):  # type: ignore[no-untyped-def]
    assumptions = campaign_assumptions(campaign, calls_per_month=1200)
    files = write_report(campaign, fixture_calls, scores, assumptions, tmp_path / "out",
                         generated_at="2026-11-23 18:00 UTC")
    soup = BeautifulSoup(files.html.read_text(encoding="utf-8"), "html.parser")
    return files, soup


def text(soup: BeautifulSoup, selector: str) -> str:
    found = soup.select_one(selector)
    assert found is not None, selector
    return " ".join(found.get_text(" ", strip=True).split())


def test_headline_shows_the_computed_wait_unanswered_share_and_money(rendered) -> None:  # type: ignore[no-untyped-def]
    files, soup = rendered
    context = files.context
    estimate = context.estimate
    # Answered calls: 1, 2, 7, 8; call 7 has no time to a person, so the headline is time to answer.
    expected_wait = wait_stats([6.12, 3.1, 4.11, 9.1])
    assert not context.headline.wait_is_human
    assert expected_wait == context.headline.wait
    assert format_seconds(expected_wait.median_s) == text(soup, "#kpi-wait")
    assert format_seconds(expected_wait.p90_s) == text(soup, "#kpi-wait-p90")
    assert "Time to answer (median)" in text(soup, "#headline")
    assert "Provisional" in text(soup, "#headline")

    assert 5 == context.headline.unanswered  # busy, no answer, closed message, voicemail, IVR dead end
    assert format_share(5 / 9) == text(soup, "#kpi-unanswered")
    ci = f"{format_share(estimate.unanswered_wilson_low)}–{format_share(estimate.unanswered_wilson_high)}"
    assert ci == text(soup, "#kpi-unanswered-ci")

    assert format_money(estimate.access_loss_eur.central) == text(soup, "#kpi-loss")
    assert float(soup.select_one("#kpi-loss")["data-value"]) == pytest.approx(estimate.access_loss_eur.central)
    money_range = f"{format_money(estimate.access_loss_eur.p10)} – {format_money(estimate.access_loss_eur.p90)}"
    assert money_range == text(soup, "#kpi-loss-range")


def test_revenue_section_shows_the_estimate_with_range_and_weakest_assumption(rendered) -> None:  # type: ignore[no-untyped-def]
    files, soup = rendered
    money = files.context.estimate.access_loss_eur
    for key, value in (("central", money.central), ("p10", money.p10), ("p50", money.p50), ("p90", money.p90)):
        assert format_money(value) == text(soup, f'#revenue-table [data-key="{key}"]')
    assert files.context.estimate.weakest_assumption in text(soup, "#weakest")
    tornado = soup.select("#revenue svg rect")
    assert 2 * len(files.context.estimate.tornado) == len(tornado)
    handling = files.context.estimate.handling_loss_eur
    assert handling is not None and handling > 0  # call 1 missed "availability offered"
    assert text(soup, '#revenue-table [data-key="handling"]').startswith(format_money(handling))


def test_waiting_table_has_median_and_p90_per_line(rendered) -> None:  # type: ignore[no-untyped-def]
    files, soup = rendered
    rows = {row["data-line"]: row for row in soup.select("#waiting-table tbody tr")}
    assert {"Reservations", "Groups desk", "All lines"} == set(rows)
    reservations = wait_stats([6.12, 3.1])  # answered by a person on that line: calls 1 and 2
    cell = rows["Reservations"].select_one('[data-key="tta-median"]').get_text(strip=True)
    assert format_seconds(reservations.median_s) == cell
    human = wait_stats([28.8, 98.1])
    assert format_seconds(human.p90_s) == rows["Reservations"].select_one('[data-key="tth-p90"]').get_text(strip=True)
    overall = files.context.overall
    assert format_seconds(overall.time_to_answer.p90_s) == rows["All lines"].select_one(
        '[data-key="tta-p90"]').get_text(strip=True)


def test_outcomes_and_per_call_rows_match_the_records(rendered, fixture_calls) -> None:  # type: ignore[no-untyped-def]
    files, soup = rendered
    counts = {row["data-outcome"]: int(row.select("td")[1].get_text()) for row in soup.select("#outcomes-table tbody tr")}
    assert {"human": 3, "answered": 1, "voicemail": 1, "ivr_dead_end": 1, "closed_message": 1, "no_answer": 1,
            "busy": 1} == counts
    rows = soup.select("#calls-table tbody tr")
    assert [c.call_id for c in fixture_calls] == [row["data-call"] for row in rows]
    losses = {c.call_id: c.loss_probability for c in files.context.estimate.per_call}
    for row in rows:
        assert f"{losses[row['data-call']]:.2f}" == row.select_one('[data-key="loss"]').get_text(strip=True)
    # One timeline row per call, with phases drawn as bars.
    assert len(fixture_calls) == len(files.context.calls)
    assert len(soup.select("#timelines rect.phase")) == sum(len(c.phases) for c in files.context.calls)


def test_timeline_of_an_analysed_call_uses_its_audio_segments(rendered) -> None:  # type: ignore[no-untyped-def]
    files, _ = rendered
    first = files.context.calls[0]
    kinds = [p.kind for p in first.phases]
    assert ["dialling", "ringing", "ivr_prompt", "hold_music", "live_human"] == kinds
    # Segments are from the start of the recording, which began at the answer (6.12 s).
    assert pytest.approx(6.12 + 14.0) == first.phases[3].start_s


def test_recordings_are_copied_so_the_folder_is_self_contained(rendered) -> None:  # type: ignore[no-untyped-def]
    files, soup = rendered
    players = soup.select("audio")
    assert 1 == len(players)
    href = players[0]["src"]
    assert "recordings/call-01.wav" == href
    copied = files.html.parent / href
    assert copied.is_file() and copied.stat().st_size > 1000
    assert "recording file not found" in text(soup, "#call-7")
    assert "no recording" in text(soup, "#call-2")


def test_transcripts_and_script_scores_render_when_present_and_are_escaped(rendered) -> None:  # type: ignore[no-untyped-def]
    files, soup = rendered
    card = soup.select_one("#call-1")
    turns = card.select(".transcript .turn")
    assert ["Agent", "Caller", "Agent"] == [t.select_one(".who").get_text() for t in turns]
    assert "Hôtel Lumière bonjour" in turns[0].get_text()
    assert not soup.select("script")  # the word "<script>..." from the ASR is text, not markup
    assert "<script>alert(1)</script>" in turns[2].get_text()
    verdicts = [td.get_text(strip=True) for td in card.select(".checklist td.ok, .checklist td.bad")]
    assert ["✓ said", "✗ not said", "✓ said"] == verdicts
    scores = {row["data-line"]: row.select_one('[data-key="score"]').get_text(strip=True)
              for row in soup.select("#scores-table tbody tr")}
    assert {"Reservations": format_share(2 / 3), "Groups desk": format_share(1.0)} == scores


def test_sections_for_transcripts_and_scores_are_absent_without_them(tmp_path: Path, fixture_calls,
                                                                   campaign) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    plain = [replace(c, words=()) for c in fixture_calls]
    files = write_report(campaign, plain, {}, campaign_assumptions(campaign), tmp_path / "plain")
    soup = BeautifulSoup(files.html.read_text(encoding="utf-8"), "html.parser")
    assert soup.select_one("#scores") is None
    assert not soup.select(".transcript")
    assert "per 1,000 calls" in text(soup, "#headline")  # no N given


def test_assumptions_appendix_prints_every_value_and_source(rendered) -> None:  # type: ignore[no-untyped-def]
    files, soup = rendered
    rows = {row["data-symbol"]: row for row in soup.select("#assumptions-table tbody tr[data-symbol]")}
    for parameter in files.context.estimate.assumptions.parameters():
        row = rows[parameter.symbol]
        assert parameter.source in row.get_text()
    assert "1,200 calls" in rows["N"].get_text()
    assert "60–300 (log-uniform)" in rows["tau"].get_text()
    assert "Garnett, Mandelbaum" in text(soup, "#methodology")


def test_calls_csv_has_one_row_per_call_with_measures(rendered, fixture_calls) -> None:  # type: ignore[no-untyped-def]
    files, _ = rendered
    with files.csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [c.call_id for c in fixture_calls] == [r["call_id"] for r in rows]
    second = rows[1]
    assert ("human", "95", "98.1", "time_to_human") == (
        second["outcome"], second["hold_s"], second["time_to_human_s"], second["wait_basis"])
    assert "486" == rows[2]["sip_status"] and "" == rows[2]["time_to_answer_s"]
    assert "1" == rows[2]["loss_probability"]
    assert "recordings/call-01.wav" == rows[0]["recording"]


def test_calls_csv_never_hands_a_spreadsheet_a_formula(tmp_path: Path, fixture_calls, campaign) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    hostile = [dataclasses.replace(fixture_calls[2], sip_reason="=HYPERLINK(\"http://evil\",\"Busy\")",
                                   call_id="@SUM(1+1)")] + fixture_calls[3:]
    files = write_report(campaign, hostile, {}, campaign_assumptions(campaign), tmp_path / "hostile")
    with files.csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert "'=HYPERLINK(\"http://evil\",\"Busy\")" == rows[0]["sip_reason"]
    assert "'@SUM(1+1)" == rows[0]["call_id"]
    assert "487" == rows[1]["sip_status"]  # numbers stay numbers


def test_an_empty_campaign_renders_a_page_without_an_estimate(tmp_path: Path, campaign: dict) -> None:
    files = write_report(campaign, [], {}, campaign_assumptions(campaign), tmp_path / "empty")
    soup = BeautifulSoup(files.html.read_text(encoding="utf-8"), "html.parser")
    assert files.context.estimate is None
    assert "No calls in this campaign" in text(soup, "#revenue")


def test_staffing_what_if_shows_agents_needed_per_hour(rendered) -> None:  # type: ignore[no-untyped-def]
    from mystery.revenue.staffing import staffing_plan

    files, soup = rendered
    plans = {p.hour_of_week: p for p in staffing_plan(files.context.estimate.assumptions)}
    cells = soup.select("#staffing-table td[data-hour]")
    assert cells
    for cell in cells:
        assert str(plans[int(cell["data-hour"])].agents_needed) == cell.get_text(strip=True)
    peak = max(plans.values(), key=lambda p: p.calls_per_hour)
    assert str(peak.agents_needed) == text(soup, "#peak-agents")
    assert format_money(peak.last_agent_eur_per_hour) == text(soup, "#peak-agent-value")


def test_a_relative_recording_path_is_found_in_the_recordings_folder(
        tmp_path: Path, fixture_calls, campaign: dict, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    monkeypatch.chdir(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    relative = [replace(fixture_calls[0], recording="recordings/call-01.wav")]
    monkeypatch.chdir(tmp_path / "elsewhere")
    lost = write_report(campaign, relative, {}, campaign_assumptions(campaign), tmp_path / "a")
    found = write_report(campaign, relative, {}, campaign_assumptions(campaign), tmp_path / "b",
                         recordings_dir=tmp_path)
    assert () == lost.recordings
    assert (tmp_path / "b" / "recordings" / "call-01.wav",) == found.recordings


def test_a_time_to_a_person_is_shown_with_how_sure_the_analysis_is(tmp_path: Path, fixture_calls, campaign) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    reason = "the caller never spoke: turn-taking cannot be checked"
    graded = [dataclasses.replace(fixture_calls[0], time_to_human_confidence="low", time_to_human_reasons=(reason,))]
    files = write_report(campaign, graded + fixture_calls[1:], {}, campaign_assumptions(campaign), tmp_path / "g")
    soup = BeautifulSoup(files.html.read_text(encoding="utf-8"), "html.parser")
    row = soup.select_one('tr[data-call="call-01"]')
    assert "28.8 s" == row.select_one('[data-key="tth"]').get_text(strip=True)     # the number, unchanged
    beside = row.select_one('[data-key="tth-confidence"]')
    assert "low" == beside.get_text(strip=True) and reason == beside["title"]
    assert "—" == soup.select_one('tr[data-call="call-02"] [data-key="tth-confidence"]').get_text(strip=True)
    card = soup.select_one("#call-1")
    assert "low confidence" == card.select_one('[data-key="card-tth-confidence"]').get_text(strip=True)
    assert reason in card.select_one('[data-key="card-tth-reasons"]').get_text()
    with files.csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert ("low", reason) == (rows[0]["time_to_human_confidence"], rows[0]["time_to_human_reasons"])
    assert ("", "") == (rows[1]["time_to_human_confidence"], rows[1]["time_to_human_reasons"])
