"""Dialer worker process: a call plan (JSON) on stdin or in a file, the CallResult (JSON) on stdout.

    python -m mystery.dial.worker [--call-id ID] [PLAN.json]
    python -m mystery.dial.worker --call-id A --call-id B ...      # a JSON list of 2 to 4 plans on stdin
    python -m mystery.dial.worker --warm        # prints `ready` once imported, then reads its plans (a list)

Exit 0 with a result for every outcome the far end or the network produces; exit 2 with
one line on stderr for bad input (malformed URI, unreadable WAV, SIP port in use), before
any recording is written. pjsip's own console output goes to stderr so stdout stays JSON.
With several plans (one account), the calls are placed together in this process
(mystery.dial.calls) and stdout has one result line per call, in the plans' order. A warm worker
(mystery.dial.runner.Packer) is started before its calls are due, so that the interpreter's start-up
and imports (about 0.25 CPU s) are paid before the INVITE and not while other calls are on the line.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from mystery.scenario.plan import CallPlan, parse_plan, say_is_file
from mystery_core.errors import EXIT_BAD_INPUT, InputError

READY = "ready"   # a warm worker's first line on stdout


def check_lines(plan: CallPlan, where: str = "steps[{index}].value") -> None:
    """Refuse unreadable WAV files before anything is created (`where` names the input)."""
    from mystery.dial.speech import check_wav

    for index, step in enumerate(plan.steps):
        if step.action == "say" and say_is_file(step.value):
            check_wav(step.value, where.format(index=index))


def prepare_lines(plan: CallPlan, workdir: Path) -> dict:
    """Every `say` step as an 8 kHz WAV (text rendered by espeak-ng), keyed by step index."""
    from mystery.dial.session import Line
    from mystery.dial.speech import cached_text, to_telephone_wav, wav_seconds

    lines = {}
    for index, step in enumerate(plan.steps):
        if step.action != "say":
            continue
        if say_is_file(step.value):
            wav = to_telephone_wav(Path(step.value), workdir / f"line{index}.wav")
        else:
            wav = cached_text(step.value, workdir / f"line{index}.wav", voice=plan.voice)
        lines[index] = Line(wav, wav_seconds(wav))
    return lines


def run(plan: CallPlan) -> dict:
    """Place the call described by `plan` in this process; returns the result as JSON data."""
    return run_many([plan])[0]


def run_many(plans: list[CallPlan], on_done: Callable[[CallPlan, dict], None] | None = None) -> list[dict]:
    """Place every call of `plans` together in this process (mystery.dial.calls); `on_done` gets each
    result as its call ends (without `sip_messages`), the results come back in the plans' order."""
    for plan in plans:
        check_lines(plan)
    from mystery.dial.calls import run_sessions
    from mystery.dial.session import Session

    with tempfile.TemporaryDirectory(prefix="mystery-lines-") as tmp:
        sessions = []
        for n, plan in enumerate(plans):
            (Path(tmp) / str(n)).mkdir()
            sessions.append(Session(plan, prepare_lines(plan, Path(tmp) / str(n))))

        def stop(signum: int, frame: object) -> None:
            # hang up cleanly: the results are still printed and the recordings finished
            for session in sessions:
                session.stop_requested = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log_file = Path(plans[0].pjsip_log) if plans[0].pjsip_log and len(plans) == 1 else Path(tmp) / "pjsip.log"
        by_id = {plan.call_id: plan for plan in plans}
        done = (lambda result: on_done(by_id[result.call_id], result.to_json())) if on_done else (lambda result: None)
        results = run_sessions(sessions, log_file, done)
    return [result.to_json() for result in results]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # --call-id: started by a runner (mystery.dial.runner), which reads the result file this worker leaves if
    # the runner was stopped during the call; also a label for `ps` and for `campaign resume`. --warm: started
    # by a runner before its calls were known (their journals name this process instead)
    from_runner = argv[:1] in (["--call-id"], ["--warm"])
    warm = argv[:1] == ["--warm"]
    while argv[:1] == ["--call-id"]:
        argv = argv[2:]
    argv = argv[1:] if warm else argv
    # pjlib prints a banner on stdout before logging is configured: keep fd 1 for our JSON only
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    if warm:
        import mystery.dial.calls  # noqa: F401 - the imports a call needs, done before it is due
        import mystery.dial.speech  # noqa: F401

        out.write(READY + "\n")
        out.flush()
    try:
        source = argv[0] if argv else "stdin"
        try:
            text = Path(argv[0]).read_text(encoding="utf-8") if argv else sys.stdin.read()
        except OSError as error:
            raise InputError(source, None, f"cannot read call plan: {error.strerror}") from None
        if warm and not text.strip():   # the runner ended without a call for this warm worker
            return 0
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"{source}:{error.lineno}", None, f"invalid JSON: {error.msg}") from None
        plans = [parse_plan(item, f"{source}[{n}]") for n, item in enumerate(data)] if isinstance(data, list) \
            else [parse_plan(data, source)]
        from mystery.dial.journal import journal_path, write_result

        # on disk as each call ends: a runner stopped (kill -9, reboot) meanwhile, or a crash of this process
        # during another of its calls, loses none of it
        results = run_many(plans, write_result if from_runner else None)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for plan, result in zip(plans, results, strict=True):
        if from_runner:
            write_result(plan, result)   # again, now with its SIP messages
        try:
            json.dump(result, out)
            out.write("\n")
            out.flush()
        except BrokenPipeError:   # the runner is gone (killed): the results wait on disk for `campaign resume`
            return 0
    # the results are out: the journals that would have stood in for them after a crash are no longer needed
    for plan in plans:
        journal_path(plan).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
