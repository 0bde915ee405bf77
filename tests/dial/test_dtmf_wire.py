"""DTMF on the wire: the dialer's digits are RFC 4733 telephone-events in the RTP that reaches SIPp.

tcpdump captures loopback UDP to SIPp's media port; the test reads the pcap itself (Ethernet /
IPv4 / UDP / RTP) and decodes payload type 101 events.
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.sip

EVENT_NAMES = "0123456789*#ABCD"


def rtp_events(pcap: Path, dst_port: int, payload_type: int = 101) -> list[tuple[int, str, bool]]:
    """(RTP timestamp, digit, end bit) of each telephone-event packet sent to `dst_port`."""
    data = pcap.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    link_len = {1: 14, 113: 16, 276: 20, 0: 4}[linktype]
    events, offset = [], 24
    while offset + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[offset + 8:offset + 12])[0]
        packet = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        ip = packet[link_len:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 0x0F) * 4:]
        if struct.unpack(">H", udp[2:4])[0] != dst_port:
            continue
        rtp = udp[8:]
        if len(rtp) < 16 or rtp[1] & 0x7F != payload_type:
            continue
        timestamp = struct.unpack(">I", rtp[4:8])[0]
        event = rtp[12]
        events.append((timestamp, EVENT_NAMES[event] if event < 16 else "?", bool(rtp[13] & 0x80)))
    return events


def test_digits_reach_sipp_as_rfc4733_events(sipp_uas, mystery_call, tmp_path):
    if not shutil.which("tcpdump") or os.geteuid() != 0:
        pytest.skip("needs tcpdump with capture rights on lo (root)")
    sipp = sipp_uas("uas_answer.xml", RING_MS=100, ANSWER_MS=200)
    pcap = tmp_path / "rtp.pcap"
    capture = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-w", str(pcap), "udp", "and", "dst", "port",
                                str(sipp.media_port)], stderr=subprocess.PIPE, text=True)
    try:
        assert capture.stderr is not None
        deadline = time.time() + 10
        while "listening on" not in capture.stderr.readline() and time.time() < deadline:
            pass
        run = mystery_call(sipp.uri, "--dtmf", "159#@0.5", "--hangup-after", "2.5")
        time.sleep(0.3)
    finally:
        capture.send_signal(signal.SIGINT)
        capture.wait(timeout=10)
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    events = rtp_events(pcap, sipp.media_port)
    digits = []
    for timestamp, digit, _end in events:   # one event spans several packets with the same timestamp
        if not digits or digits[-1][0] != timestamp:
            digits.append((timestamp, digit))
    assert "159#" == "".join(d for _, d in digits)
    assert all(any(e[2] for e in events if e[0] == ts) for ts, _ in digits)   # each event ends (E bit)
