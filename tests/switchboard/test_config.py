"""Switchboard YAML: the built-in configs load, and bad input names file, line and field."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mystery_core.errors import InputError
from switchboard.config import (
    Agent,
    Busy,
    Dist,
    Hours,
    Menu,
    NoAnswer,
    QueueRef,
    iter_prompts,
    load_switchboard,
)
from switchboard.flow import is_open
from switchboard.harness import SCENARIOS_DIR
from tests.switchboard.conftest import LINES


def test_demo_hotel_has_every_behaviour_the_demo_needs() -> None:
    cfg = load_switchboard(SCENARIOS_DIR / "demo_hotel.yaml")
    assert {"frontdesk", "reservations", "main", "busy", "noanswer", "closed", "voicemail", "deadend"} <= set(cfg.lines)
    assert isinstance(cfg.lines["busy"].then, Busy)
    assert isinstance(cfg.lines["noanswer"].then, NoAnswer)
    assert isinstance(cfg.lines["frontdesk"].then, Agent)
    main = cfg.lines["main"].then
    assert isinstance(main, Menu)
    assert QueueRef("booking") == dict(main.choices)["1"]
    assert cfg.queues["reservations"].min_wait.params[0] >= 20  # a long hold even when alone
    assert len(iter_prompts(cfg)) >= 8


def test_test_lines_load() -> None:
    assert "timed" in load_switchboard(LINES).lines


@pytest.mark.parametrize(
    ("text", "line", "field", "problem"),
    [
        ("lines:\n  a:\n    ring_s: soon\n    then: busy\n", 3, "lines.a.ring_s", "expected a number of seconds"),
        ("lines:\n  a:\n    then: {queue: nowhere}\n", 3, "lines.a.then.queue", "unknown queue 'nowhere'"),
        ("lines:\n  a:\n    ring_s: 1\n", 2, "lines.a.then", "required"),
        ("lines:\n  a:\n    then:\n      menu:\n        prompt: hello\n        choices: {x: busy}\n",
         6, "lines.a.then.menu.choices", "expected a DTMF digit"),
        ("lines:\n  a:\n    then: {closed: {message: no-such-sound}}\n", 3, "lines.a.then.closed.message.sound",
         "no such sound file"),
        ("lines:\n  a:\n    then: busy\n    colour: red\n", 4, "lines.a.colour", "unknown key"),
        ("lines:\n  a:\n    ring_s: {uniform: [3, 1]}\n    then: busy\n", 3, "lines.a.ring_s.uniform",
         "expected low <= high"),
        ("lines: [1, 2]\n", 1, "lines", "expected a non-empty mapping"),
        ("lines:\n  a:\n    then: {goto: b}\n", 3, "lines.a.then.goto", "unknown line 'b'"),
        ("lines:\n  a: {then: busy, hours: {open: '9am', close: '18:00', closed: busy}}\n", 2, "lines.a.hours.open",
         "expected HH:MM"),
        ("lines:\n  a: {then: busy\n", 3, None, "invalid YAML"),
    ],
)
def test_bad_config_names_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str | None, problem: str
) -> None:
    path = tmp_path / "hotel.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_switchboard(path)
    assert f"{path}:{line}" == caught.value.where
    assert field == caught.value.field
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}:{line}: {field + ': ' if field else ''}")


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_switchboard(tmp_path / "missing.yaml")
    assert "cannot read" in str(caught.value)


def test_distributions_are_seeded_and_bounded() -> None:
    uniform = Dist("uniform", (1.0, 3.0))
    draws = [uniform.sample(random.Random(f"7:line:{n}")) for n in range(200)]
    assert draws == [uniform.sample(random.Random(f"7:line:{n}")) for n in range(200)]
    assert all(1.0 <= d <= 3.0 for d in draws)
    assert 2.5 == Dist("fixed", (2.5,)).sample(random.Random(1))
    assert all(v >= 0 for v in (Dist("normal", (0.1, 5.0)).sample(random.Random(n)) for n in range(100)))
    assert {1.0, 2.0} >= {Dist("choice", (1.0, 2.0)).sample(random.Random(n)) for n in range(20)}


def test_opening_hours_follow_the_time_zone_and_days() -> None:
    hours = Hours("08:00", "20:00", frozenset(range(5)), "Europe/Paris", Busy())
    # Monday 2026-11-23: 07:30 UTC is 08:30 in Paris (open); 19:30 UTC is 20:30 (closed)
    assert is_open(hours, datetime(2026, 11, 23, 7, 30, tzinfo=UTC).timestamp())
    assert not is_open(hours, datetime(2026, 11, 23, 19, 30, tzinfo=UTC).timestamp())
    # Saturday: closed all day
    assert not is_open(hours, datetime(2026, 11, 28, 10, 0, tzinfo=UTC).timestamp())
    night = Hours("22:00", "06:00", frozenset(range(7)), "UTC", Busy())
    assert is_open(night, datetime(2026, 11, 23, 23, 0, tzinfo=UTC).timestamp())
    assert not is_open(night, datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp())
