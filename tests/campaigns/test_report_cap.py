"""The HTML report shows at most HTML_FINDINGS findings (a 56,651-finding audit made a 101 MB page) and says how
many the CSV and JSON outputs hold; its charts and counts still cover every finding (issue 17)."""

from __future__ import annotations

import csv

from bs4 import BeautifulSoup
from click.testing import CliRunner

from campaigns.cli import main
from campaigns.output_report import HTML_FINDINGS

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent"


def test_a_large_audit_makes_a_capped_page_that_says_where_the_rest_is(write, tmp_path):  # type: ignore[no-untyped-def]
    # 2,400 calls at 21:30 Paris (after D223-9's 20:00) on weekdays, and 100 on Sunday 21:30 (hours and weekend)
    rows = [f"h{i},2026-03-{2 + i % 5:02d}T21:30:00+01:00,+331423{i:05d},,camp,canvassing,no_answer,30,a1"
            for i in range(2400)]
    rows += [f"s{i},2026-03-08T21:30:00+01:00,+336123{i:05d},,camp,canvassing,no_answer,30,a1" for i in range(100)]
    log = write("log.csv", HEADER + "\n" + "\n".join(rows))
    page, out_csv = tmp_path / "r.html", tmp_path / "r.csv"
    for fmt, out in (("html", page), ("csv", out_csv)):
        result = CliRunner().invoke(main, ["audit", "--no-store", "--log", str(log), "--rules", "fr-2023",
                                           "--format", fmt, "--output", str(out)])
        assert 3 == result.exit_code, result.output
    with out_csv.open(encoding="utf-8") as handle:
        in_csv = [r for r in csv.DictReader(handle) if r["record"] == "violation"]
    assert 2600 == len(in_csv)  # 2,500 after-hours findings, 100 Sunday ones

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    findings = soup.find_all("table")[-1].find_all("tr")[1:]
    assert HTML_FINDINGS == len(findings) < len(in_csv)
    note = soup.find(id="findings-cap").get_text()
    assert f"Showing 2,000 of {len(in_csv):,} findings" in note and "--format csv" in note
    # every rule is shown (the weekend rule's 100 findings come last in the log)
    assert {"fr-2023.hours", "fr-2023.weekend"} == {tr.find_all("td")[1].get_text() for tr in findings}
    # the chart of findings per rule counts all of them: label, then its count
    texts = [t.get_text() for t in soup.find("figure").find_all("text")]
    assert ["fr-2023.hours", "2500", "fr-2023.weekend", "100"] == texts
    assert page.stat().st_size < 10_000_000
