"""When a campaign is quiet enough to analyse between calls: the decision both paths share (run_calls on
SQLite, the queue's workers on PostgreSQL), the queue's reading of it from the planned-call rows, and the
campaign's analysis lock on the real PostgreSQL server (one host analyses at a time, the others skip)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from mystery.pipeline.queue import analyse_alone, quiet_gap
from mystery.pipeline.runner import quiet_now
from mystery_core.store.engine import open_store


def test_quiet_needs_no_call_on_the_line_a_call_ended_and_the_next_far_enough() -> None:
    assert quiet_now(0, 1, 30.0, 30.0)
    assert not quiet_now(1, 1, 30.0, 30.0)          # a call on the line
    assert not quiet_now(0, 0, 30.0, 30.0)          # nothing new to analyse
    assert not quiet_now(0, 1, 29.9, 30.0)          # the next call too close
    assert not quiet_now(0, 1, None, 30.0)          # none left: the final pass is the caller's


def test_the_queue_reads_the_gap_from_every_hosts_rows() -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    rows = [{"state": "done", "due_at": None}, {"state": "failed", "due_at": None},
            {"state": "dialling", "due_at": None},
            {"state": "planned", "due_at": (now + timedelta(seconds=90)).isoformat()},
            {"state": "planned", "due_at": (now + timedelta(seconds=40)).isoformat()}]
    assert (1, 2, 40.0) == quiet_gap(rows, now.timestamp())
    assert (0, 0, 0.0) == quiet_gap([{"state": "planned", "due_at": None}], now.timestamp())   # due at once
    assert (0, 1, None) == quiet_gap([{"state": "done", "due_at": None}], now.timestamp())
    late = [{"state": "planned", "due_at": (now - timedelta(seconds=5)).isoformat()}]
    assert (0, 0, 0.0) == quiet_gap(late, now.timestamp())


@pytest.mark.postgres
def test_one_host_analyses_a_campaign_at_a_time_and_the_others_skip(postgres_url: str) -> None:
    engine_a, engine_b = open_store(postgres_url), open_store(postgres_url)   # two hosts: two connection pools
    inside, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def slow_analysis() -> None:
        ran.append("a")
        inside.set()
        assert release.wait(30)

    host_a = threading.Thread(target=lambda: ran.append(str(analyse_alone(engine_a, 7, slow_analysis))))
    host_a.start()
    assert inside.wait(30)
    assert not analyse_alone(engine_b, 7, lambda: ran.append("b"))   # host A holds campaign 7's analysis
    assert analyse_alone(engine_b, 8, lambda: ran.append("b8"))      # another campaign's is free
    release.set()
    host_a.join(30)
    assert ["a", "b8", "True"] == ran
    assert analyse_alone(engine_b, 7, lambda: ran.append("b"))       # released once A's analysis ended
    assert "b" == ran[-1]
    engine_a.dispose()
    engine_b.dispose()
