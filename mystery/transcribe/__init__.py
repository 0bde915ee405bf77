"""Offline transcription of the speech spans of a call (vosk by default, faster-whisper optional).

Light on import: the engine libraries load only when a model is opened.
"""

from mystery.transcribe.protocol import ChannelAudio, Transcriber, Transcript, transcribe_spans
from mystery.transcribe.spans import SPEECH_LABELS, SpeechSpan, spans_from_segments

__all__ = ["SPEECH_LABELS", "ChannelAudio", "SpeechSpan", "Transcriber", "Transcript", "spans_from_segments",
           "transcribe_spans"]
