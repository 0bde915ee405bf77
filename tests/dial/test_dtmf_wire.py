"""DTMF on the wire: the dialer's digits are RFC 4733 telephone-events in the RTP that reaches SIPp.

tcpdump captures loopback UDP to SIPp's media port; the test reads the pcap itself (Ethernet /
IPv4 / UDP / RTP) and decodes payload type 101 events.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.dial.conftest import Capture, udp_packets

pytestmark = pytest.mark.sip

EVENT_NAMES = "0123456789*#ABCD"


def rtp_events(pcap: Path, dst_port: int, payload_type: int = 101) -> list[tuple[int, str, bool]]:
    """(RTP timestamp, digit, end bit) of each telephone-event packet sent to `dst_port`."""
    events = []
    for _t, _source, destination, rtp in udp_packets(pcap):
        if destination != dst_port or len(rtp) < 16 or rtp[1] & 0x7F != payload_type:
            continue
        timestamp = struct.unpack(">I", rtp[4:8])[0]
        event = rtp[12]
        events.append((timestamp, EVENT_NAMES[event] if event < 16 else "?", bool(rtp[13] & 0x80)))
    return events


def test_digits_reach_sipp_as_rfc4733_events(sipp_uas, mystery_call, tmp_path):
    if not Capture.available():
        pytest.skip("needs tcpdump with capture rights on lo (root)")
    sipp = sipp_uas("uas_answer.xml", RING_MS=100, ANSWER_MS=200)
    pcap = tmp_path / "rtp.pcap"
    with Capture(pcap, "udp", "and", "dst", "port", str(sipp.media_port)):
        run = mystery_call(sipp.uri, "--dtmf", "159#@0.5", "--hangup-after", "2.5")
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    events = rtp_events(pcap, sipp.media_port)
    digits = []
    for timestamp, digit, _end in events:   # one event spans several packets with the same timestamp
        if not digits or digits[-1][0] != timestamp:
            digits.append((timestamp, digit))
    assert "159#" == "".join(d for _, d in digits)
    assert all(any(e[2] for e in events if e[0] == ts) for ts, _ in digits)   # each event ends (E bit)
