"""Dialer worker process: a call plan (JSON) on stdin or in a file, the CallResult (JSON) on stdout.

    python -m mystery.dial.worker [--call-id ID] [PLAN.json]

Exit 0 with a result for every outcome the far end or the network produces; exit 2 with
one line on stderr for bad input (malformed URI, unreadable WAV, SIP port in use), before
any recording is written. pjsip's own console output goes to stderr so stdout stays JSON.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from pathlib import Path

from mystery.scenario.plan import CallPlan, parse_plan, say_is_file
from mystery_core.errors import EXIT_BAD_INPUT, InputError


def check_lines(plan: CallPlan, where: str = "steps[{index}].value") -> None:
    """Refuse unreadable WAV files before anything is created (`where` names the input)."""
    from mystery.dial.speech import check_wav

    for index, step in enumerate(plan.steps):
        if step.action == "say" and say_is_file(step.value):
            check_wav(step.value, where.format(index=index))


def prepare_lines(plan: CallPlan, workdir: Path) -> dict:
    """Every `say` step as an 8 kHz WAV (text rendered by espeak-ng), keyed by step index."""
    from mystery.dial.session import Line
    from mystery.dial.speech import render_text, to_telephone_wav, wav_seconds

    lines = {}
    for index, step in enumerate(plan.steps):
        if step.action != "say":
            continue
        if say_is_file(step.value):
            wav = to_telephone_wav(Path(step.value), workdir / f"line{index}.wav")
        else:
            wav = render_text(step.value, workdir / f"line{index}.wav", voice=plan.voice)
        lines[index] = Line(wav, wav_seconds(wav))
    return lines


def run(plan: CallPlan) -> dict:
    """Place the call described by `plan` in this process; returns the result as JSON data."""
    check_lines(plan)
    from mystery.dial.session import Session

    with tempfile.TemporaryDirectory(prefix="mystery-lines-") as tmp:
        lines = prepare_lines(plan, Path(tmp))
        session = Session(plan, lines)

        def stop(signum: int, frame: object) -> None:
            # hang up cleanly: the result is still printed and the recording finished
            session.stop_requested = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log_file = Path(plan.pjsip_log) if plan.pjsip_log else Path(tmp) / "pjsip.log"
        result = session.run(log_file)
    return result.to_json()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # --call-id: started by a runner (mystery.dial.runner), which reads the result file this worker leaves if
    # the runner was stopped during the call; also a label for `ps` and for `campaign resume`
    from_runner = argv[:1] == ["--call-id"]
    if from_runner:
        argv = argv[2:]
    # pjlib prints a banner on stdout before logging is configured: keep fd 1 for our JSON only
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    try:
        source = argv[0] if argv else "stdin"
        try:
            text = Path(argv[0]).read_text(encoding="utf-8") if argv else sys.stdin.read()
        except OSError as error:
            raise InputError(source, None, f"cannot read call plan: {error.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"{source}:{error.lineno}", None, f"invalid JSON: {error.msg}") from None
        plan = parse_plan(data, source)
        result = run(plan)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from mystery.dial.journal import journal_path, write_result

    # on disk first: a runner that was stopped (kill -9, reboot) during the call adopts it from there
    if from_runner:
        write_result(plan, result)
    try:
        json.dump(result, out)
        out.write("\n")
        out.flush()
    except BrokenPipeError:   # the runner is gone (killed): the result waits on disk for `campaign resume`
        return 0
    # the result is out: the journal that would have stood in for it after a crash is no longer needed
    journal_path(plan).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
