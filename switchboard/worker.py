"""One pjsua2 UAS process of the switchboard (at most 4 calls: the wheel's ceiling).

The only module of the switchboard that imports pjsua2. pjsua2 runs with no worker
thread and ``mainThreadOnly``; an asyncio task polls ``libHandleEvents`` so that every
SIP callback and every flow step happen on one thread, and timers fire within ~1 ms.

Run by ``serve`` as ``python -m switchboard.worker ...``; prints one JSON
ready line, exits 0 on SIGTERM after hanging up its calls and writing their truth.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import signal
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pjsua2 as pj

from mystery.dial.endpoint import EndpointOptions, create_endpoint, destroy_endpoint
from switchboard.config import Switchboard, load_switchboard
from switchboard.flow import CallFlow
from switchboard.render import wav_duration_s
from switchboard.seats import Seats
from switchboard.truth import CallTruth, Phase, append_record

SIMULATED_HEADER = "X-Mystery-Simulated"
PJSIP_ESESSIONTERMINATED = 171140
RETIRE_S = 5.0  # how long a stopped player lives on (its end-of-file event may be pending)


class CallGone(Exception):
    """A SIP step was asked for after the call ended (the flow is being cancelled)."""


class CallerEar(pj.AudioMediaPort):
    """Hears the caller: per 20 ms frame energy -> talk spurts (start, end) for turn taking.

    ``onFrameReceived`` runs on the conference-bridge clock thread; it only updates
    plain attributes (atomic under the GIL) and never calls pjsua2.

    Ports are pooled and reused, never destroyed while the bridge runs: destroying one
    races with the clock thread still delivering frames to it.
    """

    def __init__(self, name: str, threshold_rms: float = 400.0, min_speech_s: float = 0.25,
                 end_silence_s: float = 0.6) -> None:
        super().__init__()
        self.threshold_sq = threshold_rms * threshold_rms
        self.min_speech_s = min_speech_s
        self.end_silence_s = end_silence_s
        self.listening = False
        self.reset()
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, 8000, 1, 20000, 16)
        self.createPort(name, fmt)

    def reset(self) -> None:
        """Forget the previous call."""
        self.in_spurt = False
        self.spurt_start = 0.0
        self.last_voiced = 0.0
        self.voiced_s = 0.0
        self.turns: list[tuple[float, float]] = []

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:  # noqa: N802 - pjsua2 callback name
        if not self.listening or frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO:
            return
        now = time.time()
        data = bytes(frame.buf)
        n = len(data) // 2
        if n == 0:
            return
        samples = memoryview(data).cast("h")
        energy = sum(s * s for s in samples) / n
        if energy >= self.threshold_sq:
            if not self.in_spurt:
                self.in_spurt = True
                self.spurt_start = now - n / 8000.0
                self.voiced_s = 0.0
            self.last_voiced = now
            self.voiced_s += n / 8000.0
        elif self.in_spurt and now - self.last_voiced >= self.end_silence_s:
            self.in_spurt = False
            if self.voiced_s >= self.min_speech_s:
                self.turns.append((self.spurt_start, self.last_voiced))

    def speaking_since(self) -> float | None:
        """Start of the spurt in progress, if the caller is talking now."""
        return self.spurt_start if self.in_spurt and self.voiced_s >= self.min_speech_s else None


class Player:
    """A looping player that pauses (keeps its position) and resumes."""

    def __init__(self, session: CallSession, path: Path) -> None:
        self.session = session
        self.player = pj.AudioMediaPlayer()
        self.player.createPlayer(str(path), 0)
        self.playing = False

    def resume(self) -> None:
        am = self.session.audio
        if am is not None and not self.playing:
            self.player.startTransmit(am)
            self.playing = True

    def pause(self) -> None:
        am = self.session.audio
        if am is not None and self.playing:
            self.player.stopTransmit(am)
        self.playing = False

    def close(self) -> None:
        with contextlib.suppress(pj.Error):
            self.pause()
        if self.player is not None:
            self.session.worker.retire(self.player)
        self.player = None


class SwitchboardCall(pj.Call):
    """pjsua2 call whose callbacks go to its session."""

    def __init__(self, account: pj.Account, call_id: int) -> None:
        super().__init__(account, call_id)
        self.session: CallSession | None = None

    def onCallState(self, prm: Any) -> None:  # noqa: N802
        if self.session is not None:
            self.session.on_state()

    def onCallMediaState(self, prm: Any) -> None:  # noqa: N802
        if self.session is not None:
            self.session.on_media()

    def onDtmfDigit(self, prm: Any) -> None:  # noqa: N802
        if self.session is not None:
            self.session.on_dtmf(prm.digit)


class CallSession:
    """SIP and media primitives for one call (see ``flow.Session``)."""

    def __init__(self, worker: Worker, call: SwitchboardCall, call_key: str, truth: CallTruth) -> None:
        self.worker = worker
        self.call: SwitchboardCall | None = call
        self.call_key = call_key
        self.truth = truth
        self.audio: pj.AudioMedia | None = None
        self.media_ready = asyncio.Event()
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self.ear: CallerEar | None = None
        self.recorder: pj.AudioMediaRecorder | None = None
        self.recordings: list[Path] = []
        self.players: list[Any] = []
        self.we_hung_up = False
        self.disconnected = False
        self.task: asyncio.Task[None] | None = None

    # -- callbacks (main thread, inside libHandleEvents)

    def on_media(self) -> None:
        if self.call is None:
            return
        info = self.call.getInfo()
        for mi in info.media:
            if mi.type == pj.PJMEDIA_TYPE_AUDIO and mi.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                am = self.call.getAudioMedia(mi.index)
                if self.audio is None:
                    self.audio = am
                    self.ear = self.worker.borrow_ear()
                    am.startTransmit(self.ear)
                self.media_ready.set()

    def on_dtmf(self, digit: str) -> None:
        self.truth.dtmf(digit, time.time())
        self.digits.put_nowait(digit)

    def on_state(self) -> None:
        if self.call is None:
            return
        info = self.call.getInfo()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED and not self.disconnected:
            self.disconnected = True
            ended = time.time()
            if self.truth.record["final_status"] is None:
                self.truth.set(final_status=info.lastStatusCode)
            if not self.we_hung_up:
                self.truth.set(hangup_by="caller", caller_status=info.lastStatusCode)
            self.truth.set(ended_at=ended)
            if self.task is not None and not self.task.done():
                self.task.cancel()
            self.worker.loop.call_soon(self.worker.finish_call, self, ended)
            # Drop the pj.Call now, inside the DISCONNECTED callback as pjsua2 wants: its slot
            # is reused by the next INVITE, and a Call object destroyed later would hang up
            # that new call (603 Decline) through the reused id.
            self.call.session = None
            self.call = None

    # -- primitives

    def now(self) -> float:
        return time.time()

    def _send(self, status: int, reason: str = "", simulated: bool = False, final: bool = False) -> float:
        if self.call is None:
            raise CallGone(f"cannot send {status}: the call has ended")
        op = pj.CallOpParam()
        op.statusCode = status
        if reason:
            op.reason = reason
        if simulated:
            header = pj.SipHeader()
            header.hName = SIMULATED_HEADER
            header.hValue = "yes"
            op.txOption.headers.append(header)
        before = time.time()
        if final:
            self.we_hung_up = True
            self.truth.set(hangup_by="switchboard", final_status=status)
            self.call.hangup(op)
        else:
            self.call.answer(op)
        after = time.time()
        if after - before > 0.005:  # the send happened somewhere in this window: say how wide it was
            self.truth.note(f"{status} send took {1000 * (after - before):.1f} ms", after)
        return (before + after) / 2

    def progress(self, status: int) -> float:
        at = self._send(status)
        self.truth.provisional(status, at)
        return at

    def answer(self) -> float:
        at = self._send(200)
        self.truth.set(answered_at=at, final_status=200)
        return at

    def refuse(self, status: int, reason: str, simulated: bool) -> float:
        return self._send(status, reason, simulated=simulated, final=True)

    def hangup(self, reason: str) -> float:
        if self.disconnected or self.we_hung_up or self.call is None:
            return time.time()
        self.we_hung_up = True
        self.truth.set(hangup_by="switchboard")
        self.truth.note(f"switchboard BYE: {reason}", time.time())
        before = time.time()
        with contextlib.suppress(pj.Error):
            self.call.hangup(pj.CallOpParam())
        return before

    async def _media(self) -> pj.AudioMedia:
        if self.audio is None:
            await asyncio.wait_for(self.media_ready.wait(), timeout=5)
        assert self.audio is not None
        return self.audio

    async def play(self, path: Path, phase: str, /, interruptible: bool = False, **detail: Any) -> str | None:
        """Play a WAV once; with ``interruptible`` a DTMF digit stops it and is returned."""
        am = await self._media()
        duration = wav_duration_s(path)
        player = pj.AudioMediaPlayer()
        player.createPlayer(str(path), pj.PJMEDIA_FILE_NO_LOOP)
        self.players.append(player)
        start = time.time()
        player.startTransmit(am)
        record = self.truth.open(phase, start, file=Path(path).name, **detail)
        digit = None
        try:
            if interruptible:
                try:
                    digit = await asyncio.wait_for(self.digits.get(), timeout=duration)
                except TimeoutError:
                    digit = None
            else:
                await asyncio.sleep(duration)
        finally:
            end = time.time()
            with contextlib.suppress(pj.Error):
                player.stopTransmit(am)
            self.players.remove(player)
            self.worker.retire(player)
            self.truth.close(record, end, **({"interrupted_by": digit} if digit else {}))
        return digit

    def loop(self, path: Path) -> Player:
        player = Player(self, path)
        self.players.append(player)
        return player

    async def next_digit(self, timeout: float) -> str | None:
        try:
            return await asyncio.wait_for(self.digits.get(), timeout=timeout)
        except TimeoutError:
            return None

    async def caller_turn(self, after: float, timeout: float) -> tuple[float, float] | None:
        """Wait for the caller to finish a turn that ends after ``after``; ``None`` on silence."""
        deadline = time.time() + timeout
        while True:
            ear = self.ear
            if ear is not None:
                for turn in ear.turns:
                    if turn[1] > after:
                        return turn
                talking = ear.speaking_since()
            else:
                talking = None
            # a caller still talking at the deadline gets to finish (up to a minute)
            if time.time() >= deadline and (talking is None or time.time() - talking > 60):
                return None
            await asyncio.sleep(0.02)

    def start_recording(self, path: Path) -> None:
        self.recorder = pj.AudioMediaRecorder()
        self.recorder.createRecorder(str(path))
        self.recordings.append(path)
        if self.audio is not None:
            self.audio.startTransmit(self.recorder)

    def stop_recording(self) -> None:
        if self.recorder is not None and self.audio is not None:
            with contextlib.suppress(pj.Error):
                self.audio.stopTransmit(self.recorder)
        self.recorder = None  # the WAV header is written when the recorder is destroyed

    async def render(self, fn: Any, *args: Any) -> Path:
        return await self.worker.loop.run_in_executor(self.worker.renderer, fn, *args)

    def caller_speech(self) -> list[tuple[float, float]]:
        ear = self.ear
        if ear is None:
            return []
        turns = list(ear.turns)
        if ear.in_spurt and ear.voiced_s >= ear.min_speech_s:
            turns.append((ear.spurt_start, ear.last_voiced))
        return turns


class SwitchboardAccount(pj.Account):
    def __init__(self, worker: Worker) -> None:
        super().__init__()
        self.worker = worker

    def onIncomingCall(self, prm: Any) -> None:  # noqa: N802
        self.worker.on_incoming(self, prm)


def _wav_complete(path: Path) -> bool:
    """True once a recorder has written its WAV header (RIFF size = file size - 8)."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
        return len(head) == 8 and int.from_bytes(head[4:8], "little") == path.stat().st_size - 8
    except OSError:
        return False


def _request_user(whole_msg: str) -> str:
    """User part of the request-URI: ``INVITE sip:100@host SIP/2.0`` -> ``100``."""
    first = whole_msg.split("\r\n", 1)[0].split(" ")
    uri = first[1] if len(first) > 1 else ""
    uri = uri.split(":", 1)[1] if ":" in uri else uri
    return uri.split("@", 1)[0] if "@" in uri else ""


def _header(whole_msg: str, name: str) -> str:
    wanted = name.lower()
    for raw in whole_msg.split("\r\n")[1:]:
        if not raw:
            break
        key, _, value = raw.partition(":")
        if key.strip().lower() == wanted:
            return value.strip()
    return ""


class Worker:
    """The process: endpoint, account, calls, and the polling loop."""

    def __init__(self, cfg: Switchboard, args: argparse.Namespace) -> None:
        self.cfg = cfg
        self.args = args
        self.worker_id: int = args.worker_id
        self.truth_path = Path(args.truth)
        self.workdir = Path(args.workdir)
        self.cache_dir = Path(args.cache_dir)
        self.sessions: dict[str, CallSession] = {}
        self.stopping = False
        self.renderer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="render")
        self.free_ears: list[CallerEar] = []
        self.all_ears: list[CallerEar] = []
        self.loop: asyncio.AbstractEventLoop
        self.retired: collections.deque[tuple[float, Any]] = collections.deque()
        self.account: SwitchboardAccount | None  # set by main, dropped at shutdown

    def on_incoming(self, account: pj.Account, prm: Any) -> None:
        invite_at = time.time()
        call = SwitchboardCall(account, prm.callId)
        msg = prm.rdata.wholeMsg
        call_id = _header(msg, "Call-ID") or _header(msg, "i") or f"w{self.worker_id}-{prm.callId}"
        user = _request_user(msg)
        truth = CallTruth(call_id, user, self.worker_id, invite_at)
        truth.set(from_uri=_header(msg, "From"))
        session = CallSession(self, call, call_id, truth)
        call.session = session
        self.sessions[call_id] = session
        line = self.cfg.lines.get(user)
        if line is None or self.stopping:
            truth.set(outcome="unknown_line" if line is None else "shutting_down")
            session.refuse(404 if line is None else 503, "Not Found" if line is None else "Service Unavailable", False)
            return
        flow = CallFlow(self.cfg, line, session, self.seats, self.cache_dir, self.workdir)
        session.task = self.loop.create_task(self._run_flow(flow, session))

    async def _run_flow(self, flow: CallFlow, session: CallSession) -> None:
        try:
            # a caller that vanished without BYE must not hold a slot forever
            await asyncio.wait_for(flow.run(), timeout=self.cfg.max_call_s)
        except asyncio.CancelledError:
            pass
        except TimeoutError:
            session.hangup(f"max_call_s ({self.cfg.max_call_s:g} s) reached")
        except CallGone as exc:
            session.truth.note(f"call ended before the next step: {exc}", time.time())
        except pj.Error as exc:
            if exc.status == PJSIP_ESESSIONTERMINATED or session.disconnected:
                # the caller left between two steps; DISCONNECTED is on its way
                session.truth.note(f"call ended before the next step: {exc.reason}", time.time())
                return
            self._flow_failed(session, exc.info())
        except Exception as exc:  # a bug must not take the other calls down
            self._flow_failed(session, repr(exc))

    def _flow_failed(self, session: CallSession, detail: str) -> None:
        session.truth.note(f"flow error: {detail}", time.time())
        print(f"worker {self.worker_id}: flow error on {session.call_key}: {detail}", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        session.hangup("error")

    def finish_call(self, session: CallSession, ended: float, waited_s: float = 0.0) -> None:
        if session.task is not None and not session.task.done():
            self.loop.call_later(0.01, self.finish_call, session, ended, waited_s + 0.01)
            return
        session.stop_recording()
        # pjmedia 2.15 destroys a recorder's port on the next bridge tick; the truth record
        # (which tests read at once) must not land before the voicemail WAV is complete
        if waited_s < 1.0 and not all(_wav_complete(p) for p in session.recordings):
            self.loop.call_later(0.02, self.finish_call, session, ended, waited_s + 0.02)
            return
        for player in list(session.players):
            if isinstance(player, Player):
                player.close()
            else:
                self.retire(player)
        session.players.clear()
        for start, end in session.caller_speech():
            session.truth.phases.append(Phase("caller_speech", start, end))
        record = session.truth.finish(ended)
        append_record(self.truth_path, record)
        if session.ear is not None:
            if session.audio is not None:
                with contextlib.suppress(pj.Error):
                    session.audio.stopTransmit(session.ear)
            self.return_ear(session.ear)
        session.ear = None
        session.audio = None
        self.sessions.pop(session.call_key, None)

    def retire(self, player: Any) -> None:
        """Free a player only RETIRE_S after its last use.

        pjmedia 2.15 delivers a player's end-of-file on its event thread, later: a player
        freed at its natural end (a prompt played to the last frame) let that thread call
        into a deleted object (SIGSEGV in ``AudioMediaPlayer::eof_cb``, about one worker
        per minute at 18 SIPp calls at once).
        """
        self.retired.append((time.monotonic() + RETIRE_S, player))

    def free_retired(self, now: float) -> None:
        while self.retired and self.retired[0][0] <= now:
            self.retired.popleft()

    def borrow_ear(self) -> CallerEar:
        ear = self.free_ears.pop() if self.free_ears else CallerEar(f"ear-{len(self.all_ears)}")
        if ear not in self.all_ears:
            self.all_ears.append(ear)
        ear.reset()
        ear.listening = True
        return ear

    def return_ear(self, ear: CallerEar) -> None:
        ear.listening = False
        self.free_ears.append(ear)

    def _idle_ms(self) -> int:
        """How long pjsua2 may block: until the next asyncio timer, at most 20 ms."""
        loop = self.loop
        if getattr(loop, "_ready", None):
            return 0
        scheduled = getattr(loop, "_scheduled", None)
        if scheduled:
            wait = (scheduled[0].when() - loop.time()) * 1000.0
            return max(0, min(20, int(wait + 0.999)))
        return 20

    async def main(self) -> int:
        self.loop = asyncio.get_running_loop()
        self.seats = Seats(Path(self.args.state))
        log_path = self.workdir / f"worker-{self.worker_id}.pjsip.log"
        self.ep, port, media = create_endpoint(EndpointOptions(
            sip_port=self.args.sip_port, rtp_port=self.args.rtp_port, codecs=("PCMU", "PCMA"),
            log_file=str(log_path), user_agent="mystery-switchboard",
        ))
        acc_cfg = pj.AccountConfig()
        acc_cfg.idUri = f"sip:switchboard@127.0.0.1:{port}"
        acc_cfg.mediaConfig.transportConfig = media
        self.account = SwitchboardAccount(self)
        self.account.create(acc_cfg)
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(sig, stop.set)
        print(json.dumps({"event": "ready", "worker": self.worker_id, "sip_port": port}), flush=True)
        parent = os.getppid()
        next_parent_check = time.monotonic() + 1.0
        while not stop.is_set():
            self.ep.libHandleEvents(self._idle_ms())
            await asyncio.sleep(0)
            self.free_retired(time.monotonic())
            if time.monotonic() >= next_parent_check:
                next_parent_check = time.monotonic() + 1.0
                if os.getppid() != parent:  # serve died without stopping us: do not linger
                    stop.set()
        await self.shutdown()
        return 0

    async def shutdown(self) -> None:
        self.stopping = True
        for session in list(self.sessions.values()):
            if not session.disconnected:
                session.truth.note("switchboard shut down", time.time())
                session.hangup("shutdown")
        deadline = time.time() + 1.0
        while self.sessions and time.time() < deadline:
            self.ep.libHandleEvents(10)
            await asyncio.sleep(0)
        for session in list(self.sessions.values()):  # no DISCONNECTED seen in time: still log them
            if session.task is not None:
                session.task.cancel()
            await asyncio.sleep(0)
            session.truth.set(hangup_by=session.truth.record["hangup_by"] or "switchboard")
            append_record(self.truth_path, session.truth.finish(time.time()))
            if session.call is not None:
                session.call.session = None
                session.call = None
        self.sessions.clear()
        self.renderer.shutdown(wait=False, cancel_futures=True)
        self.seats.close()
        self.account = None
        for ear in self.all_ears:
            ear.listening = False
            ear.thisown = False  # leaked on purpose: see CallerEar
        for _due, player in self.retired:
            player.thisown = False  # an end-of-file may still be on its way: see retire
        self.retired.clear()
        destroy_endpoint(self.ep)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m switchboard.worker")
    parser.add_argument("--config", required=True)
    parser.add_argument("--sip-port", type=int, default=0)
    parser.add_argument("--rtp-port", type=int, required=True)
    parser.add_argument("--worker-id", type=int, default=0)
    parser.add_argument("--state", required=True)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--cache-dir", required=True)
    args = parser.parse_args(argv)
    cfg = load_switchboard(args.config)
    return asyncio.run(Worker(cfg, args).main())


if __name__ == "__main__":
    sys.exit(main())
