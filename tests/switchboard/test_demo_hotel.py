"""The demo hotel answers as the demo expects: busy, closed message, IVR to a queue and an agent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from switchboard import running_switchboard
from tests.switchboard.conftest import udp_port
from tests.switchboard.sipp import answered_call, refused_call, run_sipp

pytestmark = [pytest.mark.sip, pytest.mark.xdist_group("switchboard")]


def test_demo_hotel_busy_closed_and_ivr_to_agent(tmp_path: Path, render_cache: Path) -> None:
    with running_switchboard("demo_hotel", workers=2, workdir=tmp_path / "sb", cache_dir=render_cache) as sb:
        target = f"127.0.0.1:{sb.port}"
        jobs = {
            "busy": refused_call(486),
            "closed": answered_call(20000),
            "main": answered_call(16000, dtmf=[("1", 1500)]),
        }
        with ThreadPoolExecutor(len(jobs)) as pool:
            runs = dict(zip(jobs, pool.map(
                lambda item: run_sipp(tmp_path / item[0], target, item[0], item[1], local_port=udp_port(),
                                      media_port=udp_port()),
                jobs.items(),
            ), strict=True))
    for line, run in runs.items():
        assert 0 == run.returncode, f"{line}: {run.stderr[-1500:]}"
    by_line = {r["line"]: r for r in sb.records()}
    assert "busy" == by_line["busy"]["outcome"]
    assert ("closed_message", "switchboard") == (by_line["closed"]["outcome"], by_line["closed"]["hangup_by"])
    main = by_line["main"]
    assert ["1"] == [d["digit"] for d in main["dtmf"]]
    assert "human" == main["outcome"]
    assert "booking" == main["agent"]["queue"]
    assert [p for p in main["phases"] if p["name"] == "agent_speech"]
