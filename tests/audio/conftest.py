"""Fixtures of the audio tests: synthetic calls built at test time (nothing large is stored)."""

from __future__ import annotations

import shutil

import pytest

needs_tools = pytest.mark.skipif(
    shutil.which("sox") is None or shutil.which("espeak-ng") is None,
    reason="needs sox and espeak-ng (scripts/system-packages.txt)",
)


@pytest.fixture(scope="session")
def campaign():
    """36 synthetic calls over three lines, in dialling order (built once per test session)."""
    from mystery.audio.synthetic import synthesize_campaign

    return list(synthesize_campaign(36, seed=7))
