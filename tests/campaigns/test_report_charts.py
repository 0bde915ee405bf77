"""The compliance officer's report (issue 17 part 4) and the French outputs (part 3): SVG charts of findings per
rule, campaign and day, an hour x weekday heatmap of the calls with the legal windows drawn, a per-person
timeline; the page in French; looked at in headless Debian Chromium."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from campaigns.cli import main
from campaigns.output_charts import bar_chart, heatmap
from tests.report.test_browser import require_chromium, screenshot

LOG = """call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent
a1,2026-03-02T11:00:00+01:00,+33142345678,,camp,canvassing,no_answer,30,a1
a2,2026-03-03T11:00:00+01:00,+33142345678,,camp,canvassing,no_answer,30,a1
a3,2026-03-04T11:00:00+01:00,+33142345678,,camp,canvassing,no_answer,30,a1
a4,2026-03-05T11:00:00+01:00,+33142345678,,camp,canvassing,no_answer,30,a1
a5,2026-03-06T11:00:00+01:00,+33142345678,,camp,canvassing,refused,30,a1
h1,2026-04-06T11:00:00+02:00,+33687654321,,camp2,canvassing,answered,30,a1
sat,2026-03-14T15:00:00+01:00,+33687654321,,camp2,canvassing,answered,30,a1
late,2026-03-16T20:30:00+01:00,+33687654321,,camp,canvassing,answered,30,a1"""


def report(write, tmp_path: Path, *extra: str) -> tuple[Path, str]:  # type: ignore[no-untyped-def]
    log = write("log.csv", LOG)
    page, summary = tmp_path / f"report{len(extra)}.html", tmp_path / f"summary{len(extra)}.txt"
    result = CliRunner().invoke(main, ["audit", "--no-store", "--log", str(log), "--rules", "fr-2023", "--format",
                                       "html", "--output", str(page), "--summary", str(summary), *extra])
    assert 3 == result.exit_code, result.output
    return page, summary.read_text()


def test_the_report_draws_findings_calls_with_the_legal_windows_and_each_persons_attempts(write, tmp_path):  # type: ignore[no-untyped-def]
    page, _ = report(write, tmp_path)
    soup: Any = BeautifulSoup(page.read_text(), "html.parser")
    figures: dict[str, Any] = {f.figcaption.get_text(): f.svg for f in soup.find_all("figure")}
    assert ["Findings per rule", "Findings per campaign", "Findings per day",
            "Calls by hour and weekday (callee local time); legal windows outlined",
            "Attempts per person (persons with findings)"] == list(figures)
    per_rule = figures["Findings per rule"]
    assert {"fr-2023.frequency", "fr-2023.holiday", "fr-2023.weekend", "fr-2023.hours"} <= {
        t.get_text() for t in per_rule.find_all("text")}
    heat = figures["Calls by hour and weekday (callee local time); legal windows outlined"]
    # 10:00-13:00 and 14:00-20:00 on five days; Saturday and Sunday are closed days: no window
    windows = heat.find_all("rect", attrs={"stroke": "#1e8449"})
    assert 10 == len(windows)
    cells = {c.title.get_text() for c in heat.find_all("rect") if c.title}
    assert {"Mon 11h: 2", "Sat 15h: 1", "Mon 20h: 1", "Fri 11h: 1"} <= cells  # Easter Monday and a1 on Mondays
    assert 8 == sum(int(t.rsplit(": ", 1)[1]) for t in cells)  # every call of the log, not only the flagged
    dots = figures["Attempts per person (persons with findings)"].find_all("circle")
    flagged = [d.title.get_text() for d in dots if d.get("fill") == "#c0392b" and d.title]
    assert ["a5", "h1", "late", "sat"] == sorted(flagged)
    assert 8 == len([d for d in dots if d.title])


def test_the_french_report_and_summary(write, tmp_path):  # type: ignore[no-untyped-def]
    page, summary = report(write, tmp_path, "--lang", "fr")
    soup: Any = BeautifulSoup(page.read_text(), "html.parser")
    assert "fr" == soup.html["lang"]
    assert ["Entrées", "Graphiques", "Règles", "Manquements"] == [h.get_text() for h in soup.find_all("h2")]
    assert "Appels par heure et jour de la semaine" in soup.get_text()
    assert "appel un jour férié : Lundi de Pâques (2026-04-06, calendrier FR)" in soup.get_text()
    assert "le 2026-04-06 est Lundi de Pâques, jour férié du calendrier FR (paquet holidays)" in soup.get_text()
    assert "appel à 20:30 (Europe/Paris), hors des plages 10:00-13:00, 14:00-20:00" in soup.get_text()
    assert "texte de la règle, référence" in [th.get_text() for th in soup.find_all("th")]
    assert summary.startswith("synthèse de l'audit des campagnes")
    assert "total : 4 manquement(s)" in summary
    assert "Aucun appel le samedi ni le dimanche" in summary


def test_charts_escape_labels_and_say_when_there_is_nothing():  # type: ignore[no-untyped-def]
    assert "&lt;script&gt;" in bar_chart("t", [("<script>", 1)])
    assert "no data" in bar_chart("t", [])
    assert 0 == heatmap("t", [[0] * 24] * 7, [[]] * 7).count('stroke="#1e8449"')


@pytest.mark.browser
@pytest.mark.slow
def test_the_french_pseudonymised_report_in_chromium(write, tmp_path):  # type: ignore[no-untyped-def]
    require_chromium()
    key = write("pseudo.key", "a pseudonymisation key for the browser test")
    page, _ = report(write, tmp_path, "--lang", "fr", "--pseudonymise", str(key))
    shot = tmp_path / "report.png"
    screenshot(page.as_uri(), shot, (1280, 1800), tmp_path / "profile")
    if os.environ.get("CAMPAIGNS_KEEP_SCREENSHOT"):
        Path(os.environ["CAMPAIGNS_KEEP_SCREENSHOT"]).write_bytes(shot.read_bytes())
