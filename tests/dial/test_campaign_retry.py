"""Retries by outcome against SIPp: a busy line is dialled again after the policy's wait, up to its
maximum, each retry an extra call that keeps the first result as the campaign's; a 404 is never
retried."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mystery.store import planned, repo
from mystery_core.store.engine import open_store
from tests.dial.conftest import dialer_env

pytestmark = [pytest.mark.sip, pytest.mark.slow]


def test_a_busy_line_is_retried_by_policy_and_a_404_never(sipp_uas, tmp_path: Path, database_url: str) -> None:
    """On PostgreSQL each retry is a new planned call and a new job on the campaign's queue."""
    busy = sipp_uas("uas_busy.xml", calls=3, timeout_s=120, RING_MS=100, CODE=486, REASON="Busy Here")
    wrong = sipp_uas("uas_busy.xml", calls=1, timeout_s=120, RING_MS=100, CODE=404, REASON="Not Found")
    scenario = tmp_path / "retry.yaml"
    scenario.write_text(f"""\
name: try-again
client: Test Hotel
concurrency: 2
lines:
  busy: "{busy.uri}"
  wrong: "{wrong.uri}"
calls:
  - line: busy
    count: 1
    retry: {{on: [busy, no_answer], after_s: 2, max: 2}}
  - line: wrong
    count: 1
    retry: {{on: [busy, no_answer, unavailable], after_s: 2, max: 2}}
""")
    url = database_url
    env = {**dialer_env(tmp_path), "MYSTERY_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "mystery", "campaign", "run", str(scenario), "--no-analysis"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert 0 == done.returncode, done.stderr[-2000:]
    assert 0 == busy.wait() == wrong.wait()
    engine = open_store(url)
    campaign_id = repo.find_campaign(engine, "try-again")["id"]
    rows = {r["call_key"]: r for r in planned.planned(engine, campaign_id)}
    first_busy = next(k for k, r in rows.items() if r["line"] == "busy" and not r["retry_of"])
    assert {first_busy, f"{first_busy}-r1", f"{first_busy}-r2"} == {k for k, r in rows.items() if r["line"] == "busy"}
    assert all(r["state"] == "done" for r in rows.values())
    assert rows[f"{first_busy}-r2"]["history"][0]["detail"] == "retry 2 of 2 after busy (486)"
    calls = {c.call_id: c for c in repo.load_calls(engine, campaign_id)}
    assert {("busy", 486)} == {(c.outcome, c.sip_status) for k, c in calls.items() if rows[k]["line"] == "busy"}
    assert first_busy == calls[f"{first_busy}-r1"].extra["retry_of"] == calls[f"{first_busy}-r2"].extra["retry_of"]
    assert "retry_of" not in calls[first_busy].extra
    invites = sorted(m.t for m in busy.messages() if m.method == "INVITE" and not m.sent)
    assert 3 == len(invites) and all(b - a >= 2.0 for a, b in zip(invites, invites[1:], strict=False))
    (wrong_call,) = [c for k, c in calls.items() if rows[k]["line"] == "wrong"]
    assert ("rejected", 404) == (wrong_call.outcome, wrong_call.sip_status)
    assert 1 == sum(1 for m in wrong.messages() if m.method == "INVITE" and not m.sent)   # never retried
    engine.dispose()
