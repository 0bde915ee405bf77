"""Live listening to the callee channel, so caller steps can wait for audio events (pure).

The dialer feeds each 20 ms frame as it arrives (wall-clock time, dBFS, and its samples). Sound and
silence come from the level; whether a stretch of sound was a voice comes from cheap per-frame voicing
(voicing.py: one FFT per loud frame), so that the person cue below does not fire on the silence after
hold music, on line noise or after a beep. The offline audio analysis does the real segmentation.

- prompt ended: sound (a prompt, an announcement, a greeting), then at least N ms of silence.
- silence: the callee has been quiet for N s.
- human reached (heuristic), whichever comes first:
  (a) a reply: the callee starts to make sound shortly after the caller finished a line, after
      a pause. A person answers a question; hold music does not stop and restart because the
      caller spoke, and a recorded prompt does not wait for the caller. Event time: the onset.
  (b) a greeting after hold: after a long stretch of sound (>= 6 s with no gap of 0.5 s: hold
      music, or hold music running into a greeting) that went on after arming, the callee falls
      silent for 1 s, i.e. someone greeted and now waits for the caller. Announcements inside
      the music do not count because the music goes on after them. The 1.5 s of audio before
      the pause must sound like a voice: music that stops, or noise, is not a greeting. 1 s, not
      less: an agent who picks up just after an announcement leaves up to ~0.9 s of silence
      before the greeting. Event time: when that pause reaches 1 s.
  (c) a greeting that waits: sound that started after arming (0.3 s or more, gaps < 0.5 s
      bridged), sounding like a voice, then 1.4 s of silence: a person who answered the line
      ("Grand Hotel, Sophie speaking, how may I help you?") and now waits for the caller. Music
      and announcements do not leave such pauses between them. 1.4 s: within 1.5 s of the
      greeting's end (issue 14), and longer than the ~1.3 s a "please hold" prompt leaves before
      its music. Event time: when that pause reaches 1.4 s.
  For (b) and (c) the pause must also be hushed (see HUSH_BELOW_DB): quiet music fading in ends it.
  Without samples (feed() given a level only) every stretch counts as a voice, as before.
  It can be fooled by an IVR prompt that starts right after the caller spoke, by an IVR menu
  that waits for a key (arm the step after the menu's last DTMF), or by any recorded voice that
  then pauses for a second (a closed message, a voicemail greeting without a beep): a recording
  sounds like a voice.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from mystery.dial.voicing import FrameVoicing, analyse_frame, pcm16_samples, speech_score, summarise

FRAME_S = 0.02
ONSET_FRAMES = 2            # consecutive loud frames before sound starts (ignores clicks)
HUMAN_PAUSE_S = 0.3         # quiet before a reply's onset
HUMAN_MIN_S = 0.3           # a reply lasts at least this long
HUMAN_WINDOW = (-0.5, 4.0)  # reply onset relative to the end of the caller's line
HOLD_MIN_S = 6.0            # sound this long (gaps < BRIDGE_S bridged) is hold music, not a prompt
BRIDGE_S = 0.5
GREETING_PAUSE_S = 1.0      # a greeting after hold ends with the speaker waiting this long
GREETED_PAUSE_S = 1.4       # a person who answered the line waits this long for the caller
GREETED_MIN_S = 0.3         # "Hello?" is short
# A pause that counts for cues (b) and (c) is hushed: under level_dbfs - HUSH_BELOW_DB (-55 dBFS), or under
# the floor + FLOOR_MARGIN_DB on a noisy line. Hold music fading in after a "please hold" crosses -55 dBFS
# ~0.4 s before -45 dBFS: without this the simulator's prompt-then-music gap (1.24-1.42 s at -45 dBFS under
# load) came within a frame of the 1.4 s wait of cue (c).
HUSH_BELOW_DB = 10.0
FLOOR_MARGIN_DB = 15.0
HUSH_BREAK_FRAMES = 3       # a sound breaks the hush after 60 ms over it (a click does not)
FLOOR_FRAMES = 50           # the noise floor: median level of the last 50 quiet frames (lost frames, clicks aside)
VOICE_WINDOW = 75           # frames (1.5 s) before a pause whose voicing decides if it was a voice


def frame_dbfs(pcm16: bytes) -> float:
    """Level of one frame of 16-bit little-endian PCM in dBFS (-inf for digital silence)."""
    samples = pcm16_samples(pcm16)
    if not len(samples):
        return -math.inf
    power = float(samples @ samples) / len(samples)
    return 10 * math.log10(power / (32768.0 * 32768.0)) if power > 0 else -math.inf


@dataclass(slots=True)
class Burst:
    """A stretch of sound on the callee channel; `end` is None while it lasts."""

    start: float
    end: float | None = None


class Listener:
    """Energy-based state of the callee channel, fed frame by frame."""

    def __init__(self, level_dbfs: float = -45.0) -> None:
        self.level_dbfs = level_dbfs
        self.bursts: list[Burst] = []
        self.first_frame: float | None = None
        self.last_frame: float | None = None
        self._loud_run = 0
        self._loud_since = 0.0
        self._quiet_since: float | None = None
        self._recent: deque[FrameVoicing | float] = deque(maxlen=VOICE_WINDOW)
        self._previous: object = None      # the previous frame's samples (pitch periods span 2 frames)
        self._voiced_pause: dict[float, bool] = {}   # pause start -> the sound before it was a voice
        self._levels: deque[float] = deque(maxlen=FLOOR_FRAMES)
        self._floor = -math.inf
        self._hush_since: float | None = None   # start of the current run of frames under the hush level
        self._murmur_run = 0
        self._quiet_frames = 0

    def feed(self, t: float, dbfs: float, pcm16: bytes | None = None) -> None:
        """One frame that ended at wall time `t`, with its samples when the dialer has them."""
        start = t - FRAME_S
        if dbfs <= self.level_dbfs:   # the floor is that of the quiet frames: the line's (or the room's) own noise
            self._levels.append(max(dbfs, -120.0))
            self._quiet_frames += 1
            if self._quiet_frames % 5 == 1:
                self._floor = sorted(self._levels)[len(self._levels) // 2]
        if dbfs > max(self.level_dbfs - HUSH_BELOW_DB, self._floor + FLOOR_MARGIN_DB):
            self._murmur_run += 1
            if self._murmur_run >= HUSH_BREAK_FRAMES:
                self._hush_since = None
        else:
            self._murmur_run = 0
            if self._hush_since is None:
                self._hush_since = start
        if pcm16 is not None:
            samples = pcm16_samples(pcm16)
            loud = dbfs > self.level_dbfs
            self._recent.append(analyse_frame(self._previous, samples, dbfs) if loud else dbfs)  # type: ignore[arg-type]
            self._previous = samples
        if self.first_frame is None:
            self.first_frame = start
            self._quiet_since = start
        self.last_frame = t
        sounding = bool(self.bursts) and self.bursts[-1].end is None
        if dbfs > self.level_dbfs:
            if self._loud_run == 0:
                self._loud_since = start
            self._loud_run += 1
            if not sounding and self._loud_run >= ONSET_FRAMES:
                self.bursts.append(Burst(self._loud_since))
                self._quiet_since = None
        else:
            self._loud_run = 0
            if sounding:
                self.bursts[-1].end = start
                self._quiet_since = start
                if self._recent:   # the frames before this one (a frame without samples, e.g. no RTP, too)
                    before = list(self._recent)[:-1] if pcm16 is not None else list(self._recent)
                    self._voiced_pause[start] = speech_score(summarise(before)) > 0

    @property
    def quiet_since(self) -> float | None:
        """When the current silence began; None while there is sound or before any frame."""
        return self._quiet_since

    def prompt_ended(self, armed_at: float, min_silence_s: float, now: float) -> float | None:
        """Time the callee's sound was followed by `min_silence_s` of silence, after arming."""
        quiet = self._quiet_since
        if quiet is None or not self.bursts or self.bursts[-1].end is None:
            return None
        if self.bursts[-1].end < armed_at:  # the last sound ended before we started waiting
            return None
        due = quiet + min_silence_s
        return due if now >= due else None

    def silence(self, armed_at: float, silence_s: float, now: float) -> float | None:
        """Time the callee had been quiet for `silence_s` (counted from arming at the earliest)."""
        if self._quiet_since is None:
            return None
        due = max(self._quiet_since, armed_at) + silence_s
        return due if now >= due else None

    def human_reached(self, armed_at: float, caller_turns: list[tuple[float, float]], now: float) -> float | None:
        """Time a live person was detected (see module docstring), or None."""
        found = [t for t in (self._reply_onset(armed_at, caller_turns, now), self._greeting(armed_at, now))
                 if t is not None]
        return min(found) if found else None

    def _stretches(self, now: float) -> list[tuple[float, float]]:
        """(start, end) of each stretch of sound, gaps under BRIDGE_S bridged: music and speech both
        dip between notes and words."""
        out: list[tuple[float, float]] = []
        for burst in self.bursts:
            end = burst.end if burst.end is not None else now
            if out and burst.start - out[-1][1] < BRIDGE_S:
                out[-1] = (out[-1][0], end)
            else:
                out.append((burst.start, end))
        return out

    def _voiced_before(self, quiet: float) -> bool:
        """The sound that ended at `quiet` sounded like a voice (always True when fed levels only)."""
        return self._voiced_pause.get(quiet, True)

    def _greeting(self, armed_at: float, now: float) -> float | None:
        """Cues (b) and (c): the callee fell silent after a long hold, or after a greeting that began
        after arming, and is still silent: someone waits for the caller."""
        quiet = self._quiet_since
        if quiet is None or not self.bursts or self._hush_since is None or not self._voiced_before(quiet):
            return None
        # the pause is hushed, not just under level_dbfs: music fading in after a "please hold" breaks it
        pause = max(quiet, self._hush_since)
        if now < pause + GREETING_PAUSE_S:
            return None
        stretches = self._stretches(now)
        if any(end > armed_at and end - start >= HOLD_MIN_S for start, end in stretches):
            return pause + GREETING_PAUSE_S      # the current pause follows the hold (or ends it)
        start, end = stretches[-1]
        if now >= pause + GREETED_PAUSE_S and start >= armed_at and end - start >= GREETED_MIN_S:
            return pause + GREETED_PAUSE_S
        return None

    def _reply_onset(self, armed_at: float, caller_turns: list[tuple[float, float]], now: float) -> float | None:
        previous_end: float | None = None
        for burst in self.bursts:
            paused = previous_end is None or burst.start - previous_end >= HUMAN_PAUSE_S
            previous_end = burst.end
            lasting = (burst.end if burst.end is not None else now) - burst.start >= HUMAN_MIN_S
            if burst.start < armed_at or not paused or not lasting:
                continue
            for _turn_start, turn_end in caller_turns:
                if turn_end + HUMAN_WINDOW[0] <= burst.start <= turn_end + HUMAN_WINDOW[1]:
                    return burst.start
        return None
