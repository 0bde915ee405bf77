"""`mystery switchboard serve` as a process: ready line, capacity limit, clean stop, bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from switchboard import running_switchboard
from tests.switchboard.conftest import LINES
from tests.switchboard.sipp import answered_call, run_sipp

pytestmark = [pytest.mark.sip, pytest.mark.xdist_group("switchboard")]


def test_a_full_switchboard_answers_503_never_a_fake_busy(tmp_path: Path, render_cache: Path) -> None:
    """One worker holds 4 calls; the 5th concurrent call gets the proxy's 503 with its own reason,
    logged in the ground truth, and no call is reported as busy."""
    with running_switchboard(LINES, workers=1, workdir=tmp_path / "sb", cache_dir=render_cache) as sb:
        run = run_sipp(tmp_path / "sipp", f"127.0.0.1:{sb.port}", "timed", answered_call(2500),
                       calls=5, limit=5, rate=50, local_port=_port(), media_port=_port())
    finals = {cid: [m.status for m in msgs if m.status and m.status >= 200 and not m.sent]
              for cid, msgs in run.by_call().items()}
    rejected = [cid for cid, statuses in finals.items() if 503 in statuses]
    assert 1 == len(rejected)
    assert 4 == sum(1 for statuses in finals.values() if 200 in statuses)
    line = next(m.first_line for m in run.messages if m.status == 503)
    assert "SIP/2.0 503 Switchboard Capacity Exceeded" == line
    assert not any(m.status == 486 for m in run.messages)
    proxy = sb.records("proxy")
    assert [rejected[0]] == [r["call_id"] for r in proxy if r["event"] == "capacity_exceeded"]
    calls = sb.records()
    assert 4 == len(calls)
    assert all(r["outcome"] != "busy" for r in calls)


def test_sigterm_hangs_up_live_calls_logs_them_and_exits_0(tmp_path: Path, render_cache: Path) -> None:
    with running_switchboard(LINES, workers=1, workdir=tmp_path / "sb", cache_dir=render_cache) as sb:
        sipp = subprocess.Popen(
            ["sipp", f"127.0.0.1:{sb.port}", "-sf", str(_scenario(tmp_path)), "-s", "noanswer", "-i", "127.0.0.1",
             "-p", str(_port()), "-mp", str(_port()), "-m", "1", "-nostdin", "-timeout", "20s"],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 5
        while time.time() < deadline and "noanswer" not in (sb.workdir / "worker-0.pjsip.log").read_text(errors="replace"):
            time.sleep(0.1)
        time.sleep(0.3)
        status = sb.stop()
    sipp.kill()
    sipp.wait()
    assert 0 == status
    (rec,) = sb.records()
    assert "switchboard" == rec["hangup_by"]
    assert any("shut down" in n["text"] for n in rec["notes"])
    assert rec["ended_at"] is not None


def test_ready_line_is_json_with_ports_and_truth_path(tmp_path: Path, render_cache: Path) -> None:
    with running_switchboard(LINES, workers=2, workdir=tmp_path / "sb", cache_dir=render_cache) as sb:
        ready = sb.ready
        assert "ready" == ready["event"]
        assert f"sip:busy@127.0.0.1:{ready['sip_port']}" == sb.uri("busy")
        assert 2 == len({w["sip_port"] for w in ready["workers"]})
        assert str(tmp_path / "sb" / "ground_truth.jsonl") == ready["truth"]
    assert 0 == sb.returncode


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("lines:\n  100:\n    ring_s: soon\n    then: busy\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mystery", "switchboard", "serve", "--config", str(bad), "--port", "0"],
        capture_output=True, text=True, timeout=30,
    )
    assert 2 == proc.returncode
    lines = proc.stderr.strip().splitlines()
    assert 1 == len(lines)
    assert f"{bad}:3: lines.100.ring_s:" in lines[0]
    assert "" == proc.stdout


def test_serve_stops_on_sigint_too(tmp_path: Path, render_cache: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mystery", "switchboard", "serve", "--config", str(LINES), "--workers", "1",
         "--workdir", str(tmp_path / "sb"), "--cache-dir", str(render_cache)],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    ready = json.loads(proc.stdout.readline())
    assert "ready" == ready["event"]
    proc.send_signal(signal.SIGINT)
    assert 0 == proc.wait(timeout=20)
    assert {"event": "stopped", "status": 0} == json.loads(proc.stdout.readline())


def _port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scenario(tmp_path: Path) -> Path:
    from tests.switchboard.sipp import cancelled_call

    path = tmp_path / "ring.xml"
    path.write_text(cancelled_call(15000))
    return path


def test_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "mystery", "switchboard", "serve", "--config", str(LINES), "--port", str(port),
             "--workdir", str(tmp_path / "sb")],
            capture_output=True, text=True, timeout=30,
        )
    assert 2 == proc.returncode
    assert [f"error: --port: 127.0.0.1:{port} (UDP) is not free: Address already in use"] == proc.stderr.strip().splitlines()
    assert "" == proc.stdout


def test_a_call_longer_than_max_call_s_is_hung_up(tmp_path: Path, render_cache: Path) -> None:
    config = tmp_path / "short.yaml"
    config.write_text("max_call_s: 1.5\nlines:\n  forever:\n    ring_s: 0.2\n    then: {dead_end: {prompt: beep}}\n")
    with running_switchboard(config, workers=1, workdir=tmp_path / "sb", cache_dir=render_cache) as sb:
        run = run_sipp(tmp_path / "sipp", f"127.0.0.1:{sb.port}", "forever", answered_call(10000),
                       local_port=_port(), media_port=_port())
    assert 0 == run.returncode, run.stderr[-1500:]
    (rec,) = sb.records()
    assert ("switchboard", "ivr_dead_end") == (rec["hangup_by"], rec["outcome"])
    assert rec["ended_at"] - rec["invite_at"] == pytest.approx(1.5, abs=0.2)
