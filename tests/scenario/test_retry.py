"""The retry policy (pure): which outcomes are dialled again, never 403/404/604, and when."""

from __future__ import annotations

from mystery.scenario.retry import RetryPolicy, next_open_s


def test_busy_no_answer_and_503_are_retried_up_to_the_maximum_and_403_404_604_never() -> None:
    policy = RetryPolicy(on=("busy", "no_answer", "unavailable"), after_s=60, max=2)
    assert policy.wants("busy", 486, 0) and policy.wants("busy", 486, 1)
    assert not policy.wants("busy", 486, 2)                    # two retries already
    assert policy.wants("no_answer", 480, 0)
    assert policy.wants("failed", 503, 0)                      # unavailable is the far end's 503
    assert not policy.wants("failed", 500, 0)
    for status in (403, 404, 604):
        assert not policy.wants("rejected", status, 0)
    assert not RetryPolicy(on=("busy",)).wants("no_answer", 487, 0)


def test_a_retry_waits_for_the_next_open_minute_of_its_windows() -> None:
    runs = [[1000.0, 1600.0], [5000.0, 5600.0]]
    assert 1200.0 == next_open_s(1200.0, runs)                 # inside a window: as soon as allowed
    assert 5000.0 == next_open_s(1700.0, runs)                 # between windows: when the next opens
    assert next_open_s(6000.0, runs) is None                   # after the last window: no retry
    assert 42.0 == next_open_s(42.0, None)                     # a group dialled at once: any time
