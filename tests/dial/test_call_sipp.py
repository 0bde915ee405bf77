"""`mystery call` against SIPp as an independent UAS: outcomes and timings vs SIPp's own clock."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

pytestmark = pytest.mark.sip

TOLERANCE_S = 0.020


def first(messages, *, sent: bool, code: int | None = None, method: str | None = None) -> float:
    for m in messages:
        if m.sent == sent and (code is None or m.code == code) and (method is None or m.method == method):
            return m.t
    raise AssertionError(f"no {'sent' if sent else 'received'} {code or method} in SIPp trace")


def wav_seconds(path: str) -> tuple[float, int]:
    with wave.open(path) as w:
        return w.getnframes() / w.getframerate(), w.getnchannels()


def event_kinds(result: dict) -> list[str]:
    return [e["kind"] for e in result["events"]]


@pytest.mark.timing
def test_delayed_answer_timings_match_sipp_within_20_ms(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_answer.xml", RING_MS=400, ANSWER_MS=1300)
    run = mystery_call(sipp.uri, "--hangup-after", "2")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    trace = sipp.messages()
    invite = first(trace, sent=False, method="INVITE")
    ringing = first(trace, sent=True, code=180)
    ok = first(trace, sent=True, code=200)
    bye = first(trace, sent=False, method="BYE")
    assert "answered" == r["outcome"]
    assert 200 == r["sip_status"]
    assert "sip" == r["talk_basis"]
    assert "caller" == r["hangup_by"]
    assert abs(r["pdd_s"] - (ringing - invite)) <= TOLERANCE_S
    assert abs(r["time_to_answer_s"] - (ok - invite)) <= TOLERANCE_S
    assert abs(r["ring_s"] - (ok - ringing)) <= TOLERANCE_S
    assert abs(r["talk_s"] - (bye - ok)) <= TOLERANCE_S
    for kind in ("INVITE", "100", "180", "200", "BYE_sent"):
        assert kind in event_kinds(r)


def test_recording_is_two_aligned_channels_as_long_as_the_call(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_answer.xml", RING_MS=100, ANSWER_MS=400)
    run = mystery_call(sipp.uri, "--say", "Hello, I would like to book a room@0.3", "--hangup-after", "3")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    seconds, channels = wav_seconds(r["recording"])
    assert 2 == channels
    call_s = r["duration_s"] - r["recording_offset_s"]
    assert abs(seconds - call_s) <= 0.2
    assert Path(r["recording"]).parent == Path(run.result["recording"]).parent
    # caller speech on the left only after the answer; callee (SIPp's pcap) on the right
    with wave.open(r["recording"]) as w:
        import array

        frames = array.array("h", w.readframes(w.getnframes()))
    left, right = frames[0::2], frames[1::2]
    answer = int((r["time_to_answer_s"] - r["recording_offset_s"]) * 8000)
    assert max(abs(s) for s in left[: answer - 800]) == 0          # silence while ringing
    assert max(abs(s) for s in left[answer:]) > 1000                # the line we said
    assert max(abs(s) for s in right[answer + 2400:]) > 1000        # the callee's audio


def test_busy_is_an_outcome_with_exit_0(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_busy.xml", RING_MS=250, CODE=486, REASON="Busy Here")
    run = mystery_call(sipp.uri)
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    assert ("busy", 486, "Busy Here") == (r["outcome"], r["sip_status"], r["sip_reason"])
    assert r["pdd_s"] is None and r["time_to_answer_s"] is None and r["talk_s"] is None
    assert Path(r["recording"]).exists()


def test_decline_is_rejected_with_its_code(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_busy.xml", RING_MS=50, CODE=603, REASON="Decline")
    run = mystery_call(sipp.uri)
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    assert ("rejected", 603) == (run.result["outcome"], run.result["sip_status"])


def test_server_error_is_failed(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_busy.xml", RING_MS=50, CODE=503, REASON="Service Unavailable")
    run = mystery_call(sipp.uri)
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    assert ("failed", 503) == (run.result["outcome"], run.result["sip_status"])


def test_no_answer_cancels_at_ring_timeout(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_ring_forever.xml", RING_MS=300)
    run = mystery_call(sipp.uri, "--ring-timeout", "2.5")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    trace = sipp.messages()
    invite = first(trace, sent=False, method="INVITE")
    ringing = first(trace, sent=True, code=180)
    cancel = first(trace, sent=False, method="CANCEL")
    assert "no_answer" == r["outcome"]
    assert "timeout" == r["hangup_by"]
    assert 487 == r["sip_status"]
    assert abs(r["pdd_s"] - (ringing - invite)) <= TOLERANCE_S
    assert abs((cancel - invite) - 2.5) <= TOLERANCE_S
    assert "CANCEL_sent" in event_kinds(r)


def test_callee_hanging_up_before_the_script_ends_is_dropped(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_hangs_up.xml", RING_MS=200, TALK_MS=1500)
    run = mystery_call(sipp.uri, "--dtmf", "1@5")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    trace = sipp.messages()
    assert ("dropped", "callee") == (r["outcome"], r["hangup_by"])
    assert abs(r["talk_s"] - (first(trace, sent=True, method="BYE") - first(trace, sent=True, code=200))) <= TOLERANCE_S
    assert "BYE_received" in event_kinds(r)


def test_callee_hanging_up_after_the_script_is_a_normal_end(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_hangs_up.xml", RING_MS=200, TALK_MS=1500)
    run = mystery_call(sipp.uri, "--dtmf", "1@0.5")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    assert ("answered", "callee") == (run.result["outcome"], run.result["hangup_by"])


def test_nothing_listening_is_failed_without_response(mystery_call, free_udp_port):
    run = mystery_call(f"sip:hotel@127.0.0.1:{free_udp_port}", "--ring-timeout", "1.5")
    assert 0 == run.returncode, run.stderr
    r = run.result
    assert ("failed", None) == (r["outcome"], r["sip_status"])
    assert "no response" in r["sip_reason"]
    assert r["duration_s"] == pytest.approx(1.5, abs=0.05)


def test_unresolvable_host_is_failed(mystery_call):
    run = mystery_call("sip:hotel@no-such-host.invalid", "--ring-timeout", "3")
    assert 0 == run.returncode, run.stderr
    assert "failed" == run.result["outcome"]
    assert run.result["sip_reason"]


def test_early_media_is_recorded_and_counts_as_post_dial_delay(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_early_media.xml", RING_MS=300, ANSWER_MS=3000)
    run = mystery_call(sipp.uri, "--dtmf", "1@early_media+0.5", "--hangup-after", "1")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    trace = sipp.messages()
    invite = first(trace, sent=False, method="INVITE")
    assert abs(r["pdd_s"] - (first(trace, sent=True, code=183) - invite)) <= TOLERANCE_S
    assert abs(r["time_to_answer_s"] - (first(trace, sent=True, code=200) - invite)) <= TOLERANCE_S
    media = [e for e in r["events"] if e["kind"] == "media_active"]
    assert "early media" == media[0]["detail"]
    step = r["extra"]["steps"][0]
    assert step["fired_t_s"] < r["time_to_answer_s"]              # DTMF went out before the answer
    with wave.open(r["recording"]) as w:
        import array

        frames = array.array("h", w.readframes(w.getnframes()))
    right = frames[1::2]
    start = int((r["pdd_s"] + 0.5 - r["recording_offset_s"]) * 8000)
    end = int((r["time_to_answer_s"] - r["recording_offset_s"]) * 8000)
    assert max(abs(s) for s in right[start:end]) > 1000             # early media on the callee channel


def test_dtmf_falls_back_to_sip_info_without_telephone_event(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_answer_info_dtmf.xml", RING_MS=50, ANSWER_MS=100)
    run = mystery_call(sipp.uri, "--dtmf", "7@0.3", "--hangup-after", "1.5")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()                      # SIPp got the INFO it waited for
    info = [m for m in sipp.messages() if m.method == "INFO"]
    assert 1 == len(info)
    assert "Signal=7" in sipp.trace.read_text()
    assert "DTMF_sent_info" in event_kinds(run.result)


def test_sigterm_hangs_up_and_still_prints_the_result(sipp_uas, tmp_path):
    import json
    import signal
    import subprocess
    import sys
    import time

    from tests.dial.conftest import dialer_env

    sipp = sipp_uas("uas_answer.xml", RING_MS=50, ANSWER_MS=100)
    plan = {"uri": sipp.uri, "recordings_dir": str(tmp_path / "recordings"), "max_seconds": 30}
    worker = subprocess.Popen([sys.executable, "-m", "mystery.dial.worker"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dialer_env(tmp_path))
    assert worker.stdin is not None
    worker.stdin.write(json.dumps(plan))
    worker.stdin.close()
    time.sleep(2.5)
    worker.send_signal(signal.SIGTERM)
    assert worker.stdout is not None
    stdout = worker.stdout.read()
    assert 0 == worker.wait(timeout=20)
    assert 0 == sipp.wait()
    r = json.loads(stdout)
    assert ("answered", "stopped") == (r["outcome"], r["extra"]["end_reason"])
    assert [] == [p.name for p in (tmp_path / "recordings").iterdir() if p.name.startswith(".")]


def test_parallel_calls_with_similar_ids_keep_their_own_recordings(sipp_uas, tmp_path):
    import asyncio

    from mystery.dial import CallPlan, Step, run_call_async
    from mystery.dial.runner import DialerCrashed

    sipp = sipp_uas("uas_answer.xml", calls=3, RING_MS=50, ANSWER_MS=100)
    plans = [CallPlan(uri=sipp.uri, steps=(Step("hangup", on="answered", offset_s=1.0),),
                      recordings_dir=str(tmp_path / "recordings"), call_id=f"campaign-frontdesk-{n}")
             for n in range(3)]

    async def dial(plan):  # type: ignore[no-untyped-def]
        try:
            return await run_call_async(plan)
        except DialerCrashed as error:  # as the campaign runner does: the rare pjsua2 start-up crash
            if error.placed:
                raise
            return await run_call_async(plan)

    async def dial_all():
        return await asyncio.gather(*(dial(plan) for plan in plans))

    results = asyncio.run(dial_all())
    assert 0 == sipp.wait()
    assert ["answered"] * 3 == [r.outcome for r in results], [(r.outcome, r.sip_status, r.sip_reason, r.extra.get(
        "end_reason"), r.extra.get("sip_messages")) for r in results]
    assert 3 == len({r.recording for r in results})
    assert all(Path(r.recording).exists() for r in results)


def test_a_dialer_killed_after_placing_its_call_is_never_dialled_again(sipp_uas, tmp_path):
    """A real worker, SIGKILLed once SIPp has its INVITE: the crash says the call was placed (the client's
    phone may have rung), and the campaign runner does not dial it a second time. A worker that dies
    after printing its result (pjsua2's teardown at exit) still gives that result."""
    import asyncio
    import json
    import signal
    import subprocess
    import time

    from mystery.dial import CallPlan, Step
    from mystery.dial.runner import WORKER, DialerCrashed, _plan_bytes, _result
    from mystery.pipeline.runner import CrashedCall, run_calls

    sipp = sipp_uas("uas_answer.xml", calls=1, RING_MS=3000, ANSWER_MS=100)
    plan = CallPlan(uri=sipp.uri, steps=(Step("hangup", on="answered", offset_s=0.5),),
                    recordings_dir=str(tmp_path / "recordings"), call_id="killed-after-invite")
    worker = subprocess.Popen(WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    worker.stdin.write(_plan_bytes(plan))  # type: ignore[union-attr]
    worker.stdin.close()  # type: ignore[union-attr]
    deadline = time.time() + 20
    while not any(m.method == "INVITE" for m in sipp.messages()) and time.time() < deadline:
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=20)
    stdout, stderr = worker.stdout.read(), worker.stderr.read()  # type: ignore[union-attr]
    with pytest.raises(DialerCrashed) as crash:
        _result(worker.returncode, stdout, stderr)
    assert crash.value.placed and "after placing the call" in str(crash.value)

    dialled: list[str] = []

    async def crashing_dialer(p):  # type: ignore[no-untyped-def]
        # the crash just produced, raised again: a real crash cannot be made to happen on cue
        dialled.append(p.call_id)
        raise crash.value

    lost: list[CrashedCall] = []
    assert [] == asyncio.run(run_calls([plan], 1, lambda r: None, dialer=crashing_dialer, crashed=lost))
    assert ["killed-after-invite"] == dialled and ["killed-after-invite"] == [c.plan.call_id for c in lost]

    # a result printed in full, then a crash at exit: the result stands
    printed = json.dumps({"call_id": "x", "target_uri": sipp.uri, "outcome": "answered",
                          "started_at": "2026-11-24T07:00:00Z"}).encode() + b"\n"
    kept = _result(-11, printed, b"Segmentation fault")
    assert ("answered", -11) == (kept.outcome, kept.extra["worker_exit"])
    with pytest.raises(DialerCrashed) as early:
        _result(-11, printed[:20], b"Segmentation fault")
    assert not early.value.placed


def test_the_callee_is_still_recorded_after_being_put_on_hold_and_resumed(sipp_uas, mystery_call):
    """SIPp puts the caller on hold (re-INVITE a=sendonly) 1.5 s after the answer and resumes 1.5 s later,
    then plays speech again: the callee channel carries that speech, both holds are in the events, and the
    caller's line said after the resume is recorded on the left channel."""
    import array

    sipp = sipp_uas("uas_hold_resume.xml", RING_MS=100, HOLD_AT_MS=1500, HOLD_MS=1500)
    run = mystery_call(sipp.uri, "--say", "Hello, I would like to book a room@4.0", "--hangup-after", "8")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    assert "answered" == r["outcome"]
    kinds = event_kinds(r)
    assert "held" in kinds and "resumed" in kinds[kinds.index("held"):]
    with wave.open(r["recording"]) as w:
        frames = array.array("h", w.readframes(w.getnframes()))
    left, right = frames[0::2], frames[1::2]
    answer = int((r["time_to_answer_s"] - r["recording_offset_s"]) * 8000)
    resumed = answer + int(3.5 * 8000)   # 1.5 s + 1.5 s on hold + 0.5 s for the re-INVITE round trips
    assert max(abs(s) for s in right[answer + 800:answer + 12000]) > 1000   # speech before the hold
    assert max(abs(s) for s in right[resumed:]) > 1000                      # and again after the resume
    assert max(abs(s) for s in left[answer + 4 * 8000:]) > 1000             # our line, said after the resume


def test_a_redirect_is_followed_to_its_target(sipp_uas, mystery_call):
    target = sipp_uas("uas_answer.xml", RING_MS=100, ANSWER_MS=200)
    mover = sipp_uas("uas_redirect.xml", TARGET=target.uri.replace("hotel@", "desk@"))
    run = mystery_call(mover.uri, "--hangup-after", "1")
    assert 0 == run.returncode, run.stderr
    assert 0 == mover.wait() and 0 == target.wait()
    r = run.result
    assert ("answered", 200) == (r["outcome"], r["sip_status"])
    redirected = [e for e in r["events"] if e["kind"] == "redirected"]
    assert [(302, target.uri.replace("hotel@", "desk@"))] == [(e["status"], e["detail"]) for e in redirected]
    assert "302" in event_kinds(r)


def test_a_redirect_back_to_the_same_uri_is_a_loop_and_ends_redirected(sipp_uas, mystery_call):
    mover = sipp_uas("uas_redirect.xml", TARGET="sip:hotel@[local_ip]:[local_port]")
    run = mystery_call(mover.uri)
    assert 0 == run.returncode, run.stderr
    assert 0 == mover.wait()
    r = run.result
    assert ("redirected", 302, "callee") == (r["outcome"], r["sip_status"], r["hangup_by"])
    assert r["sip_reason"].endswith(f"-> {mover.uri} (loop)"), r["sip_reason"]
    assert 1 == sum(1 for m in mover.messages() if m.method == "INVITE")


def test_a_redirect_not_to_be_followed_ends_redirected_with_its_target(sipp_uas, mystery_call):
    mover = sipp_uas("uas_redirect.xml", TARGET="sip:frontdesk@127.0.0.1:5999")
    run = mystery_call(mover.uri, "--no-follow-redirects")
    assert 0 == run.returncode, run.stderr
    assert 0 == mover.wait()
    r = run.result
    assert ("redirected", 302) == (r["outcome"], r["sip_status"])
    assert r["sip_reason"].endswith("-> sip:frontdesk@127.0.0.1:5999 (not followed)"), r["sip_reason"]


@pytest.mark.parametrize("scenario", ["uas_no_sdp.xml", "uas_g729_only.xml"])
def test_an_answer_we_cannot_take_media_from_is_failed_with_the_local_reason(sipp_uas, mystery_call, scenario):
    """A 200 without SDP, or with only a codec we lack: pjsip hangs up itself (BYE). That is no answered
    call: the outcome is `failed`, the hang-up is local, and the reason says why."""
    sipp = sipp_uas(scenario, RING_MS=100, ANSWER_MS=200)
    run = mystery_call(sipp.uri, "--hangup-after", "3")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    assert ("failed", "local_refusal", "caller") == (r["outcome"], r["extra"]["end_reason"], r["hangup_by"]), r
    assert r["sip_reason"].startswith("media refused by the dialer: "), r["sip_reason"]
    assert "BYE_sent" in event_kinds(r)


def test_a_200_without_a_to_tag_is_failed_not_answered(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_no_to_tag.xml", ANSWER_MS=200)
    run = mystery_call(sipp.uri, "--hangup-after", "3")
    assert 0 == run.returncode, run.stderr
    sipp.wait()  # its own verdict does not matter: it only plays the broken far end
    r = run.result
    assert ("failed", "protocol_error") == (r["outcome"], r["extra"]["end_reason"]), r
    assert "200 OK without a To tag (RFC 3261 12.1.2)" == r["sip_reason"]


def test_a_dialer_that_dies_mid_call_leaves_its_events_and_a_partial_recording(sipp_uas, tmp_path):
    """A real worker, SIGKILLed (as a SIGSEGV would end it) 1.5 s after the answer: the call rang and was
    answered, so it is stored, as outcome `unknown`, with the SIP events up to the crash and the audio the
    recorders had written; no journal or temporary file is left behind. The campaign runner stores it
    and counts one crash."""
    import asyncio
    import signal
    import subprocess
    import time

    from mystery.dial import CallPlan, Step
    from mystery.dial.journal import journal_path
    from mystery.dial.runner import WORKER, DialerCrashed, _plan_bytes, _settle
    from mystery.pipeline.runner import CrashedCall, run_calls

    sipp = sipp_uas("uas_answer.xml", calls=1, RING_MS=200, ANSWER_MS=300)
    plan = CallPlan(uri=sipp.uri, steps=(Step("hangup", on="answered", offset_s=20),),
                    recordings_dir=str(tmp_path / "recordings"), call_id="dies-mid-call")

    async def dial_and_kill(p):  # type: ignore[no-untyped-def]
        worker = subprocess.Popen(WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        worker.stdin.write(_plan_bytes(p))  # type: ignore[union-attr]
        worker.stdin.close()  # type: ignore[union-attr]
        deadline = time.time() + 20
        while not any(m.code == 200 for m in sipp.messages()) and time.time() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.5)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
        return _settle(p, worker.returncode, worker.stdout.read(), worker.stderr.read())  # type: ignore[union-attr]

    stored: list = []
    lost: list[CrashedCall] = []
    results = asyncio.run(run_calls([plan], 1, stored.append, dialer=dial_and_kill, crashed=lost))
    assert 1 == len(lost) and 1 == lost[0].crashes and results == stored == [lost[0].partial]
    call = stored[0]
    assert ("unknown", "crashed", True) == (call.outcome, call.extra["end_reason"], call.extra["recording_partial"])
    kinds = [e.kind for e in call.events]
    assert "INVITE" in kinds and "200" in kinds[kinds.index("INVITE"):], kinds
    seconds, channels = wav_seconds(call.recording)
    assert 2 == channels and 1.0 <= seconds <= 5.0
    with wave.open(call.recording) as w:
        import array

        frames = array.array("h", w.readframes(w.getnframes()))
    assert max(abs(s) for s in frames[1::2]) > 1000   # SIPp's speech, heard before the crash
    assert lost[0].describe().startswith("dialer crashed once on dies-mid-call (); stored as outcome unknown with ")
    assert not journal_path(plan).exists()
    assert [] == sorted(p.name for p in (tmp_path / "recordings").glob(".*"))
    with pytest.raises(DialerCrashed):  # what a caller that does not use the runner sees
        _settle(plan, -9, b"", b"mystery-dial: placing the call\n")


@pytest.mark.parametrize(("srtp", "outcome"), [("optional", "answered"), ("mandatory", "failed")])
def test_srtp_mandatory_refuses_a_far_end_without_it_and_optional_falls_back(sipp_uas, mystery_call, srtp, outcome):
    """SIPp answers plain RTP/AVP with no crypto: `optional` offers SRTP and takes the plain answer; `mandatory`
    offers only RTP/SAVP, so pjsip refuses the answer and the call is failed with the local reason."""
    sipp = sipp_uas("uas_answer.xml", RING_MS=100, ANSWER_MS=200)
    run = mystery_call(sipp.uri, "--hangup-after", "1", sip_srtp=srtp)
    assert 0 == run.returncode, run.stderr
    sipp.wait()
    r = run.result
    assert outcome == r["outcome"], r
    if outcome == "failed":
        assert "local_refusal" == r["extra"]["end_reason"]


def test_an_answer_over_the_sip_message_size_limit_is_failed_message_too_large(sipp_uas, mystery_call):
    """A 200 OK with a 10 kB header: pjsip reads its first 4000 bytes (its SDP is lost). Not an answered call,
    nor a codec refusal: `failed`, `message_too_large`, and the limit named."""
    sipp = sipp_uas("uas_too_large.xml", RING_MS=100, ANSWER_MS=200, PADDING="X-Padding: " + "a" * 10000)
    run = mystery_call(sipp.uri, "--hangup-after", "1")
    assert 0 == run.returncode, run.stderr
    sipp.wait()
    r = run.result
    assert ("failed", "message_too_large") == (r["outcome"], r["extra"]["end_reason"]), r
    assert "larger than the 4000-byte SIP message limit of pjsip (PJSIP_MAX_PKT_LEN)" in r["sip_reason"]


def test_a_fourth_redirect_is_not_followed(sipp_uas, mystery_call):
    """Four peers each answer 302 to the next: the dialer follows three hops and stops at the fourth."""
    last = "sip:frontdesk@127.0.0.1:5999"
    chain = []
    for _ in range(4):  # built from the end: each redirects to the one started before it
        mover = sipp_uas("uas_redirect.xml", TARGET=last)
        chain.append(mover)
        last = mover.uri.replace("hotel@", f"desk{len(chain)}@")
    first = chain[-1]
    run = mystery_call(first.uri)
    assert 0 == run.returncode, run.stderr
    r = run.result
    assert ("redirected", 302) == (r["outcome"], r["sip_status"]), r["sip_reason"]
    assert r["sip_reason"].endswith("-> sip:frontdesk@127.0.0.1:5999 (more than 3 hops)"), r["sip_reason"]
    assert 4 == sum(1 for e in r["events"] if e["kind"] == "redirected")
    assert all(0 == mover.wait() for mover in chain)


def test_the_callee_is_still_recorded_after_a_re_invite_with_new_sdp(sipp_uas, mystery_call):
    """A re-INVITE that renegotiates the media (a new SDP version, no hold) rebuilds the stream: the
    callee channel still carries the speech SIPp plays after it."""
    import array

    sipp = sipp_uas("uas_reinvite.xml", RING_MS=100, REINVITE_AT_MS=1500)
    run = mystery_call(sipp.uri, "--hangup-after", "6")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    assert "answered" == r["outcome"]
    with wave.open(r["recording"]) as w:
        frames = array.array("h", w.readframes(w.getnframes()))
    right = frames[1::2]
    after = int((r["time_to_answer_s"] - r["recording_offset_s"] + 2.5) * 8000)
    assert max(abs(s) for s in right[after:]) > 1000



@pytest.mark.parametrize(("ours", "theirs", "outcome"), [("mandatory", "mandatory", "answered"),
                                                        ("optional", "optional", "answered"),
                                                        ("optional", "mandatory", "rejected")])
def test_an_srtp_call_end_to_end_is_encrypted_and_recorded(pjsua_uas, mystery_call, ours, theirs, outcome):
    """A far end with SRTP (the tests' pjsua2 UAS) answers our SDES offer: the result says `srtp`, and the prompt it
    plays arrives decrypted in the callee channel (one side encrypting alone would leave it silent: SRTP
    authentication drops every packet). `optional` offers RTP/AVP with a=crypto (best-effort SRTP); a far end that
    insists on SRTP wants RTP/SAVP and refuses that offer with 488 (docs/dialer.md)."""
    import numpy as np
    import soundfile as sf

    uas = pjsua_uas(ring_ms=100, answer_ms=200, prompt="/usr/share/asterisk/sounds/en/hello-world.wav",
                    prompt_at=0.3, hangup_after=3, srtp=theirs, wait=10)
    run = mystery_call(uas.uri, "--max-seconds", "8", sip_srtp=ours)
    assert 0 == run.returncode, run.stderr
    r = run.result
    if outcome == "rejected":
        assert ("rejected", 488, False) == (r["outcome"], r["sip_status"], r["extra"]["srtp"])
        return
    log = uas.finish()
    assert ("answered", "callee", True) == (r["outcome"], r["hangup_by"], r["extra"]["srtp"]), r["sip_reason"]
    assert ("RTP/SAVP" if theirs == "mandatory" else "RTP/AVP") == log["media_proto"]
    samples, rate = sf.read(r["recording"], dtype="float64", always_2d=True)
    start = r["time_to_answer_s"] - r["recording_offset_s"] + 0.4
    prompt = samples[int(start * rate):int((start + 0.8) * rate), 1]
    assert 10 * np.log10(np.mean(prompt**2)) > -40


def test_a_plain_call_says_it_was_not_encrypted(sipp_uas, mystery_call):
    sipp = sipp_uas("uas_answer.xml", RING_MS=100, ANSWER_MS=200)
    run = mystery_call(sipp.uri, "--hangup-after", "1", sip_srtp="optional")
    assert 0 == run.returncode, run.stderr
    sipp.wait()
    assert ("answered", False) == (run.result["outcome"], run.result["extra"]["srtp"])


def test_the_callee_is_still_recorded_after_a_hold_and_resume_by_update(sipp_uas, mystery_call):
    """RFC 3311 UPDATE instead of re-INVITE: SIPp holds the call (a=sendonly) and resumes it with a new SDP version;
    the dialer notes both, and the speech SIPp plays after the resume is in the callee channel."""
    import array

    sipp = sipp_uas("uas_update_hold.xml", RING_MS=100, HOLD_AT_MS=1000, HOLD_MS=1000)
    run = mystery_call(sipp.uri, "--hangup-after", "6")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    kinds = [e["kind"] for e in r["events"]]
    assert "answered" == r["outcome"]
    assert 2 == kinds.count("UPDATE_received")
    assert kinds.index("held") < kinds.index("resumed")
    resumed = next(e["t_s"] for e in r["events"] if e["kind"] == "resumed")
    with wave.open(r["recording"]) as w:
        frames = array.array("h", w.readframes(w.getnframes()))
    right = frames[1::2]
    after = int((resumed - r["recording_offset_s"] + 0.5) * 8000)
    assert max(abs(s) for s in right[after:]) > 1000
