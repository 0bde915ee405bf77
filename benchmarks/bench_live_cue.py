"""The dialer's live `human_reached` cue replayed offline on recorded calls, frame by frame (issue 14, part 3).

Why: the cue decides when the caller speaks; a false fire makes the caller talk into a queue and corrupts
the turn-taking evidence, a late one makes the person wait (the simulator's agent gives up after 3 s).
Streaming calls through SIP takes real time and a quiet machine; this replays the callee channel exactly
as the dialer feeds it (one 20 ms frame at a time, its level and its samples, from the answer on) through
the real `Listener` and `StepRunner`, with the caller's steps performed as the dialer performs them (a `say`
keeps the caller busy for its line's duration), so a whole set runs in seconds and needs no network.

Sets:
- `tuning`, `heldout`: issue 14's independent corpus (tests/audio_corpus), the callee side from the answer
  on as bench_audio_corpus_e2e.py streams it; the caller says a line on `human_reached`.
- `sim`: real SIP recordings of the simulator (benchmarks/collect_switchboard_calls.py OUT; pass OUT with
  --sim), with the steps tests/e2e/test_audio_vs_switchboard.py dials them with, truth from the simulator.
  After the recorded caller spoke, the recording holds the agent's reaction to that caller, not to the
  replayed one: a miss on a call whose recorded caller spoke before the replayed cue fired and before
  1.5 s after the greeting is also counted apart (misses_after_recorded_caller): it says nothing about
  the cue (the coordinator's live test is the judge there).

Counted per set: a false fire is a fire before the person's first word, or any fire on a call with no
person; a miss is no cue fire within 1.5 s after the person's first turn ends (a step's timeout_s fallback
is not a cue fire); latency is fire - end of the first turn. The baseline is main's listen.py, replayed in
the same run (`git show main:mystery/dial/listen.py`). CPU: process time of the replay per second of audio.

    python benchmarks/bench_live_cue.py --sets tuning,sim --sim /tmp/sim [--json out.json] [--per-call]
    python benchmarks/bench_live_cue.py --sets '' --live /tmp/sim   # the dialer's own fires, no replay
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from mystery.dial.steps import StepRunner  # noqa: E402
from mystery.scenario.plan import Step, parse_step  # noqa: E402

FRAME_S, RATE, FRAME = 0.02, 8000, 160
CUE_MISS_S = 1.5
LINE_S = 3.2          # the caller's line ("Hello, I would like to book a double room for Friday, please.")
SAY = {"action": "say", "value": "Hello, I would like to book a room.", "on": "human_reached", "offset_s": 0.3,
       "timeout_s": 45}
HANGUP = {"action": "hangup", "on": "prompt_ended", "offset_s": 1.0, "timeout_s": 10}
IVR_DTMF = {"action": "dtmf", "value": "1", "on": "prompt_ended", "offset_s": 0.3, "min_silence_ms": 900,
            "timeout_s": 12}
SIM_STEPS = {"direct": (SAY, HANGUP), "hold": (SAY, HANGUP), "ivr": (IVR_DTMF, SAY, HANGUP), "ivr-deadend": (
    {**IVR_DTMF, "value": "2"},), "voicemail": ({"action": "hangup", "on": "answered", "offset_s": 14.0},)}


@dataclass
class ReplayCall:
    """The callee side of one call from the answer on, and when its person spoke (seconds from the answer)."""

    name: str
    set: str
    kind: str
    callee: np.ndarray                 # int16, 8 kHz
    steps: tuple[Step, ...]
    person_start_s: float | None
    first_turn_end_s: float | None
    truth: list[tuple[str, float, float]]   # (label, start, end) of the callee's phases, from the answer
    recorded_caller_s: float | None = None  # sim: when the dialer that recorded the call first spoke


def _steps(*raw: dict[str, Any]) -> tuple[Step, ...]:
    return tuple(parse_step(s, "bench") for s in raw)


def _int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(x, np.float64) * 32767), -32768, 32767).astype(np.int16)


def corpus_callee(half: str, index: int) -> tuple[Any, np.ndarray]:
    """A corpus call (BuiltCall) and its callee side alone, float at 8 kHz from the first sample.

    Why: on a mono call the file's channel also holds the caller's recorded lines, which a live tap never
    hears (the dialer's own lines go out on the other direction). build_call sends the callee through the
    line first, then the caller: the first treated signal is the callee as the file has it.
    """
    import audio_corpus.build as build
    treated: list[np.ndarray] = []
    line = build.treat

    def keep(x: np.ndarray, *args: Any) -> np.ndarray:
        treated.append(line(x, *args))
        return treated[-1]

    build.treat = keep
    try:
        call = build.build_call(half, index)
    finally:
        build.treat = line
    if call.channel != "mono":
        return call, call.audio[:, 1 if call.channel == "right" else 0]
    return call, np.clip(treated[0], -1, 1)


def corpus_calls(half: str, indices: list[int] | None = None) -> Iterator[ReplayCall]:
    """Issue 14's corpus calls as bench_audio_corpus_e2e.py streams them: the callee side alone, from the end
    of the ringback (SIPp answers then)."""
    from audio_corpus.build import CALLS_PER_HALF
    for index in indices if indices is not None else range(CALLS_PER_HALF):
        call, callee = corpus_callee(half, index)
        ring = next((end for label, _, end in call.truth if label == "ringback"), 0.0)
        turn_end = call.details.get("first_turn_end_s")
        yield ReplayCall(call.name, half, call.kind, _int16(callee[int(round(ring * RATE)):]),
                         _steps(SAY, HANGUP), None if call.human_start_s is None else call.human_start_s - ring,
                         None if turn_end is None else float(turn_end) - ring,
                         [(label, s - ring, e - ring) for label, s, e in call.truth if e > ring])


def _wall(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def sim_calls(folder: Path) -> Iterator[ReplayCall]:
    """Simulator calls collected by benchmarks/collect_switchboard_calls.py, from the answer on."""
    import soundfile
    truth = {}
    for line in (folder / "truth.jsonl").read_text().splitlines():
        record = json.loads(line)
        truth[record["call_id"]] = record
    for line in (folder / "results.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r.get("time_to_answer_s") is None or r["call_id"] not in truth:
            continue
        audio, rate = soundfile.read(r["recording"], dtype="int16")
        assert rate == RATE
        origin = _wall(r["started_at"]) + r["recording_offset_s"]     # wall time of the recording's first sample
        answer = r["time_to_answer_s"] - r["recording_offset_s"]       # recording time
        speech = sorted((p for p in truth[r["call_id"]]["phases"] if p["name"] == "agent_speech"),
                        key=lambda p: p["start"])
        group = r["call_id"].split("-", 1)[1].rsplit("-", 1)[0]
        caller = sorted(p["start"] for p in truth[r["call_id"]]["phases"] if p["name"] == "caller_speech")
        yield ReplayCall(r["call_id"], "sim", group, audio[int(round(answer * RATE)):, 1], _steps(*SIM_STEPS[group]),
                         speech[0]["start"] - origin - answer if speech else None,
                         speech[0]["end"] - origin - answer if speech else None,
                         [(p["name"], p["start"] - origin - answer, p["end"] - origin - answer)
                          for p in truth[r["call_id"]]["phases"]], caller[0] - origin - answer if caller else None)


def live_rows(folder: Path) -> list[dict[str, Any]]:
    """The cue as the dialer itself fired it on calls collected by collect_switchboard_calls.py (no replay):
    the `human_reached` step's event time from the call result, against the simulator's truth."""
    truth = {}
    for line in (folder / "truth.jsonl").read_text().splitlines():
        record = json.loads(line)
        truth[record["call_id"]] = record
    rows = []
    for line in (folder / "results.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r.get("time_to_answer_s") is None or r["call_id"] not in truth:
            continue
        t0 = _wall(r["started_at"])
        speech = sorted((p for p in truth[r["call_id"]]["phases"] if p["name"] == "agent_speech"),
                        key=lambda p: p["start"])
        person, turn_end = (speech[0]["start"] - t0, speech[0]["end"] - t0) if speech else (None, None)
        step = next((s for s in r["extra"]["steps"] if s["on"] == "human_reached"), None)
        fire = step["event_t_s"] if step and step["fired_by"] == "human_reached" else None
        false_fire = fire is not None and (person is None or fire < person)
        miss = turn_end is not None and (fire is None or fire > turn_end + CUE_MISS_S)
        rows.append({"name": r["call_id"], "kind": r["call_id"].split("-", 1)[1].rsplit("-", 1)[0],
                     "seconds": r.get("duration_s") or 0.0, "person_s": person, "turn_end_s": turn_end,
                     "fire_s": fire, "false_fire": false_fire, "miss": miss, "miss_after_recorded_caller": False,
                     "latency_s": None if fire is None or turn_end is None or false_fire
                     else round(fire - turn_end, 2)})
    return rows


def load_listen(ref: str | None) -> ModuleType:
    """listen.py of this checkout (ref None) or of a git ref, e.g. the baseline `main`."""
    if ref is None:
        import mystery.dial.listen as module
        return module
    source = subprocess.run(["git", "show", f"{ref}:mystery/dial/listen.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / f"listen_{ref.replace('/', '_')}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module     # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _feeds_samples(listen: ModuleType) -> bool:
    import inspect
    return len(inspect.signature(listen.Listener.feed).parameters) > 3


def replay(call: ReplayCall, listen: ModuleType) -> dict[str, Any]:
    """Feed the call to a Listener frame by frame as the dialer does; when does `human_reached` fire?"""
    listener = listen.Listener(-45.0)
    runner = StepRunner(call.steps, listener)
    runner.on_answered(0.0)
    cue = next((i for i, s in enumerate(call.steps) if s.on == "human_reached"), None)
    with_samples = _feeds_samples(listen)
    detected: float | None = None
    fired_by = ""
    pcm = call.callee
    frames = len(pcm) // FRAME
    for i in range(frames):
        t = (i + 1) * FRAME_S
        chunk = pcm[i * FRAME:(i + 1) * FRAME].tobytes()
        level = listen.frame_dbfs(chunk)
        if with_samples:
            listener.feed(t, level, chunk)
        else:
            listener.feed(t, level)
        for index in runner.due(t):
            step = runner.progress[index].step
            runner.fired(index, t, LINE_S if step.action == "say" else 0.0)
        if cue is not None and detected is None and runner.progress[cue].event_at is not None:
            detected, fired_by = t, runner.progress[cue].fired_by
            if fired_by != "human_reached":
                detected = None
                fired_by = "timeout_s"
                break
    fire = detected if fired_by == "human_reached" else None
    false_fire = fire is not None and (call.person_start_s is None or fire < call.person_start_s)
    miss = call.first_turn_end_s is not None and (fire is None or fire > call.first_turn_end_s + CUE_MISS_S)
    # sim: the agent reacted to the caller who dialled the call; once that caller has spoken, the recording
    # is no longer what the replayed caller would hear, so a miss after that moment is not the cue's
    spoke = call.recorded_caller_s
    shaped = (miss and spoke is not None and call.first_turn_end_s is not None
              and spoke < call.first_turn_end_s + CUE_MISS_S and (fire is None or fire > spoke))
    return {"name": call.name, "kind": call.kind, "seconds": round(frames * FRAME_S, 2),
            "person_s": None if call.person_start_s is None else round(call.person_start_s, 2),
            "turn_end_s": None if call.first_turn_end_s is None else round(call.first_turn_end_s, 2),
            "fire_s": None if fire is None else round(fire, 2), "false_fire": false_fire, "miss": miss,
            "miss_after_recorded_caller": shaped,
            "latency_s": None if fire is None or call.first_turn_end_s is None or false_fire
            else round(fire - call.first_turn_end_s, 2)}


def score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    people = [r for r in rows if r["turn_end_s"] is not None]
    lat = np.array([r["latency_s"] for r in people if r["latency_s"] is not None])
    return {"calls": len(rows), "with_person": len(people), "false_fires": sum(r["false_fire"] for r in rows),
            "false_fires_no_person": sum(r["false_fire"] for r in rows if r["turn_end_s"] is None),
            "misses": sum(r["miss"] for r in people),
            "misses_after_recorded_caller": sum(r["miss_after_recorded_caller"] for r in people),
            "latency_p50_s": None if not len(lat) else round(float(np.percentile(lat, 50)), 2),
            "latency_p95_s": None if not len(lat) else round(float(np.percentile(lat, 95)), 2),
            "latency_max_s": None if not len(lat) else round(float(lat.max()), 2)}


def run_set(calls: list[ReplayCall], listen: ModuleType) -> tuple[list[dict[str, Any]], float]:
    start = time.process_time()
    rows = [replay(c, listen) for c in calls]
    cpu = time.process_time() - start
    audio = sum(r["seconds"] for r in rows)
    return rows, cpu / max(audio, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="tuning,sim", help="comma list of tuning, heldout, sim")
    parser.add_argument("--sim", type=Path, help="folder written by collect_switchboard_calls.py")
    parser.add_argument("--live", type=Path, action="append", default=[],
                        help="also score the cue as the dialer fired it on these collected simulator calls")
    parser.add_argument("--baseline", default="main", help="git ref of the baseline listen.py ('' for none)")
    parser.add_argument("--json", dest="json_out", type=Path)
    parser.add_argument("--per-call", action="store_true")
    args = parser.parse_args()
    loaders: dict[str, Callable[[], list[ReplayCall]]] = {
        "tuning": lambda: list(corpus_calls("tuning")), "heldout": lambda: list(corpus_calls("heldout")),
        "sim": lambda: list(sim_calls(args.sim)) if args.sim else []}
    variants = {"current": load_listen(None)}
    if args.baseline:
        try:
            variants["baseline"] = load_listen(args.baseline)
        except subprocess.CalledProcessError:
            print(f"no baseline: git has no {args.baseline}:mystery/dial/listen.py here", file=sys.stderr)
    report: dict[str, Any] = {}
    for name in filter(None, args.sets.split(",")):
        calls = loaders[name]()
        if not calls:
            print(f"{name:8s} no calls (the sim set needs --sim DIR from collect_switchboard_calls.py)")
            continue
        for variant, listen in variants.items():
            rows, cpu = run_set(calls, listen)
            report[f"{name}/{variant}"] = {**score(rows), "cpu_s_per_audio_s": round(cpu, 5)}
            if args.per_call:
                for r in rows:
                    if r["false_fire"] or r["miss"] or variant == "current":
                        print(variant, json.dumps(r))
            print(f"{name:8s} {variant:9s}", json.dumps(report[f"{name}/{variant}"]), flush=True)
            report[f"{name}/{variant}"]["calls_detail"] = rows
    for folder in args.live:
        rows = live_rows(folder)
        report[f"live:{folder}"] = {**score(rows), "calls_detail": rows}
        print(f"live {folder}", json.dumps(score(rows)), flush=True)
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
