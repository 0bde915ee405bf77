"""The I/O edge of transcription: read a channel of a WAV, read the segmenter's spans, pick an engine.

Call recordings are two-channel (left = caller, right = callee, see `mystery/dial/recording.py`);
recordings made elsewhere are often mono.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mystery.records import Segment
from mystery.transcribe.models import SpeechModel, resolve_model
from mystery.transcribe.protocol import ChannelAudio, Transcriber, Transcript, transcribe_spans
from mystery.transcribe.spans import SPEECH_LABELS, SpeechSpan, spans_from_segments
from mystery.transcribe.vocabulary import Vocabulary
from mystery_core.errors import InputError
from mystery_core.validate import number

CHANNELS = {"left": 0, "caller": 0, "right": 1, "callee": 1}
CHANNEL_NAMES = ("left", "right", "caller", "callee", "mono")


def resolve_channel(path: Path, channel: str | None = None) -> str:
    """"callee", "caller" or "mono" for a file and a --channel choice, from the header alone."""
    import soundfile

    try:
        n_channels = soundfile.info(str(path)).channels
    except (OSError, RuntimeError, soundfile.LibsndfileError) as error:
        raise InputError(str(path), None, f"cannot read audio: {error}") from None
    if channel is None:
        return "callee" if n_channels == 2 else "mono"
    if channel not in CHANNEL_NAMES:
        raise InputError("--channel", None, f"expected one of {', '.join(CHANNEL_NAMES)}, got {channel!r}")
    if channel == "mono":
        return "mono"
    if n_channels < 2:
        raise InputError(str(path), "--channel", f"the file is mono; {channel} needs a two-channel recording "
                         "(use --channel mono)")
    return ("caller", "callee")[CHANNELS[channel]]


def read_channel(path: Path, channel: str | None = None) -> ChannelAudio:
    """One channel of a WAV as float32. Default: the callee (right) of a stereo file, or the mono file."""
    import soundfile

    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError, soundfile.LibsndfileError) as error:
        raise InputError(str(path), None, f"cannot read audio: {error}") from None
    n_channels = samples.shape[1]
    if channel is None:
        channel = "callee" if n_channels == 2 else "mono"
    if channel not in CHANNEL_NAMES:
        raise InputError("--channel", None, f"expected one of {', '.join(CHANNEL_NAMES)}, got {channel!r}")
    if channel == "mono":
        return ChannelAudio(samples.mean(axis=1).astype(np.float32), int(rate), "mono")
    if n_channels < 2:
        raise InputError(str(path), "--channel", f"the file is mono; {channel} needs a two-channel recording "
                         "(use --channel mono)")
    index = CHANNELS[channel]
    return ChannelAudio(np.ascontiguousarray(samples[:, index]), int(rate), ("caller", "callee")[index])


def segments_from_json(document: Any, path: Path) -> list[Segment]:
    """Segments from the segmenter's JSON: a list, or an object with a "segments" list.

    Each item needs `start_s` and `end_s` (seconds from the start of the file; `start`/`end`
    are accepted too) and may have `label` (default "speech") and `confidence`.
    """
    items = document.get("segments") if isinstance(document, Mapping) else document
    if not isinstance(items, list):
        raise InputError(str(path), "segments", "expected a list of {start_s, end_s, label} objects")
    out = []
    for i, item in enumerate(items):
        field = f"segments[{i}]"
        if not isinstance(item, Mapping):
            raise InputError(str(path), field, f"expected an object, got {item!r}")
        start = number(item.get("start_s", item.get("start")), "a number of seconds", where=str(path),
                       field=f"{field}.start_s")
        end = number(item.get("end_s", item.get("end")), "a number of seconds", where=str(path),
                     field=f"{field}.end_s")
        if end <= start or start < 0:
            raise InputError(str(path), f"{field}.end_s", f"expected 0 <= start_s < end_s, got {start} .. {end}")
        out.append(Segment(start, end, str(item.get("label", "speech")), float(item.get("confidence", 1.0))))
    return out


def load_segments(path: Path) -> list[Segment]:
    """Segments from a segments JSON file (see `segments_from_json`)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(str(path), "--segments", f"cannot read: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}", None, f"invalid JSON: {error.msg}") from None
    return segments_from_json(document, path)


def load_spans(path: Path, labels: Iterable[str] = SPEECH_LABELS) -> tuple[SpeechSpan, ...]:
    """Speech spans from a segments JSON file."""
    return spans_from_segments(load_segments(path), labels)


def segment_speech(path: Path, channel: str | None = None) -> list[Segment]:
    """Segments from the segmenter (`mystery analyse`): the callee's labelled segments for the
    callee (or mono) channel; for the caller channel, the caller's turns labelled "speech"."""
    from mystery.audio.analyse import analyse_file

    side = resolve_channel(path, channel)
    result = analyse_file(path, "mono" if side == "mono" else "right", learn=False)
    if side == "caller":
        return [Segment(float(a), float(b), "speech") for a, b in result["caller_speech"]]
    return [Segment(float(s["start_s"]), float(s["end_s"]), str(s["label"]), float(s.get("confidence", 1.0)))
            for s in result["segments"]]


def recording_of_call(path: Path) -> tuple[Path, list[Segment] | None]:
    """The recording and segments (None if not analysed yet) of a call's JSON (`mystery call --json`).

    Segment times are on the recording's clock, as the analysis writes them.
    """
    from mystery.records import CallResult

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        call = CallResult.from_json(document)
    except OSError as error:
        raise InputError(str(path), None, f"cannot read: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}", None, f"invalid JSON: {error.msg}") from None
    except (TypeError, KeyError) as error:
        raise InputError(str(path), None, f"not the JSON of a call (mystery call --json): {error}") from None
    if not call.recording:
        raise InputError(str(path), "recording", "the call has no recording (it was not answered, or not recorded)")
    recording = Path(call.recording)
    if not recording.is_absolute() and not recording.exists():
        recording = path.parent / recording
    return recording, (list(call.segments) or None)


def open_transcriber(model: SpeechModel, language: str, beam_size: int = 5,
                     vocabulary: Vocabulary | None = None) -> Transcriber:
    """Load the engine adapter for a model (the engine library is imported only here, lazily);
    `vocabulary`: the client's names and terms, for engines that can use them."""
    if model.engine == "vosk":
        from mystery.transcribe.vosk_engine import VoskTranscriber

        return VoskTranscriber(model.path, language, model_name=model.name, vocabulary=vocabulary)
    from mystery.transcribe.whisper_engine import WhisperTranscriber

    return WhisperTranscriber(model.path, language, model_name=model.name, beam_size=beam_size,
                              vocabulary=vocabulary)


def transcribe_recording(path: Path, *, engine: str, language: str, model_dir: Path,
                         language_dirs: Mapping[str, str] | None = None, model: Path | None = None,
                         channel: str | None = None, spans: Sequence[SpeechSpan] | None = None) -> Transcript:
    """Words of one channel of a recording; only `spans` are decoded (the whole file when None)."""
    audio = read_channel(path, channel)
    chosen = resolve_model(engine, language, model_dir, language_dirs, model)
    if spans is None:
        spans = (SpeechSpan(0.0, audio.duration_s, "speech"),)
    return transcribe_spans(open_transcriber(chosen, language), audio, spans)
