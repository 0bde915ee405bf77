"""When each caller step fires, given call events and what the listener heard (pure).

The dialer loop asks `due(now)` every few milliseconds, performs the returned steps, and
reports back with `fired(...)` how long each one takes (a line's duration). Arming rules are
in `mystery.scenario.plan`'s docstring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mystery.dial.listen import Listener
from mystery.scenario.plan import Step


@dataclass(slots=True)
class StepProgress:
    """Where one step stands. Times are wall clock (time.time())."""

    step: Step
    armed_at: float | None = None
    event_at: float | None = None      # when its trigger event happened
    fired_at: float | None = None
    done_at: float | None = None       # fired_at + the action's duration
    fired_by: str = ""                 # the trigger, or "timeout_s" when the fallback fired it


class StepRunner:
    """Decides, from events and the listener, which steps are due."""

    def __init__(self, steps: tuple[Step, ...], listener: Listener) -> None:
        self.progress = [StepProgress(step) for step in steps]
        self.listener = listener
        self.answered_at: float | None = None
        self.early_media_at: float | None = None
        self.caller_turns: list[tuple[float, float]] = []

    def on_answered(self, t: float) -> None:
        self.answered_at = t
        if self.early_media_at is None:
            self.early_media_at = t  # no early media: steps waiting for it go at the answer

    def on_early_media(self, t: float) -> None:
        if self.early_media_at is None:
            self.early_media_at = t

    def _arm_time(self, index: int) -> float | None:
        if index == 0:
            return self.answered_at
        previous = self.progress[index - 1]
        if previous.done_at is None:
            return None
        return max(previous.done_at, self.answered_at or previous.done_at)

    def _event_time(self, p: StepProgress, now: float) -> float | None:
        step, armed = p.step, p.armed_at
        assert armed is not None
        if step.on == "timeout":
            return armed + step.after_s if now >= armed + step.after_s else None
        if step.on == "prompt_ended":
            return self.listener.prompt_ended(armed, step.min_silence_ms / 1000.0, now)
        if step.on == "silence":
            return self.listener.silence(armed, step.silence_s, now)
        if step.on == "human_reached":
            return self.listener.human_reached(armed, self.caller_turns, now)
        raise ValueError(step.on)

    def due(self, now: float) -> list[int]:
        """Indexes of the steps to perform now (each returned once)."""
        ready = []
        for index, p in enumerate(self.progress):
            if p.fired_at is not None:
                continue
            step = p.step
            if not step.sequential:
                base = self.answered_at if step.on == "answered" else self.early_media_at
                if base is not None and now >= base + step.offset_s:
                    p.event_at, p.fired_by = base, step.on
                    ready.append(index)
                continue
            if p.armed_at is None:
                p.armed_at = self._arm_time(index)
                if p.armed_at is None:
                    continue
            if p.event_at is None:
                p.event_at = self._event_time(p, now)
                if p.event_at is not None:
                    p.fired_by = step.on
                elif step.timeout_s is not None and now >= p.armed_at + step.timeout_s:
                    p.event_at, p.fired_by = p.armed_at + step.timeout_s, "timeout_s"
            if p.event_at is not None and now >= p.event_at + (step.offset_s if p.fired_by == step.on else 0.0):
                ready.append(index)
        return ready

    def fired(self, index: int, now: float, duration_s: float = 0.0) -> None:
        """Record that step `index` started at `now` and keeps the caller busy `duration_s`."""
        p = self.progress[index]
        p.fired_at, p.done_at = now, now + duration_s
        if p.step.action == "say":
            self.caller_turns.append((now, now + duration_s))

    def pending(self) -> bool:
        """True while a step other than `hangup` has not fired (a remote BYE then drops the call)."""
        return any(p.fired_at is None and p.step.action != "hangup" for p in self.progress)

    def summary(self, t0: float) -> list[dict[str, Any]]:
        """Each step's plan and times (seconds from `t0`), for the call result's `extra.steps`."""
        def rel(t: float | None) -> float | None:
            return None if t is None else round(t - t0, 4)

        return [{"index": i, "action": p.step.action, "value": p.step.value, "on": p.step.on,
                 "armed_t_s": rel(p.armed_at), "event_t_s": rel(p.event_at), "fired_t_s": rel(p.fired_at),
                 "done_t_s": rel(p.done_at), "fired_by": p.fired_by}
                for i, p in enumerate(self.progress)]
