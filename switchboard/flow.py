"""What the switchboard does on one call, node by node, written against a small session interface.

The session (``worker.CallSession``) owns SIP and media; this module only decides:
ring, answer or refuse, walk the IVR, wait in the queue, let an agent talk, record voicemail.
Every step lands in the call's ground truth through the session.
"""

from __future__ import annotations

import asyncio
import random
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from switchboard.config import (
    PRE_ANSWER,
    Agent,
    Busy,
    Closed,
    DeadEnd,
    Goto,
    Hangup,
    Hours,
    Line,
    Menu,
    NoAnswer,
    Node,
    Play,
    Prompt,
    QueueRef,
    Reject,
    Switchboard,
    Voicemail,
)
from switchboard.persona import Persona, call_rng, choose_persona
from switchboard.render import render_prompt, render_ringback, render_speech
from switchboard.seats import Seats
from switchboard.truth import CallTruth


class Session(Protocol):
    """The SIP/media primitives a flow needs (implemented with pjsua2 in ``worker.py``)."""

    truth: CallTruth
    call_key: str

    def now(self) -> float: ...
    def progress(self, status: int) -> float: ...
    def answer(self) -> float: ...
    def refuse(self, status: int, reason: str, simulated: bool) -> float: ...
    def hangup(self, reason: str) -> float: ...
    async def play(self, path: Path, phase: str, /, interruptible: bool = False, **detail: Any) -> str | None: ...
    def loop(self, path: Path) -> Loop: ...
    async def next_digit(self, timeout: float) -> str | None: ...
    async def caller_turn(self, after: float, timeout: float) -> tuple[float, float] | None: ...
    def start_recording(self, path: Path) -> None: ...
    def stop_recording(self) -> None: ...
    async def render(self, fn: Any, *args: Any) -> Path: ...


class Loop(Protocol):
    """A looping player (music, ringback) that can pause and resume where it was."""

    def resume(self) -> None: ...
    def pause(self) -> None: ...
    def close(self) -> None: ...


def is_open(hours: Hours, at: float) -> bool:
    """True if ``at`` (epoch seconds) falls in the opening hours."""
    local = datetime.fromtimestamp(at, ZoneInfo(hours.timezone))
    hhmm = f"{local.hour:02d}:{local.minute:02d}"
    if local.weekday() not in hours.days:
        return False
    if hours.open <= hours.close:
        return hours.open <= hhmm < hours.close
    return hhmm >= hours.open or hhmm < hours.close  # opening hours across midnight


class CallFlow:
    """Runs one line's behaviour on one call."""

    def __init__(
        self, cfg: Switchboard, line: Line, session: Session, seats: Seats, cache_dir: Path, workdir: Path
    ) -> None:
        self.cfg = cfg
        self.line = line
        self.s = session
        self.seats = seats
        self.cache_dir = cache_dir
        self.workdir = workdir
        self.seq = seats.next_seq(f"line:{line.user}")
        self.rng: random.Random = call_rng(cfg.seed, line.user, self.seq)
        self.truth = session.truth
        self.truth.set(seq=self.seq)
        self.answered = False

    def _outcome(self, outcome: str) -> None:
        self.truth.set(outcome=outcome)

    async def _prompt(self, prompt: Prompt) -> Path:
        return await self.s.render(render_prompt, prompt, self.cfg.ivr_voice, self.cache_dir)

    # ------------------------------------------------------------------ top level

    async def run(self) -> None:
        line = self.line
        pdd = line.pdd.sample(self.rng)
        ring = line.ring.sample(self.rng)
        self.truth.set(planned={"pdd_s": pdd, "ring_s": ring})
        if pdd > 0:
            await asyncio.sleep(pdd)
        node = line.then
        if line.hours is not None and not is_open(line.hours, self.s.now()):
            node = line.hours.closed
            self.truth.note("outside opening hours", self.s.now())
        node = self._resolve(node)

        if isinstance(node, (Busy, Reject)) and ring <= 0 and line.early_media is None:
            self._refuse(node)
            return
        await self._ring(node, ring)
        if isinstance(node, PRE_ANSWER):
            return
        self.s.answer()
        self.answered = True
        current: Node | None = node
        while current is not None:
            current = await self._step(self._resolve(current))
        self.s.hangup("flow_end")

    def _resolve(self, node: Node) -> Node:
        seen = set()
        while isinstance(node, Goto):
            if node.line in seen:
                raise RuntimeError(f"goto loop through line {node.line!r}")
            seen.add(node.line)
            node = self.cfg.lines[node.line].then
        return node

    def _refuse(self, node: Node) -> None:
        if isinstance(node, Busy):
            self._outcome("busy")
            self.s.refuse(486, "Busy Here", simulated=True)
        elif isinstance(node, Reject):
            self._outcome("rejected")
            self.s.refuse(node.status, node.reason, simulated=True)

    async def _ring(self, node: Node, ring: float) -> None:
        """18x, then ``ring`` seconds (or forever for no answer), with early media if configured."""
        em = self.line.early_media
        self._outcome("ringing")
        if em is None:
            t = self.s.progress(180)
            phase = self.truth.open("ring", t)
            try:
                await self._wait_ring(node, ring)
            finally:
                self.truth.close(phase, self.s.now())
            return
        t = self.s.progress(183)
        phase = self.truth.open("early_media", t, kind=em.kind)
        loop = None
        try:
            deadline = t + (node.max_s if isinstance(node, NoAnswer) else ring)
            if em.kind == "announcement":
                path = await self._prompt(em.prompt)
                await self.s.play(path, "announcement", early=True)
            if self.s.now() < deadline:
                loop = self.s.loop(await self.s.render(render_ringback, self.cache_dir))
                loop.resume()
                await asyncio.sleep(max(0.0, deadline - self.s.now()))
            if isinstance(node, PRE_ANSWER):
                self._pre_answer_end(node)
        finally:
            if loop is not None:
                loop.close()
            self.truth.close(phase, self.s.now())

    async def _wait_ring(self, node: Node, ring: float) -> None:
        if isinstance(node, NoAnswer):
            await asyncio.sleep(node.max_s)
        elif ring > 0:
            await asyncio.sleep(ring)
        if isinstance(node, PRE_ANSWER):
            self._pre_answer_end(node)

    def _pre_answer_end(self, node: Node) -> None:
        if isinstance(node, NoAnswer):
            self._outcome("no_answer")
            self.s.refuse(480, "Temporarily Unavailable", simulated=True)
        else:
            self._refuse(node)

    # ------------------------------------------------------------------ nodes after answer

    async def _step(self, node: Node) -> Node | None:
        if isinstance(node, Play):
            await self.s.play(await self._prompt(node.prompt), "prompt")
            return node.then
        if isinstance(node, Menu):
            return await self._menu(node)
        if isinstance(node, QueueRef):
            return await self._queue(node)
        if isinstance(node, Agent):
            await self._agent(self.cfg.pools[node.pool], seat=None, queue=None)
            return None
        if isinstance(node, Voicemail):
            await self._voicemail(node)
            return None
        if isinstance(node, Closed):
            self._outcome("closed_message")
            await self.s.play(await self._prompt(node.message), "closed_message")
            return None
        if isinstance(node, DeadEnd):
            await self._dead_end(node)
            return None
        if isinstance(node, Hangup):
            in_queue = self.truth.record["outcome"] == "in_queue"
            self._outcome("abandoned_in_queue" if in_queue else "dropped")
            self.truth.note(f"switchboard hangs up: {node.reason}", self.s.now())
            return None
        if isinstance(node, PRE_ANSWER):
            # refusing after the answer makes no sense; treat as a drop so the call still ends
            self._outcome("dropped")
            return None
        raise RuntimeError(f"unhandled node {node!r}")

    async def _menu(self, menu: Menu) -> Node | None:
        self._outcome("ivr")
        prompt = await self._prompt(menu.prompt)
        invalid = await self._prompt(menu.invalid)
        phase = self.truth.open("menu", self.s.now(), menu=menu.name)
        choices = dict(menu.choices)
        for attempt in range(menu.retries + 1):
            digit = await self.s.play(prompt, "ivr_prompt", interruptible=True, menu=menu.name, attempt=attempt)
            if digit is None:
                digit = await self.s.next_digit(menu.timeout_s)
            if digit is None:
                continue
            if digit in choices:
                self.truth.close(phase, self.s.now(), digit=digit)
                return choices[digit]
            await self.s.play(invalid, "ivr_prompt", menu=menu.name, invalid_digit=digit)
        self.truth.close(phase, self.s.now(), timed_out=True)
        return menu.on_timeout

    async def _queue(self, ref: QueueRef) -> Node | None:
        queue = self.cfg.queues[ref.queue]
        pool = self.cfg.pools[queue.pool]
        self._outcome("in_queue")
        key = self.s.call_key
        t0 = self.s.now()
        qphase = self.truth.open("queue", t0, queue=queue.name)
        min_wait = queue.min_wait.sample(self.rng)
        max_wait = None if queue.max_wait is None else queue.max_wait.sample(self.rng)
        qphase.detail.update(min_wait_s=min_wait, max_wait_s=max_wait)
        enqueued = False
        next_announce = t0 + queue.first_announcement.sample(self.rng)
        music_path = Path(self.rng.choice(queue.music))
        announcement = await self._prompt(queue.announcement)
        music = None
        music_phase = None
        seat = None
        try:
            if min_wait <= 0:
                self.seats.enqueue(queue.name, key)
                enqueued = True
                seat = self.seats.try_claim(queue.name, key)
            if seat is None:
                music = self.s.loop(music_path)
            while seat is None:
                assert music is not None  # started above, since no seat was free
                now = self.s.now()
                if max_wait is not None and now - t0 >= max_wait:
                    break
                if music_phase is None:
                    music.resume()
                    music_phase = self.truth.open("hold_music", self.s.now(), file=music_path.name)
                if now >= next_announce:
                    music.pause()
                    self.truth.close(music_phase, self.s.now())
                    music_phase = None
                    await self.s.play(announcement, "announcement", queue=queue.name)
                    next_announce = self.s.now() + queue.announce_every.sample(self.rng)
                    continue
                await asyncio.sleep(0.05)
                if not enqueued and self.s.now() - t0 >= min_wait:
                    self.seats.enqueue(queue.name, key)
                    enqueued = True
                if enqueued:
                    seat = self.seats.try_claim(queue.name, key)
        except BaseException:
            self.seats.leave(key)
            raise
        finally:
            if music is not None:
                music.close()
            if music_phase is not None:
                self.truth.close(music_phase, self.s.now())
        if seat is None:
            self.seats.leave(key)
            self.truth.close(qphase, self.s.now(), served=False, waited_s=self.s.now() - t0)
            return queue.on_timeout
        self.truth.close(qphase, self.s.now(), served=True, seat=seat, waited_s=self.s.now() - t0)
        try:
            await self._agent(pool, seat=seat, queue=queue.name)
        finally:
            self.seats.leave(key)
        return None

    def _persona(self, pool_name: str) -> Persona:
        pool = self.cfg.pools[pool_name]
        seq = self.seats.next_seq(f"pool:{pool_name}")
        values = {"hotel": self.cfg.hotel, **self.cfg.variables}
        return choose_persona(pool, seq, self.rng, values, datetime.now(ZoneInfo(self.cfg.timezone)))

    async def _agent(self, pool: Any, seat: int | None, queue: str | None) -> None:
        persona = self._persona(pool.name)
        self._outcome("human")
        start = self.s.now()
        self.truth.set(agent={
            "name": persona.name, "voice": persona.voice.voice, "speed_wpm": persona.voice.speed_wpm,
            "pitch": persona.voice.pitch, "seat": seat, "queue": queue, "pool": pool.name,
        })
        phase = self.truth.open("agent", start, name=persona.name)
        turns = {"greeting": persona.greeting, "prompt_again": persona.prompt_again, "closing": persona.closing}
        renders = {
            text: asyncio.ensure_future(self.s.render(render_speech, text, persona.voice, self.cache_dir))
            for text in (*turns.values(), *persona.replies)
        }
        turn_no = 0

        async def say(text: str, kind: str) -> float:
            """Speak one turn; returns when it started: a caller talking over it is heard too."""
            nonlocal turn_no
            path = await renders[text]
            started = self.s.now()
            await self.s.play(path, "agent_speech", turn=turn_no, kind=kind, text=text)
            turn_no += 1
            return started

        try:
            await asyncio.sleep(pool.reply_delay.sample(self.rng))
            last_turn = await say(persona.greeting, "greeting")
            replies = list(persona.replies)
            asked_again = False
            while replies:
                if self.s.now() - start >= persona.max_talk_s:
                    break
                turn = await self.s.caller_turn(after=last_turn, timeout=pool.patience_s)
                if turn is None:
                    if asked_again:
                        break
                    asked_again = True
                    last_turn = await say(persona.prompt_again, "prompt_again")
                    continue
                await asyncio.sleep(pool.reply_delay.sample(self.rng))
                last_turn = await say(replies.pop(0), "reply")
            if not replies:
                # the caller's last answer before the goodbye
                await self.s.caller_turn(after=last_turn, timeout=pool.patience_s)
                await asyncio.sleep(pool.reply_delay.sample(self.rng))
            await say(persona.closing, "closing")
            if not pool.hangs_up:
                await asyncio.sleep(3600)
        finally:
            for task in renders.values():
                task.cancel()
            self.truth.close(phase, self.s.now())

    async def _voicemail(self, vm: Voicemail) -> None:
        self._outcome("voicemail")
        await self.s.play(await self._prompt(vm.greeting), "voicemail_greeting")
        if vm.beep:
            await self.s.play(self.cfg.sounds_dir / "beep.wav", "voicemail_beep")
        folder = self.workdir / "voicemail"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.line.user}-{self.seq:04d}.wav"
        phase = self.truth.open("voicemail_record", self.s.now(), file=str(path))
        self.s.start_recording(path)
        try:
            await asyncio.sleep(vm.max_s)
        finally:
            self.s.stop_recording()
            self.truth.close(phase, self.s.now())

    async def _dead_end(self, node: DeadEnd) -> None:
        self._outcome("ivr_dead_end")
        phase = self.truth.open("dead_end", self.s.now())
        try:
            await self.s.play(await self._prompt(node.prompt), "ivr_prompt", dead_end=True)
            await asyncio.sleep(3600 if node.hangup_after_s is None else node.hangup_after_s)
        finally:
            self.truth.close(phase, self.s.now())
