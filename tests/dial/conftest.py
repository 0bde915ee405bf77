"""Fixtures for the dialer tests: SIPp as an independent UAS, and the dialer as a real subprocess.

SIPp's `-trace_msg` file stamps every message it sends or receives (wall clock, microseconds):
that is the ground truth the dialer's PDD / ring / time to answer are compared with.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).parent / "scenarios"
ACTORS = Path(__file__).parent / "actors"
SIPP_PCAPS = Path("/usr/share/sip-tester")
REPO = Path(__file__).resolve().parents[2]


def free_port_pair() -> int:
    """An even UDP port p with p and p+1 free (RTP + RTCP), for SIPp's -mp or a pjsua2 actor."""
    for _ in range(200):
        base = random.randrange(30000, 60000, 2)
        try:
            for port in (base, base + 1, base + 2, base + 3):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise OSError("no free port pair")


def free_udp() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def udp_packets(pcap: Path) -> list[tuple[float, int, int, bytes]]:
    """(kernel timestamp, source port, destination port, payload) of each IPv4 UDP packet in a pcap."""
    import struct

    data = pcap.read_bytes()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nanos = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    link_len = {1: 14, 113: 16, 276: 20, 0: 4}[linktype]
    packets, offset = [], 24
    while offset + 16 <= len(data):
        seconds, fraction, caplen = struct.unpack(endian + "III", data[offset:offset + 12])
        packet = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        ip = packet[link_len:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 0x0F) * 4:]
        source, destination = struct.unpack(">HH", udp[:4])
        packets.append((seconds + fraction / (1e9 if nanos else 1e6), source, destination, udp[8:]))
    return packets


class Capture:
    """tcpdump on lo for a BPF filter, as a context manager; `.packets()` after the block."""

    def __init__(self, path: Path, *bpf: str) -> None:
        self.path, self.bpf = path, bpf

    @staticmethod
    def available() -> bool:
        return bool(shutil.which("tcpdump")) and os.geteuid() == 0

    def __enter__(self) -> Capture:
        self.process = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-w", str(self.path), *self.bpf],
                                        stderr=subprocess.PIPE, text=True)
        assert self.process.stderr is not None
        deadline = time.time() + 10
        while "listening on" not in self.process.stderr.readline() and time.time() < deadline:
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.3)
        self.process.send_signal(2)
        self.process.wait(timeout=10)

    def packets(self) -> list[tuple[float, int, int, bytes]]:
        return udp_packets(self.path)


@dataclass
class TracedMessage:
    t: float             # wall clock (time.time() scale)
    sent: bool           # sent by SIPp (else received)
    first_line: str
    call_id: str = ""

    @property
    def code(self) -> int | None:
        parts = self.first_line.split(" ")
        return int(parts[1]) if self.first_line.startswith("SIP/2.0") else None

    @property
    def method(self) -> str | None:
        return None if self.first_line.startswith("SIP/2.0") else self.first_line.split(" ", 1)[0]


def parse_sipp_trace(path: Path) -> list[TracedMessage]:
    """Messages of a SIPp `-trace_msg` file, in order."""
    messages: list[TracedMessage] = []
    lines = path.read_text(errors="replace").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("-----") and " " in line.rstrip() and i + 3 < len(lines):
            # (a separator without a time opens SIPp's note on a message for a dead call: not a message)
            stamp = line.rstrip().split(" ", 1)[1].strip()
            t = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()  # SIPp writes local time
            sent = "message sent" in lines[i + 1]
            first = next((candidate for candidate in lines[i + 2:i + 5] if candidate.strip()), "")
            call_id = ""
            for following in lines[i + 2:]:
                if following.startswith("-----"):
                    break
                if following.lower().startswith(("call-id:", "i:")):
                    call_id = following.split(":", 1)[1].strip()
                    break
            messages.append(TracedMessage(t, sent, first.strip(), call_id))
    return messages


@dataclass
class Sipp:
    process: subprocess.Popen
    port: int
    media_port: int
    trace: Path
    workdir: Path

    @property
    def uri(self) -> str:
        return f"sip:hotel@127.0.0.1:{self.port}"

    def wait(self, timeout: float = 30.0) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def messages(self) -> list[TracedMessage]:
        return parse_sipp_trace(self.trace)


@pytest.fixture
def sipp_uas(tmp_path: Path) -> Iterator:
    """Start SIPp as a UAS for one call: `sipp_uas("uas_answer.xml", RING_MS=300, ANSWER_MS=1500)`."""
    if not shutil.which("sipp"):
        pytest.fail("sipp is not installed (Debian package sip-tester)")
    started: list[Sipp] = []

    def start(scenario: str, calls: int = 1, timeout_s: int = 60, sipp_args: tuple[str, ...] = (),
              **params: object) -> Sipp:
        workdir = tmp_path / f"sipp{len(started)}"
        workdir.mkdir()
        (workdir / "pcap").symlink_to(SIPP_PCAPS)
        text = (SCENARIOS / scenario).read_text()
        for key in ("RING_MS", "ANSWER_MS"):   # a fixed delay unless a range is given
            if key in params:
                params.setdefault(key.replace("_MS", "_MAX_MS"), params[key])
        for key, value in params.items():
            text = text.replace(f"@{key}@", str(value))
        (workdir / "scenario.xml").write_text(text)
        port, media = free_udp(), free_port_pair()
        trace = workdir / "messages.log"
        process = subprocess.Popen(
            ["sipp", "-sf", "scenario.xml", "-i", "127.0.0.1", "-p", str(port), "-mp", str(media), "-m", str(calls),
             "-l", str(max(calls, 3)),  # as many at once as the test places (SIPp's default limit is lower)
             "-nostdin", "-trace_msg", "-message_file", str(trace), "-timeout", f"{timeout_s}s", *sipp_args],
            cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sipp = Sipp(process, port, media, trace, workdir)
        started.append(sipp)
        time.sleep(0.2)   # let it bind
        return sipp

    yield start
    for sipp in started:
        if sipp.process.poll() is None:
            sipp.process.kill()
            sipp.process.wait()


@dataclass
class DialerRun:
    returncode: int
    result: dict | None
    stdout: str
    stderr: str


def dialer_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYSTERY_")}
    env["MYSTERY_RECORDINGS_DIR"] = str(tmp_path / "recordings")
    env["MYSTERY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'store.db'}"
    env["PYTHONPATH"] = str(REPO)
    env.update({f"MYSTERY_{k.upper()}": v for k, v in settings.items()})
    return env


@pytest.fixture
def mystery_call(tmp_path: Path):
    """Run `python -m mystery call ARGS --json` as a subprocess; returns a DialerRun.

    The dialer's tests check SIP facts (talk_s from 200 OK to BYE, outcome `answered`), so the audio
    analysis after hang-up is off unless a test asks for it with `analysis=True`."""

    def run(*args: str, timeout: float = 90.0, json_output: bool = True, analysis: bool = False,
            **settings: str) -> DialerRun:
        command = [sys.executable, "-m", "mystery", "call", *args] + (["--json"] if json_output else []) \
            + ([] if analysis else ["--no-analysis"])
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=tmp_path,
                              env=dialer_env(tmp_path, **settings))
        result = json.loads(done.stdout) if done.returncode == 0 and json_output else None
        return DialerRun(done.returncode, result, done.stdout, done.stderr)

    return run


@pytest.fixture
def pjsua_uas(tmp_path: Path) -> Iterator:
    """Start the tests' own pjsua2 UAS actor (actors/uas.py); `.finish()` returns its JSON log."""
    started: list[subprocess.Popen] = []

    class Actor:
        def __init__(self, **options: object) -> None:
            self.port = free_udp()
            self.log = tmp_path / f"uas{len(started)}.json"
            args = [sys.executable, str(ACTORS / "uas.py"), "--port", str(self.port),
                    "--rtp-port", str(free_port_pair()), "--out", str(self.log)]
            for key, value in options.items():
                args += [f"--{key.replace('_', '-')}", str(value)]
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                            env={**os.environ, "PYTHONPATH": str(REPO)})
            started.append(self.process)
            assert self.process.stdout is not None
            ready = self.process.stdout.readline()   # "ready" once it listens
            assert ready.strip() == "ready", self.process.stderr.read() if self.process.stderr else ready

        @property
        def uri(self) -> str:
            return f"sip:hotel@127.0.0.1:{self.port}"

        def finish(self, timeout: float = 30.0) -> dict:
            code = self.process.wait(timeout=timeout)
            stderr = self.process.stderr.read() if self.process.stderr else ""
            assert code == 0, stderr[-2000:]
            return json.loads(self.log.read_text())

    yield Actor
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
