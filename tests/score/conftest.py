"""Transcript fixtures for scoring: readable utterances expanded into timed words."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mystery.records import Word
from mystery.score.checklist import Checklist, load_checklist
from tests.transcribe.conftest import whisper_model  # noqa: F401 - shared fixture for the audio path

DATA = Path(__file__).parent / "data"
HOTEL_BOOKING = Path(__file__).parents[2] / "mystery" / "score" / "checklists" / "hotel_booking.yaml"
WORD_S = 0.35


def words_of(utterances: list[dict[str, object]]) -> tuple[Word, ...]:
    """One Word per space-separated token, WORD_S apart, from each utterance's start."""
    out = []
    for u in utterances:
        t = float(u["at"])  # type: ignore[arg-type]
        for token in str(u["text"]).split():
            out.append(Word(t, t + WORD_S * 0.9, token, 0.9, str(u["channel"])))
            t += WORD_S
    return tuple(out)


def load_transcript(name: str) -> tuple[float, tuple[Word, ...]]:
    data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return float(data["answer_s"]), words_of(data["utterances"])


@pytest.fixture(scope="session")
def hotel_checklist() -> Checklist:
    return load_checklist(HOTEL_BOOKING)
