"""Analysis gives way to live calls: it runs at idle CPU priority unless told otherwise.

Each test runs in a fresh interpreter: a process cannot raise its priority back without
privileges, and the test runner must keep its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux-only")


def run_python(code: str, tmp_path: Path) -> dict:  # type: ignore[type-arg]
    """Run `code` in a fresh interpreter (cwd tmp_path); it prints one JSON line last."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert 0 == done.returncode, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_every_thread_and_child_moves_to_idle_priority(tmp_path: Path) -> None:
    seen = run_python("""
        import json, os, subprocess, sys, threading
        from mystery.pipeline.priority import read_thread_priorities, yield_cpu_to_calls
        stop = threading.Event()
        before = threading.Thread(target=stop.wait); before.start()   # e.g. a BLAS pool started on import
        change = yield_cpu_to_calls()
        after = threading.Thread(target=stop.wait); after.start()     # e.g. a speech model's threads
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        threads, child_threads = read_thread_priorities(os.getpid()), read_thread_priorities(child.pid)
        child.kill(); stop.set()
        print(json.dumps({"change": [change.policy, change.nice, change.threads, change.problem],
                          "cpus": list(change.cpus),
                          "threads": [[t.policy, t.nice, list(t.cpus)] for t in threads],
                          "child": [[t.policy, t.nice, list(t.cpus)] for t in child_threads]}))
    """, tmp_path)
    assert ["idle", 19, 2, ""] == seen["change"]
    assert [["idle", 19, seen["cpus"]]] * 3 == seen["threads"]
    assert [["idle", 19, seen["cpus"]]] == seen["child"]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to leave one free")
def test_one_cpu_is_left_to_the_calls(tmp_path: Path) -> None:
    allowed = os.sched_getaffinity(0)
    seen = run_python("""
        import json, os
        from mystery.pipeline.priority import yield_cpu_to_calls
        print(json.dumps(list(yield_cpu_to_calls().cpus)))
    """, tmp_path)
    assert len(allowed) - 1 == len(seen)
    assert set(seen) < allowed


def test_thread_priorities_of_a_process_that_has_gone_are_empty() -> None:
    from mystery.pipeline.priority import read_thread_priorities

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert [] == read_thread_priorities(child.pid)


# Runs a `mystery campaign` command with the dialling and the analysis replaced by probes that
# record the priority they run at; the command's own code (flags, order) is the real one.
PROBE = """
    import json, os, subprocess, sys, threading, time
    from click.testing import CliRunner
    import console.commands.campaign as command
    import mystery.pipeline.process as pipeline
    from mystery.pipeline.priority import read_thread_priorities
    from console.cli import main
    from mystery.store import repo
    from mystery_core.store.engine import open_store

    seen = {}
    dialer, started = None, time.monotonic()
    if os.environ.get("PROBE_LIVE_CALL_S"):  # a real dialer worker, waiting for its plan: a live call
        dialer = subprocess.Popen([sys.executable, "-m", "mystery.dial.worker"], stdin=subprocess.PIPE)
        call_ends = threading.Timer(float(os.environ["PROBE_LIVE_CALL_S"]), dialer.kill)
        call_ends.daemon = True
        call_ends.start()
    def probe(step):
        seen[step] = sorted({t.policy for t in read_thread_priorities(os.getpid())})
        if dialer is not None:
            seen["dialer_live"] = dialer.poll() is None
            seen["after_s"] = time.monotonic() - started
    def fake_dial(settings, scenario, name, concurrency, console, quiet_s=0.0):
        probe("dialling")
        return repo.create_campaign(open_store(settings.database_url), name, {}), []
    def fake_process(engine, settings, campaign_id, console, between_calls=lambda: None):
        probe("analysis")
        if os.environ.get("PROBE_CALL_DURING_ANALYSIS_S"):  # another campaign's call starts mid-analysis
            late = subprocess.Popen([sys.executable, "-m", "mystery.dial.worker"], stdin=subprocess.PIPE)
            threading.Timer(float(os.environ["PROBE_CALL_DURING_ANALYSIS_S"]), late.kill).start()
            time.sleep(0.5)
            t0 = time.monotonic()
            between_calls()  # what the pipeline runs after each call's analysis
            seen["paused_s"] = time.monotonic() - t0
            seen["late_call_live_after_pause"] = late.poll() is None
            late.kill()
        return []
    command.dial_scenario, pipeline.process_campaign = fake_dial, fake_process
    open("scenario.yaml", "w").write("name: probe\\nlines: {frontdesk: sip:frontdesk@127.0.0.1:5080}\\n"
                                      "calls: [{line: frontdesk, count: 1}]\\n")
    url = "sqlite:///" + os.path.abspath("probe.db")
    result = CliRunner().invoke(main, ["--database-url", url, "campaign", *sys.argv[1:]])
    if dialer is not None:
        dialer.kill()
    assert result.exit_code == 0, result.output + repr(result.exception)
    print(json.dumps(seen))
"""


def run_command(tmp_path: Path, *args: str, live_call_s: float = 0,  # type: ignore[type-arg]
                call_during_analysis_s: float = 0) -> dict:
    (tmp_path / "probe.py").write_text(textwrap.dedent(PROBE))
    env = {**os.environ, "PROBE_LIVE_CALL_S": str(live_call_s) if live_call_s else "",
           "PROBE_CALL_DURING_ANALYSIS_S": str(call_during_analysis_s) if call_during_analysis_s else ""}
    done = subprocess.run([sys.executable, "probe.py", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env=env)
    assert 0 == done.returncode, done.stderr + done.stdout
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --no-wait where the test is about priority: other programs may be placing calls on this machine


def test_campaign_run_dials_at_normal_priority_then_analyses_at_idle_priority(tmp_path: Path) -> None:
    seen = run_command(tmp_path, "run", "scenario.yaml", "--no-wait")
    assert {"dialling": ["normal"], "analysis": ["idle"]} == seen


def test_campaign_run_with_normal_priority_analyses_at_normal_priority(tmp_path: Path) -> None:
    seen = run_command(tmp_path, "run", "scenario.yaml", "--normal-priority", "--no-wait")
    assert {"dialling": ["normal"], "analysis": ["normal"]} == seen


def test_campaign_analyse_runs_at_idle_priority(tmp_path: Path) -> None:
    run_command(tmp_path, "run", "scenario.yaml", "--no-analysis")
    assert {"analysis": ["idle"]} == run_command(tmp_path, "analyse", "probe", "--no-wait")


def test_campaign_analyse_with_normal_priority_runs_at_normal_priority(tmp_path: Path) -> None:
    run_command(tmp_path, "run", "scenario.yaml", "--no-analysis")
    assert {"analysis": ["normal"]} == run_command(tmp_path, "analyse", "probe", "--normal-priority", "--no-wait")


def test_campaign_analyse_waits_until_the_live_calls_have_ended(tmp_path: Path) -> None:
    run_command(tmp_path, "run", "scenario.yaml", "--no-analysis")
    seen = run_command(tmp_path, "analyse", "probe", live_call_s=1.5)
    assert False is seen["dialer_live"]
    assert seen["after_s"] >= 1.5 + 2.0 - 0.5  # the call, then 2 s without a dialer (polled every 0.5 s)


def test_campaign_analyse_with_no_wait_starts_beside_live_calls(tmp_path: Path) -> None:
    run_command(tmp_path, "run", "scenario.yaml", "--no-analysis")
    seen = run_command(tmp_path, "analyse", "probe", "--no-wait", live_call_s=30)
    assert True is seen["dialer_live"]


def test_analysis_pauses_between_calls_while_a_new_campaign_dials(tmp_path: Path) -> None:
    run_command(tmp_path, "run", "scenario.yaml", "--no-analysis")
    seen = run_command(tmp_path, "analyse", "probe", call_during_analysis_s=2.0)
    assert False is seen["late_call_live_after_pause"]
    assert seen["paused_s"] >= 1.5 + 2.0 - 0.5  # the rest of the call, then 2 s without a dialer


def test_analysis_with_no_wait_never_pauses(tmp_path: Path) -> None:
    run_command(tmp_path, "run", "scenario.yaml", "--no-analysis")
    seen = run_command(tmp_path, "analyse", "probe", "--no-wait", call_during_analysis_s=30)
    assert True is seen["late_call_live_after_pause"]
    assert seen["paused_s"] < 0.5


def test_a_dialer_worker_counts_as_a_live_call_until_it_ends() -> None:
    from mystery.pipeline.priority import live_dialers

    worker = subprocess.Popen([sys.executable, "-m", "mystery.dial.worker"], stdin=subprocess.PIPE)
    try:
        # Popen returns once exec has begun; the kernel fills /proc/PID/cmdline a moment later
        deadline = time.monotonic() + 2.0
        while worker.pid not in live_dialers() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.pid in live_dialers()
    finally:
        worker.kill()
        worker.wait()
    assert worker.pid not in live_dialers()
