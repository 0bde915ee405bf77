"""Held-out corpus calls streamed by a SIPp UAS and dialled with `mystery call --json` (issue 14 acceptance).

Why: a file analysed offline is not a call. Here SIPp answers and streams (rtp_stream, PCMA) the callee side
of a held-out call from its answer on; the dialer records it, speaks on its live `human_reached` cue and
analyses the recording after hang-up (each call is its own line: a new user's first call, empty library).
Per call and in total it prints:
- time to a person against the truth = SIPp's 200 OK (its message trace) + the file's labelled first word;
- the live cue: a false fire is one before the person's first word (or any fire on a call with no person),
  a miss is no fire within 1.5 s after the person's first turn ends.
Calls run one at a time in real time (a 40-call set takes about 25 minutes); run it alone.

    python benchmarks/bench_audio_corpus_e2e.py [--calls 0-7] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from audio_corpus.build import CALLS_PER_HALF  # noqa: E402
from bench_live_cue import corpus_callee  # noqa: E402
from dial.conftest import dialer_env, free_port_pair, free_udp, parse_sipp_trace  # noqa: E402

SCENARIO = ROOT / "tests" / "dial" / "scenarios" / "uas_answer_stream.xml"
SAY = "Hello, I would like to book a double room for Friday, please."
CUE_MISS_S = 1.5


def stream_file(call: Any, callee: Any, workdir: Path) -> tuple[Path, float, float]:
    """The callee side from the answer on as raw A-law; (file, seconds, ringback seconds). On a mono call
    `callee` is the callee alone (bench_live_cue.corpus_callee): the caller's recorded lines are not the
    callee's, and the dialer speaks its own."""
    ring = next((end for label, _, end in call.truth if label == "ringback"), 0.0)
    wav, raw = workdir / f"{call.name}.wav", workdir / f"{call.name}.al"
    soundfile.write(wav, callee[int(round(ring * 8000)):], 8000, subtype="PCM_16")
    subprocess.run(["sox", str(wav), "-t", "al", "-r", "8000", "-c", "1", str(raw)], check=True)
    return raw, call.duration_s - ring, ring


def dial(call: Any, callee: Any, workdir: Path) -> dict[str, Any]:
    raw, seconds, ring = stream_file(call, callee, workdir)
    answer_ms = max(300, int(ring * 1000))
    text = SCENARIO.read_text()
    for key, value in {"RING_MS": 100, "RING_MAX_MS": 100, "ANSWER_MS": answer_ms, "ANSWER_MAX_MS": answer_ms,
                       "STREAM": raw}.items():
        text = text.replace(f"@{key}@", str(value))
    sippdir = workdir / f"sipp-{call.name}"
    sippdir.mkdir()
    (sippdir / "scenario.xml").write_text(text)
    port, media, trace = free_udp(), free_port_pair(), sippdir / "messages.log"
    sipp = subprocess.Popen(["sipp", "-sf", "scenario.xml", "-i", "127.0.0.1", "-p", str(port), "-mp", str(media),
                             "-m", "1", "-nostdin", "-trace_msg", "-message_file", str(trace), "-timeout", "300s"],
                            cwd=sippdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.2)
    env = dialer_env(workdir)   # recordings, store and fingerprints under workdir; this checkout's code
    done = subprocess.run([sys.executable, "-m", "mystery", "call", f"sip:hotel@127.0.0.1:{port}", "--json",
                           "--say", f"{SAY}@human_reached", "--hangup-after", f"{seconds + 0.5:.1f}",
                           "--max-seconds", f"{ring + seconds + 30:.0f}", "--line", call.name],
                          capture_output=True, text=True, env=env, cwd=workdir, timeout=seconds + 120)
    sipp.wait(timeout=30)
    if done.returncode != 0:
        return {"name": call.name, "error": done.stderr.strip().splitlines()[-1:]}
    r = json.loads(done.stdout)
    messages = parse_sipp_trace(trace)
    invite = next(m.t for m in messages if not m.sent and m.method == "INVITE")
    ok = next(m.t for m in messages if m.sent and m.code == 200) - invite
    truth = None if call.human_start_s is None else round(ok + call.human_start_s - ring, 3)
    turn_end = call.details.get("first_turn_end_s")
    steps = r["extra"].get("steps") or [{}]
    fired = steps[0].get("fired_t_s")
    false_fire = fired is not None and (truth is None or fired < truth)
    miss = truth is not None and turn_end is not None and (fired is None or fired > ok + turn_end - ring + CUE_MISS_S)
    got = r["time_to_human_s"]
    return {"name": call.name, "kind": call.kind, "answer_s": round(ok, 3), "true_tth_s": truth, "tth_s": got,
            "tth_error_s": None if truth is None or got is None else round(got - truth, 3),
            "cue_fired_t_s": fired, "cue_false_fire": false_fire, "cue_miss": miss,
            "cue_after_turn_s": None if fired is None or turn_end is None or false_fire
            else round(fired - (ok + float(turn_end) - ring), 3),
            "outcome": r["outcome"], "false_person": truth is None and got is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default=f"0-{CALLS_PER_HALF - 1}", help="held-out call indices, e.g. 0-7 or 1,5")
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args()
    if "-" in args.calls:
        lo, hi = map(int, args.calls.split("-"))
        indices = list(range(lo, hi + 1))
    else:
        indices = [int(i) for i in args.calls.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in indices:
            row = dial(*corpus_callee("heldout", index), Path(tmp))
            rows.append(row)
            print(json.dumps(row), flush=True)
    ok = [r for r in rows if "error" not in r]
    people = [r for r in ok if r["true_tth_s"] is not None]
    total = {
        "calls": len(rows), "failed_to_dial": len(rows) - len(ok), "calls_with_person": len(people),
        "within_0_5_s": sum(r["tth_error_s"] is not None and abs(r["tth_error_s"]) <= 0.5 for r in people),
        "persons_found": sum(r["tth_s"] is not None for r in people),
        "false_persons": sum(r["false_person"] for r in ok),
        "calls_without_person": len(ok) - len(people),
        "cue_false_fires": sum(r["cue_false_fire"] for r in ok),
        "cue_misses": sum(r["cue_miss"] for r in people),
    }
    print(json.dumps(total, indent=1))
    if args.json_out:
        args.json_out.write_text(json.dumps({"total": total, "calls": rows}, indent=1))


if __name__ == "__main__":
    main()
