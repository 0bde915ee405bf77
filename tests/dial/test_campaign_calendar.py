"""A scheduled campaign run for real, its window compressed into one minute: each call is placed at
its planned time (SIPp's own clock), never two at once to the hotel (site cap 1), each once."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mystery.store import planned, repo
from mystery_core.store.engine import open_store
from tests.dial.conftest import dialer_env

pytestmark = [pytest.mark.sip, pytest.mark.slow]

CALLS = 3


def test_a_calendar_plan_is_dialled_at_its_times_within_the_site_cap(sipp_uas, tmp_path: Path) -> None:
    sipp = sipp_uas("uas_answer.xml", calls=CALLS, timeout_s=300, RING_MS=200, ANSWER_MS=300)
    opens = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    closes = opens + timedelta(minutes=1)
    hours = f"{opens:%H:%M}-{'24:00' if closes.date() > opens.date() else f'{closes:%H:%M}'}"
    scenario = tmp_path / "calendar.yaml"
    scenario.write_text(f"""\
name: on-the-calendar
client: Test Hotel
concurrency: {CALLS}
sites:
  hotel: {{timezone: UTC, concurrency: 1}}
lines:
  desk: {{uri: "{sipp.uri}", site: hotel}}
schedule:
  start: {opens:%Y-%m-%d}
  end: {opens:%Y-%m-%d}
  windows: [{{days: daily, hours: "{hours}"}}]
calls:
  - line: desk
    count: {CALLS}
    max_seconds: 30
    expected_seconds: 12
    steps:
      - {{action: hangup, on: answered, offset_s: 3}}
""")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {**dialer_env(tmp_path), "MYSTERY_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "mystery", "campaign", "run", str(scenario), "--no-analysis"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert 0 == done.returncode, done.stderr[-2000:]
    assert 0 == sipp.wait(timeout=60)
    engine = open_store(url)
    campaign_id = repo.find_campaign(engine, "on-the-calendar")["id"]
    rows = planned.planned(engine, campaign_id)
    assert [("done", "hotel")] * CALLS == [(r["state"], r["site"]) for r in rows]
    messages = sipp.messages()
    invites = {m.call_id: m.t for m in messages if m.method == "INVITE" and not m.sent}
    byes = {m.call_id: m.t for m in messages if m.method == "BYE" and not m.sent}
    assert Counter(r["call_key"] for r in rows) == Counter(m.call_id for m in messages
                                                          if m.method == "INVITE" and not m.sent)
    for r in rows:
        due = datetime.fromisoformat(r["due_at"]).timestamp()
        assert opens.timestamp() <= due < closes.timestamp()
        assert -0.05 <= invites[r["call_key"]] - due < 1.5, r["call_key"]      # placed when planned
    spans = sorted((invites[k], byes[k]) for k in invites)
    assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False))
    engine.dispose()
