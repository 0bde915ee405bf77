"""A caller line spoken once is played from the cache in every later call (espeak-ng and sox run once)."""

from __future__ import annotations

from pathlib import Path

from mystery.dial.speech import cached_text, is_telephone_wav, wav_seconds


def test_a_line_is_rendered_once_then_played_from_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for call in ("call1", "call3"):   # each dialer renders into its own folder
        (tmp_path / call).mkdir()
    first = cached_text("Do you have a room tonight?", tmp_path / "call1" / "line0.wav", cache=cache)
    assert tmp_path / "call1" / "line0.wav" == first            # rendered for this call...
    kept = list(cache.iterdir())
    assert 1 == len(kept) and kept[0].read_bytes() == first.read_bytes()   # ...and kept whole
    second = cached_text("Do you have a room tonight?", tmp_path / "call2" / "line0.wav", cache=cache)
    assert kept[0] == second                                    # the next call plays the kept one
    assert not (tmp_path / "call2").exists()                    # nothing rendered for it
    assert is_telephone_wav(second) and wav_seconds(second) > 1.0
    other = cached_text("Do you have a room tonight?", tmp_path / "call3" / "line0.wav", voice="fr", cache=cache)
    assert tmp_path / "call3" / "line0.wav" == other            # another voice is another line
    assert 2 == len(list(cache.iterdir()))
