"""One outbound call with pjsua2: the dialer's only pjsua2 code (besides mystery.dial.endpoint).

Runs in a worker process (`python -m mystery.dial.worker`), never in the orchestrator: one
Endpoint per process (shared by up to 4 sessions, mystery.dial.calls), polled from the main thread (`threadCnt=0`, `mainThreadOnly`), so
callbacks run inside `libHandleEvents` and their `time.time()` stamps are within ~1 ms of the
wire (sip_recipes.md). Callbacks only record facts; the loop decides, using the pure modules
`steps`, `listen` and `outcome`. The loop is a generator (`call_steps`) that yields wherever it waits for
pjsip, so one process can poll its endpoint once and step every session it holds.

Recording: two mono recorders (caller, callee) created together and both fed by the null
sound device, so they tick from the same conference frame and stay aligned; merged into one
stereo WAV at the end (left caller, right callee).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import re
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pjsua2 as pj

from mystery.dial.bridge import disconnect, start_recording
from mystery.dial.endpoint import with_transport
from mystery.dial.journal import Journal, journal_path
from mystery.dial.listen import Listener
from mystery.dial.outcome import MAX_REDIRECTS, CallFacts, judge
from mystery.dial.recording import clock_gaps, interleave
from mystery.dial.runner import PLACING_MARK
from mystery.dial.sipmsg import has_to_tag, header_value, redirect_of, uri_key
from mystery.dial.steps import StepRunner
from mystery.dial.transfer import Transfers
from mystery.records import CallResult, sip_events, utc_iso
from mystery.scenario.plan import CallPlan

DISCONNECT_WAIT_S = 5.0
QUIET_BEFORE_HANGUP_S = 0.04
QUIET_TICKS = 3         # bridge ticks after the players' disconnection before the hang-up
QUIET_MAX_WAIT_S = 1.0  # a bridge clock that stopped ticking does not hold the hang-up longer


# pjsip's compiled receive buffer (PJSIP_MAX_PKT_LEN) in the PyPI pjsua2 2.15 wheel: a longer message
# over UDP arrives cut to exactly this many bytes (docs/dialer.md)
MAX_SIP_MESSAGE_BYTES = 4000
Steps = Generator[None, None, CallResult]   # a session's call: yields whenever it waits for pjsip


@dataclass(frozen=True, slots=True)
class Line:
    """A caller line ready to play: the step's WAV at 8 kHz and its length."""

    wav: Path
    seconds: float


class _Call(pj.Call):
    def __init__(self, account: pj.Account, session: Session) -> None:
        super().__init__(account)
        self.session = session

    def onCallState(self, prm: Any) -> None:  # noqa: N802
        self.session.on_call_state(self)

    def onCallTsxState(self, prm: Any) -> None:  # noqa: N802
        self.session.on_tsx(prm)

    def onCallMediaState(self, prm: Any) -> None:  # noqa: N802
        self.session.media_changed = True

    def onCallTransferRequest(self, prm: Any) -> None:  # noqa: N802
        self.session.on_transfer_request(self, prm)

    def onCallRedirected(self, prm: Any) -> Any:  # noqa: N802
        # prm.targetUri is printed without its port; the 3xx itself names the target in full
        message = str(prm.e.body.tsxState.src.rdata.wholeMsg)
        return self.session.on_redirected(message, str(prm.targetUri))


class Account(pj.Account):
    """The process's one account: every session it holds hears its registration."""

    def __init__(self, sessions: list[Session]) -> None:
        super().__init__()
        self.sessions = sessions

    def onRegState(self, prm: Any) -> None:  # noqa: N802
        for session in self.sessions:
            session.on_reg_state(prm)


class Session:
    """Places one call per `CallPlan` and returns its CallResult (run by mystery.dial.calls)."""

    def __init__(self, plan: CallPlan, lines: dict[int, Line]) -> None:
        self.plan = plan
        self.lines = lines
        self.events: list[tuple[float, str, int | None, str]] = []   # (wall time, kind, status, detail)
        self.t_invite: float | None = None
        self.facts = CallFacts()
        self.media_changed = False
        self.disconnected_at: float | None = None
        self.confirmed = False
        self.reg_status: int | None = None
        self.reg_reason = ""
        self.listener = Listener(plan.level_dbfs)
        self.runner = StepRunner(plan.steps, self.listener)
        self.ep: Any = None
        self.acc: Any = None
        self.call: Any = None             # the leg the dialer records and plays into (a transfer changes it)
        self.transfers: Transfers | None = None
        self.call_media: Any = None
        self.on_hold = False
        self.final_server = ""            # Server / User-Agent of the final INVITE response (a trunk's 403/503)
        self.srtp = False                 # the answer's SDP took our SRTP offer (a=crypto): the audio is encrypted
        self.redirects: list[str] = []   # the 3xx targets followed, in order
        self.players: list[Any] = []
        # pjsua2 objects the conference bridge's clock thread may still call (taps, players) or that
        # pjsip calls back (call, account): held until the endpoint is destroyed, then disowned. pjsip
        # 2.15 applies conference removals late, so freeing a Python tap earlier let the clock thread
        # call into a dying object (SIGSEGV in ~2 % of calls at 50 at once).
        self.held: list[Any] = []
        self.journal: Journal | None = None   # the events on disk as they happen (a crash loses none)
        self.recorders: tuple[Any, ...] = ()  # keeps the recorders alive during the call
        self.local_hangup = ""
        self.hangup_due: float | None = None   # when the BYE/CANCEL goes, once our players have gone quiet
        self.quiet_from_tick = 0                # the bridge tick count when they were disconnected
        self.ticks: Any = ()                    # the level tap's tick times (the bridge clock's progress)
        self.call_ids: set[str] = {plan.call_id}   # every leg's SIP Call-ID (its messages in a shared log)
        self.stop_requested = False     # set by the worker's SIGTERM/SIGINT handler

    # --- callbacks: record facts only -----------------------------------------------------

    def note(self, t: float, kind: str, status: int | None = None, detail: str = "") -> None:
        self.events.append((t, kind, status, detail))
        if self.journal is not None:
            self.journal.event(t, kind, status, detail)

    def on_tsx(self, prm: Any) -> None:
        t = time.time()
        body = prm.e.body.tsxState
        tsx = body.tsx
        kind = body.type
        if kind == pj.PJSIP_EVENT_TX_MSG and tsx.role == pj.PJSIP_ROLE_UAC and tsx.state == pj.PJSIP_TSX_STATE_CALLING:
            self.note(t, f"{tsx.method}_sent" if tsx.method != "INVITE" else "INVITE")
            if tsx.method == "BYE" and not self.local_hangup and self.disconnected_at is None:
                # pjsip hung up by itself: it could not take the answer's media (no SDP, no common codec)
                self.facts.local_refusal = "pjsip ended the call"
            if tsx.method == "INVITE" and self.t_invite is None:
                self.t_invite = t
        elif kind == pj.PJSIP_EVENT_RX_MSG:
            message = body.src.rdata.wholeMsg   # one copy out of pjsip, read three ways below
            first = message.split("\r\n", 1)[0]
            if first.startswith("SIP/2.0 "):
                parts = first.split(" ", 2)
                code = int(parts[1])
                reason = parts[2] if len(parts) > 2 else ""
                self.note(t, str(code), code, f"{reason} ({tsx.method})")
                if tsx.method == "INVITE" and len(message) >= MAX_SIP_MESSAGE_BYTES:
                    # pjsip read only its buffer's worth: the rest (the SDP, often) is lost, so is the call
                    self.facts.message_too_large = (f"{code} {reason} larger than the {MAX_SIP_MESSAGE_BYTES}-byte "
                                                    "SIP message limit of pjsip (PJSIP_MAX_PKT_LEN): cut")
                if tsx.method == "INVITE" and 200 <= code < 300 and not has_to_tag(message):
                    # RFC 3261 12.1.2: a 2xx must carry a To tag; without one there is no dialog to talk in
                    self.facts.protocol_error = f"{code} {reason} without a To tag (RFC 3261 12.1.2)"
                if tsx.method == "INVITE" and 200 <= code < 300:
                    # pjsip takes no answer crypto it cannot use, nor any when it offered none
                    self.srtp = self.plan.account.srtp != "off" and "\na=crypto:" in message
                if tsx.method == "INVITE" and code >= 300:   # who said it: the far end, or a trunk in between
                    self.final_server = header_value(message, "Server", "User-Agent")
                if tsx.method == "INVITE":
                    self._on_invite_response(t, code, reason)
            else:
                method = first.split(" ", 1)[0]
                self.note(t, f"{method}_received")
                if method == "BYE":
                    self.facts.remote_bye = not self.local_hangup

    def _on_invite_response(self, t: float, code: int, reason: str) -> None:
        f, t0 = self.facts, self.t_invite or t
        if f.first_response_s is None:
            f.first_response_s = t - t0
        if 180 <= code < 200 and f.first_provisional_s is None:
            f.first_provisional_s = t - t0
        if 200 <= code < 300 and f.answered_s is None:
            f.answered_s = t - t0
            self.runner.on_answered(t)

    def on_call_state(self, call: Any) -> None:
        t = time.time()
        info = call.getInfo()
        self.call_ids.add(info.callIdString)
        self.note(t, "state", info.lastStatusCode or None, info.stateText)
        if self.transfers is not None and self.transfers.hops:
            action = self.transfers.on_state(call, t, info.state == pj.PJSIP_INV_STATE_CONFIRMED,
                                             info.state == pj.PJSIP_INV_STATE_DISCONNECTED, info.lastStatusCode or None)
            if action in ("switch", "back"):
                self._switch_leg(action, t)
            if action != "ended":
                return
        # the state callback runs ~0.1-0.4 ms before the transaction callback for the same response
        if info.state in (pj.PJSIP_INV_STATE_EARLY, pj.PJSIP_INV_STATE_CONNECTING) and info.lastStatusCode:
            self._on_invite_response(t, info.lastStatusCode, info.lastReason)
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED and self.disconnected_at is None:
            self.disconnected_at = t
            self.facts.final_status = info.lastStatusCode or None
            self.facts.final_reason = info.lastReason
            if self.facts.local_refusal:
                self.facts.local_refusal = f"{info.lastStatusCode} {info.lastReason}".strip()

    def on_redirected(self, response: str, fallback_target: str) -> Any:
        """Follow a 3xx unless the plan says not to, its target leads back to a URI already tried, or it
        would be hop MAX_REDIRECTS + 1; the call then ends `redirected`, with the 3xx and its target."""
        t = time.time()
        status, reason, target = redirect_of(response)
        target = target or fallback_target
        self.note(t, "redirected", status, target)
        seen = {uri_key(self.plan.uri), *self.redirects}
        why = ("not followed" if not self.plan.follow_redirects else "loop" if uri_key(target) in seen
               else f"more than {MAX_REDIRECTS} hops" if len(self.redirects) >= MAX_REDIRECTS else "")
        if why:
            self.facts.redirect_target, self.facts.redirect_why = target, why
            self.facts.redirect_status, self.facts.redirect_reason = status, reason
            return pj.PJSIP_REDIRECT_STOP
        self.redirects.append(uri_key(target))
        return pj.PJSIP_REDIRECT_ACCEPT

    def on_transfer_request(self, leg: Any, prm: Any) -> None:
        """Accept a REFER as a caller's phone would: pjsip calls the target on a new leg (mystery.dial.transfer)."""
        t = time.time()
        target = str(prm.dstUri)
        why = (self.transfers.refusal(leg, self.plan.follow_redirects, bool(self.local_hangup))
               if self.transfers is not None else "no call")
        if why:
            prm.statusCode = 603
            self.note(t, "transfer_declined", 603, f"{target} ({why})")
            return
        assert self.transfers is not None
        new_leg = _Call(self.acc, self)
        self.held.append(new_leg)
        prm.newCall = new_leg
        self.transfers.accept(leg, new_leg, target, t)
        self.note(t, "transfer_accepted", 202, target)

    def _switch_leg(self, action: str, now: float) -> None:
        """Make the transfers' current leg the call: our players stop feeding the old leg, and its media is
        connected (recorder, live detectors, players) as soon as it is active."""
        assert self.transfers is not None
        disconnect(tuple(self.players), (self.call_media,))
        self.call, self.call_media, self.media_changed = self.transfers.current, None, True
        if not self.local_hangup:
            kind = "transferred" if action == "switch" else "transfer_failed"
            self.note(now, kind, self.transfers.hops[-1].final_status, self.transfers.hops[-1].target)

    def on_reg_state(self, prm: Any) -> None:
        t = time.time()
        self.reg_status, self.reg_reason = int(prm.code), str(prm.reason)
        self.note(t, "REGISTER", int(prm.code), str(prm.reason))

    # --- the call -----------------------------------------------------------------------------

    def call_steps(self, recordings: Path, registered: bool = True) -> Steps:
        """The call, one poll of the endpoint per `yield`; returns its result. `registered`: False when the
        process's REGISTER failed (the result then says so, and nothing is dialled)."""
        if not registered:
            return self._registration_failed()
        recordings.mkdir(parents=True, exist_ok=True)
        return (yield from self._call(self.acc, recordings))

    def _registration_failed(self) -> CallResult:
        now = self.t_invite = time.time()
        return CallResult(
            call_id=self.plan.call_id, target_uri=self.plan.uri, outcome="failed", started_at=utc_iso(now),
            line=self.plan.line, sip_status=self.reg_status or None, sip_reason=f"registration failed: "
            f"{self.reg_reason}", hangup_by="", events=sip_events(self.events, now),
            extra={"end_reason": "registration_failed"})

    def _call(self, acc: Any, recordings: Path) -> Steps:
        plan = self.plan
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", plan.call_id)[:80]
        name = plan.recording_name or f"{stamp}-{safe_id}.wav"
        final = recordings / name
        # per-process temporaries: two workers must never share them, even with equal names
        caller_wav = recordings / f".{name}.{os.getpid()}.caller.wav"
        callee_wav = recordings / f".{name}.{os.getpid()}.callee.wav"
        self.journal = Journal(journal_path(plan), {"final": str(final), "caller_wav": str(caller_wav),
                                                     "callee_wav": str(callee_wav), "opened": time.time(),
                                                     "pid": os.getpid()})
        for event in self.events:   # what came before the call (REGISTER)
            self.journal.event(*event)
        clock, caller_rec, callee_rec, tap = start_recording(self.ep, caller_wav, callee_wav)
        self.ticks = tap.ticks
        self.held.append(tap)
        rec_started = time.time()
        self.journal.mark("rec_started", rec_started)
        self.recorders = (caller_rec, callee_rec)

        self.call = _Call(acc, self)
        self.held.append(self.call)
        self.transfers = Transfers(self.call)
        op = pj.CallOpParam(True)
        op.opt.customCallId = plan.call_id
        before = time.time()
        self.journal.mark("placing", before)   # from here on the far end may ring: never dial this call again
        with contextlib.suppress(OSError):        # a runner that stopped has closed our stderr: dial on
            print(PLACING_MARK, file=sys.stderr, flush=True)
        try:
            self.call.makeCall(with_transport(plan.uri, plan.account.transport), op)
        except pj.Error as error:
            self.call.thisown = False      # never placed: its destructor would assert (sip_recipes.md)
            self.call = None
            self.facts.error = f"{error.title}: {error.reason}".strip(": ")
            self.t_invite = before
        if self.t_invite is None:
            self.t_invite = before
        t0 = self.t_invite
        deadline = {"no_response": t0 + plan.no_response_s, "ring_timeout": t0 + plan.ring_timeout_s,
                    "max_seconds": t0 + plan.max_seconds}
        rtp_seen, rtp_count, next_rtp_check = time.time(), -1, 0.0
        hung_up_at: float | None = None
        while self.call is not None and self.disconnected_at is None:
            yield
            now = time.time()
            if self.media_changed:
                self.media_changed = False
                self._connect_media(caller_rec, callee_rec, tap, now)
                rtp_seen = now     # a new stream (resume, transfer) gets the whole RTP timeout
            while tap.levels:
                self.listener.feed(*tap.levels.popleft())
            if hung_up_at is not None:
                if self.hangup_due is not None and self._quiet_done(now):
                    self._send_hangup(now)
                if now - hung_up_at > DISCONNECT_WAIT_S:
                    break
                continue
            for index in self.runner.due(now):
                self._perform(index, caller_rec, time.time())
            if self.local_hangup:
                hung_up_at = now
                continue
            answered = self.facts.answered_s is not None
            if self.facts.protocol_error:   # hung up here, never from inside a pjsip callback
                self._hangup("protocol_error", now)
            if self.stop_requested:
                self._hangup("stopped", now)
            if not answered:
                if self.facts.first_response_s is None and now >= deadline["no_response"]:
                    self._hangup("no_response", now)
                elif now >= deadline["ring_timeout"]:
                    self._hangup("ring_timeout", now)
            if self._transfer_unanswered(now):
                self._hangup("ring_timeout", now)
            if now >= deadline["max_seconds"]:
                self._hangup("max_seconds", now)
            if answered and plan.rtp_timeout_s > 0 and now >= next_rtp_check and self.call_media is not None:
                next_rtp_check = now + 0.5
                count = self._rtp_packets()
                if count != rtp_count:
                    rtp_count, rtp_seen = count, now
                elif now - rtp_seen >= plan.rtp_timeout_s:
                    self._hangup("rtp_timeout", now)
            if self.local_hangup:
                hung_up_at = now
        ended = self.disconnected_at or time.time()
        # stop both recorders at the same moment: the file ends with the call
        disconnect((clock, self.call_media), (caller_rec, callee_rec, tap))
        rec_stopped = time.time()
        ticks = list(tap.ticks)
        # The recorders are finalised here, explicitly: a recorder writes its WAV header when it is
        # destroyed, and the channels are interleaved below. They have no Python director, so the clock
        # thread never calls into Python through them; the tap and the players stay held (self.held).
        self.recorders = ()
        self.call_media = None
        caller_rec = callee_rec = None
        gc.collect()
        settle = time.time() + 0.2      # let the 200 OK to our BYE (or the ACK) come in
        while time.time() < settle:
            yield
        ticks.append(rec_stopped)         # a clock still behind at the end lost those frames too
        gaps = clock_gaps(ticks)
        duration = interleave(caller_wav, callee_wav, final, gaps, min_s=ticks[-1] - ticks[0])
        caller_wav.unlink(missing_ok=True)
        callee_wav.unlink(missing_ok=True)

        self.facts.ended_s = ended - t0
        self.facts.local_end = self.local_hangup
        self.facts.steps_pending = self.runner.pending()
        verdict = judge(self.facts)
        # a hint for later analysis, not an outcome: the callee's first reply to a caller line
        reply = (self.listener.human_reached(self.runner.answered_at, self.runner.caller_turns, ended)
                 if self.runner.answered_at is not None else None)
        return CallResult(
            call_id=plan.call_id, target_uri=plan.uri, outcome=verdict.outcome, started_at=utc_iso(t0),
            line=plan.line, sip_status=verdict.sip_status, sip_reason=verdict.sip_reason,
            pdd_s=verdict.pdd_s, ring_s=verdict.ring_s, time_to_answer_s=verdict.time_to_answer_s,
            talk_s=verdict.talk_s, talk_basis="sip", duration_s=verdict.duration_s,
            hangup_by=verdict.hangup_by, recording=str(final), recording_offset_s=round(rec_started - t0, 4),
            events=sip_events(self.events, t0),
            extra={"end_reason": verdict.end_reason, "steps": self.runner.summary(t0), "reply_onset_t_s": None if reply is None else round(reply - t0, 4),
                   "recording_s": round(duration, 3), "srtp": self.srtp, "final_server": self.final_server,
                   "transfers": self.transfers.summary(t0) if self.transfers is not None else [],
                   "clock_gaps": [[round(ticks[i] - t0, 3), n * 0.02] for i, n in gaps], "recording_stopped_t_s": round(rec_stopped - t0, 4),
                   "recording_first_frame_t_s": round(ticks[0] - t0, 4) if len(ticks) > 1 else None,
                   "channels": {"left": "caller", "right": "callee"}},
        )

    def _connect_media(self, caller_rec: Any, callee_rec: Any, tap: Any, now: float) -> None:
        """Connect the call's audio to the recorder, the live detectors and the players, again after every
        media change: a hold and resume, or a re-INVITE with new SDP, rebuilds the stream, and its new
        conference port may reuse the old id with none of the old connections (connecting twice is harmless).
        """
        if self.call is None:
            return
        try:
            info = self.call.getInfo()
        except pj.Error:   # the call is already gone (pjsip ended it in this same poll)
            return
        for media in info.media:
            if media.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            if media.status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD:
                if not self.on_hold:
                    self.on_hold = True
                    self.note(now, "held", None, "the far end put the call on hold")
                return
            if media.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            am = self.call.getAudioMedia(media.index)
            am.startTransmit(callee_rec)
            am.startTransmit(tap)
            for player in self.players if not self.local_hangup else ():   # quieted for the hang-up
                player.startTransmit(am)
            first = self.call_media is None
            self.call_media = am
            if first:
                early = self.facts.answered_s is None
                self.note(now, "media_active", None, "early media" if early else "")
                if early:
                    self.runner.on_early_media(now)
            elif self.on_hold:
                self.on_hold = False
                self.note(now, "resumed", None, "the far end took the call off hold")
            return

    def _transfer_unanswered(self, now: float) -> bool:
        """The target of a transfer rang for the plan's whole ring timeout: a caller would give up."""
        if self.transfers is None or not self.transfers.hops:
            return False
        hop = self.transfers.hops[-1]
        return (hop.answered_at is None and hop.ended_at is None
                and now - hop.requested_at >= self.plan.ring_timeout_s)

    def _perform(self, index: int, caller_rec: Any, now: float) -> None:
        step = self.runner.progress[index].step
        if step.action == "dtmf":
            self.note(now, "DTMF_sent", None, step.value)
            try:
                self.call.dialDtmf(step.value)        # RFC 4733 telephone-events in the RTP
            except pj.Error:
                info = pj.CallSendDtmfParam()         # far end offered no telephone-event: SIP INFO
                info.method, info.digits = pj.PJSUA_DTMF_METHOD_SIP_INFO, step.value
                try:
                    self.call.sendDtmf(info)
                    self.note(time.time(), "DTMF_sent_info", None, step.value)
                except pj.Error as error:
                    self.note(time.time(), "DTMF_failed", None, error.reason)
            self.runner.fired(index, now, 0.0)
        elif step.action == "say":
            line = self.lines[index]
            player = pj.AudioMediaPlayer()
            player.createPlayer(str(line.wav), pj.PJMEDIA_FILE_NO_LOOP)
            if self.call_media is not None:
                player.startTransmit(self.call_media)
            player.startTransmit(caller_rec)
            self.players.append(player)
            self.held.append(player)
            self.note(now, "SAY_started", None, f"{line.seconds:.2f}s {step.value[:60]}")
            self.runner.fired(index, now, line.seconds)
        elif step.action == "hangup":
            self.runner.fired(index, now, 0.0)
            self._hangup("plan", now)
        self.note(now, f"step:{step.on}", None, f"#{index} {step.action}")

    def _hangup(self, reason: str, now: float) -> None:
        if self.local_hangup or self.call is None:
            return
        self.local_hangup = reason
        self.facts.remote_bye = False
        if self.facts.answered_s is not None:
            kind = "BYE_sent"
        else:  # RFC 3261: no CANCEL before a provisional response; pjsip just abandons the INVITE
            kind = "CANCEL_sent" if self.facts.first_response_s is not None else "INVITE_abandoned"
        self.note(now, kind, None, reason)
        if self._quiet_before_hangup():
            self.hangup_due = now + QUIET_BEFORE_HANGUP_S   # the loop sends it (other sessions go on meanwhile)
            self.quiet_from_tick = len(self.ticks)
        else:
            self._send_hangup(now)

    def _quiet_done(self, now: float) -> bool:
        """The bridge has ticked QUIET_TICKS times since our players were disconnected (a starved clock
        thread applies the change late), and QUIET_BEFORE_HANGUP_S has passed; or it stopped ticking."""
        assert self.hangup_due is not None
        ticked = len(self.ticks) - self.quiet_from_tick >= QUIET_TICKS
        return now >= self.hangup_due and (ticked or now >= self.hangup_due + QUIET_MAX_WAIT_S)

    def _send_hangup(self, now: float) -> None:
        self.hangup_due = None
        for leg in self._live_legs():     # after a transfer, a leg still up ends with the call
            try:
                leg.hangup(pj.CallOpParam())
            except pj.Error as error:
                self.note(now, "hangup_failed", None, error.reason)

    def _live_legs(self) -> list[Any]:
        if self.transfers is None:
            return [self.call] if self.call is not None else []
        legs = [self.call, *(h.from_leg for h in self.transfers.hops), *(h.to_leg for h in self.transfers.hops)]
        unique = [leg for i, leg in enumerate(legs) if leg is not None and all(leg is not o for o in legs[:i])]
        return self.transfers.live_legs(unique)

    def _quiet_before_hangup(self) -> bool:
        """Stop our players feeding the call's stream; True when the bridge must apply it before the hang-up
        (QUIET_TICKS of its ticks, and QUIET_BEFORE_HANGUP_S: a clock thread starved on busy cores ticks late).

        pjsip 2.15 applies conference changes late: a stream torn down by the hang-up could still be
        fed a frame by the bridge, whose send on the closed RTP socket aborts the process (an assertion
        in pj_ioqueue_sendto, about 1 call in 300 at 50 at once).
        """
        if self.call_media is None or not self.players:
            return False
        disconnect(tuple(self.players), (self.call_media,))
        return True

    def _rtp_packets(self) -> int:
        try:
            return int(self.call.getStreamStat(0).rtcp.rxStat.pkt)
        except pj.Error:
            return -1

    def release(self) -> Generator[None, None, None]:
        """Hang up what is still up (the loop was interrupted) and let go of the call's media; the endpoint
        itself is destroyed by mystery.dial.calls, after every session's release."""
        if self.call is not None and self.disconnected_at is None:
            for leg in self._live_legs():
                with contextlib.suppress(pj.Error):
                    leg.hangup(pj.CallOpParam())
            end = time.time() + 0.3
            while time.time() < end:
                yield
        self.recorders = ()
        self.players = []
        self.call_media = None
        self.call = None
        if self.journal is not None:
            self.journal.close()
