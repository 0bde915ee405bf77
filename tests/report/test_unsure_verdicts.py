"""An unsure verdict is shown apart, left out of the score, and explained (issue 18)."""

from __future__ import annotations

import csv
from pathlib import Path

from bs4 import BeautifulSoup

from mystery.records import CallResult
from mystery.report.build import campaign_assumptions, write_report
from mystery.report.html import format_share

UNSURE_REASON = "unsure: 3.2 s of the agent's speech gave no words (keyword 'available' not said)"


def test_an_unsure_item_is_left_out_of_the_score_and_counted_with_its_reason(
        tmp_path: Path, fixture_calls: list[CallResult], campaign: dict, scores: dict) -> None:
    scores["call-01"][1] = {"item": "availability", "passed": False, "verdict": "unsure", "at_s": None,
                            "quote": "", "reason": UNSURE_REASON}
    files = write_report(campaign, fixture_calls, scores, campaign_assumptions(campaign, calls_per_month=1200),
                         tmp_path / "out", generated_at="2026-11-23 18:00 UTC")
    soup = BeautifulSoup(files.html.read_text(encoding="utf-8"), "html.parser")
    card = soup.select_one("#call-1")
    results = [td.get_text(strip=True) for td in card.select(".checklist tbody tr td:nth-of-type(2)")]
    assert ["✓ said", "? unsure", "✓ said"] == results
    assert "3.2 s of the agent's speech gave no words" in card.get_text()
    # the line's score: 2 said of 2 judged on call-01 (the unsure one is not a miss), 3 of 3 on call-08
    line_scores = {row["data-line"]: row.select_one('[data-key="score"]').get_text(strip=True)
                   for row in soup.select("#scores-table tbody tr")}
    assert format_share(1.0) == line_scores["Reservations"]
    note = soup.select_one("#unsure-note").get_text(" ", strip=True)
    assert "1 of 6 verdicts were unsure" in note
    assert "stretches of the agent's speech gave no words (1)" in note
    with files.csv.open(encoding="utf-8") as f:
        rows = {r["call_id"]: r for r in csv.DictReader(f)}
    assert ("greeting_with_hotel_name;rate", "", "availability") == (
        rows["call-01"]["script_said"], rows["call-01"]["script_not_said"], rows["call-01"]["script_unsure"])
    assert "1" == rows["call-01"]["script_score"]  # 2 of 2 judged


def test_the_listening_hearing_and_a_lost_price_are_named_in_the_unsure_note() -> None:
    from mystery.report.context import Verdict, unsure_reasons

    def unsure(reason: str) -> Verdict:
        return Verdict("rate", "unsure", None, "", reason)

    # the reasons as mystery/score/hearings.py and clarity.py word them (both mention low confidence or a
    # near miss further on: the kind comes from how the reason starts)
    kinds = dict(unsure_reasons([
        unsure("unsure: heard only when the recogniser listened for it (at 20.8 s: '...'); regex ... not said "
               "(closest: '...' score 78 < 90)"),
        unsure("unsure: a currency ('your' at 12.8 s) was heard without its number, after 'hated' heard with "
               "low confidence (0.28) (regex ... not said)"),
        unsure("unsure: 16 of 45 words were heard with low confidence (phrase ... not said)"),
    ]))
    assert {"heard only when the recogniser was told to listen for it": 1,
            "a price whose number the recogniser lost": 1,
            "many words heard with low confidence": 1} == kinds
