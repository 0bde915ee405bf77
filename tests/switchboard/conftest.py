"""Fixtures for switchboard tests: a running simulator (subprocess) and SIPp plumbing."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from switchboard import RunningSwitchboard, running_switchboard

DATA = Path(__file__).parent / "data"
LINES = DATA / "lines.yaml"


def udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def render_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One audio cache for the whole run (renders are deterministic)."""
    return tmp_path_factory.mktemp("render-cache")


@pytest.fixture(scope="module")
def switchboard(tmp_path_factory: pytest.TempPathFactory, render_cache: Path) -> Iterator[RunningSwitchboard]:
    """The test switchboard: 3 workers (12 calls) behind kamailio; must exit 0 on SIGTERM."""
    workdir = tmp_path_factory.mktemp("switchboard")
    with running_switchboard(LINES, workers=3, workdir=workdir, cache_dir=render_cache) as sb:
        yield sb
    assert sb.returncode == 0


@pytest.fixture
def sipp_ports() -> tuple[int, int]:
    """(SIP port, RTP port) for one SIPp run."""
    return udp_port(), udp_port()
