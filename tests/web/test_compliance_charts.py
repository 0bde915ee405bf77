"""The dashboard's compliance run page draws the HTML report's charts (issue 17 part 4): findings per rule, campaign
and day from the store, the hour x weekday heatmap with the legal windows and the per-person timeline from the
run's log read again; checked against the report of the same audit, and looked at in headless Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from bs4 import BeautifulSoup
from click.testing import CliRunner

from campaigns.cli import main
from console.web.app import make_app
from tests.campaigns.test_report_charts import LOG as REPORT_LOG
from tests.report.test_browser import require_chromium, screenshot
from tests.web.conftest import Store
from tests.web.test_command import served

# the report-charts test's log, and one more early call for the heatmap's before-window column
LOG = REPORT_LOG + "\nearly,2026-03-17T08:30:00+01:00,+33611223344,,camp2,canvassing,answered,30,a1"


def _audit(store: Store, tmp_path: Path) -> tuple[int, Path, Path]:
    """The audit stored in the dashboard's database, and its HTML report: (run id, log, report)."""
    log = tmp_path / "dialer.csv"
    log.write_text(LOG + "\n", encoding="utf-8")
    report, summary = tmp_path / "report.html", tmp_path / "summary.json"
    result = CliRunner().invoke(main, ["--database-url", store.url, "audit", "--log", str(log), "--rules",
                                       "fr-2023", "--format", "html", "--output", str(report), "--summary",
                                       str(summary)])
    assert 3 == result.exit_code, result.output
    import json

    return int(json.loads(summary.read_text())["run_id"]), log, report


def _figures(html: str) -> list[tuple[str, str]]:
    soup = BeautifulSoup(html, "html.parser")
    return [(f.figcaption.get_text(), str(f.svg)) for f in soup.select("figure")]


async def test_the_run_page_draws_the_reports_charts_from_the_store_and_the_log(sqlite_store: Store,
                                                                                tmp_path: Path) -> None:
    run_id, log, report = _audit(sqlite_store, tmp_path)
    async with TestClient(TestServer(make_app(sqlite_store.settings), host="127.0.0.1")) as client:
        response = await client.get(f"/compliance/runs/{run_id}")
        assert 200 == response.status
        page = await response.text()
        on_dashboard = _figures(page)
        assert ["Findings per rule", "Findings per campaign", "Findings per day",
                "Calls by hour and weekday (callee local time); legal windows outlined",
                "Attempts per person (persons with findings)"] == [heading for heading, _ in on_dashboard]
        # the very charts of the HTML report of the same audit, drawn from the store and the log
        assert _figures(report.read_text(encoding="utf-8")) == on_dashboard
        soup = BeautifulSoup(page, "html.parser")
        bars = [t.get_text() for t in soup.select("#run-charts figure")[0].find_all("text")]
        counts = {row["data-rule"]: row.find_all("td")[1].get_text() for row in soup.select("#rule-counts tbody tr")}
        assert dict(zip(bars[::2], bars[1::2], strict=True)) == counts
        heatmap = soup.select("#run-charts figure")[3]
        assert heatmap.find_all("rect", attrs={"stroke": True}), "the legal windows are drawn"
        assert soup.find(id="charts-note") is None

        # the log moved away: the findings' charts stay, the page says why the calls' charts are missing
        log.rename(tmp_path / "elsewhere.csv")
        response = await client.get(f"/compliance/runs/{run_id}")
        soup = BeautifulSoup(await response.text(), "html.parser")
        assert 3 == len(soup.select("#run-charts figure"))
        assert "is not readable here" in soup.find(id="charts-note").get_text()
        # back, but changed by one byte: not drawn from a different file
        (tmp_path / "elsewhere.csv").write_text(LOG.replace("a1\n", "a2\n", 1) + "\n", encoding="utf-8")
        (tmp_path / "elsewhere.csv").rename(log)
        response = await client.get(f"/compliance/runs/{run_id}")
        soup = BeautifulSoup(await response.text(), "html.parser")
        assert "SHA-256 differs" in soup.find(id="charts-note").get_text()


@pytest.mark.browser
@pytest.mark.slow
def test_the_run_page_with_its_charts_in_chromium(sqlite_store: Store, tmp_path: Path) -> None:
    require_chromium()
    run_id, _, _ = _audit(sqlite_store, tmp_path)
    shot = tmp_path / "run.png"
    with served(sqlite_store, tmp_path) as url:
        screenshot(f"{url}/compliance/runs/{run_id}", shot, (1400, 1800), tmp_path / "profile")
    keep = os.environ.get("CAMPAIGNS_DASHBOARD_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)
