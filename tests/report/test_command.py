"""`mystery report CAMPAIGN --out DIR` against a real store (SQLite file and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from sqlalchemy import select

from console.cli import main
from mystery.records import CallResult
from mystery.report.html import format_money
from mystery.store import repo
from mystery.store.schema import revenue_estimates
from mystery_core.store.engine import make_engine, migrate


@pytest.fixture
def stored_campaign(database_url: str, fixture_calls: list[CallResult], campaign: dict, scores: dict) -> str:
    engine = make_engine(database_url)
    migrate(engine)
    scenario = {"revenue": {"adr_eur": 150, "nights": 2}}
    campaign_id = repo.create_campaign(engine, campaign["name"], scenario, "hotel.yaml", campaign["client"])
    for call in fixture_calls:
        repo.save_call(engine, call, campaign_id)
    for key, verdicts in scores.items():
        repo.save_scores(engine, key, verdicts)
    engine.dispose()
    return campaign["name"]


def run(database_url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--database-url", database_url, "report", *args])


def test_report_command_writes_the_folder_and_stores_the_estimate(
        database_url: str, stored_campaign: str, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = run(database_url, stored_campaign, "--out", str(out), "--calls-per-month", "1200")
    assert 0 == result.exit_code, result.output + result.stderr
    assert {"index.html", "calls.csv", "recordings"} <= {p.name for p in out.iterdir()}
    assert (out / "recordings" / "call-01.wav").is_file()
    assert "lost revenue/month:" in result.output

    engine = make_engine(database_url)
    with engine.connect() as conn:
        stored = conn.execute(select(revenue_estimates.c.estimate)).scalar_one()
    engine.dispose()
    # The scenario's revenue section is applied: v = 150 EUR x 2 nights.
    assert 300.0 == stored["assumptions"]["adr_eur"]["value"] * stored["assumptions"]["nights"]["value"]
    soup = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert format_money(stored["access_loss_eur"]["central"]) == soup.select_one("#kpi-loss").get_text(strip=True)
    assert 9 == len(soup.select("#calls-table tbody tr"))


def test_a_bad_assumptions_file_is_one_line_naming_file_line_and_field(
        database_url: str, stored_campaign: str, tmp_path: Path) -> None:
    bad = tmp_path / "client.yaml"
    bad.write_text("calls_per_month: 900\nconversion: 1.4\n", encoding="utf-8")
    out = tmp_path / "report"
    result = run(database_url, stored_campaign, "--out", str(out), "--assumptions", str(bad))
    assert 2 == result.exit_code
    assert f"error: {bad}:2: conversion: expected a share between 0 and 1, got 0.28..1.4\n" == result.stderr
    assert not out.exists()  # nothing half-written


def test_an_unknown_campaign_is_one_line_listing_the_known_ones(
        database_url: str, stored_campaign: str, tmp_path: Path) -> None:
    result = run(database_url, "no-such-campaign", "--out", str(tmp_path / "r"))
    assert 2 == result.exit_code
    assert f"error: campaign: no campaign 'no-such-campaign' (known: {stored_campaign})\n" == result.stderr
