"""SIPp as an independent caller: scenario XML builders, a runner, and a parser of its message trace.

SIPp is the peer that checks the switchboard is not grading its own homework: its
``-trace_msg`` log stamps every message it sends or receives with its own clock.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

SIPP = "sipp"
PCAP_DIR = Path("/usr/share/sip-tester")

_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="{name}">
"""

_INVITE = """  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=sendrecv
    ]]>
  </send>
"""

_ACK = """  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
"""

_BYE = """  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
"""

_OK_TO_BYE = """  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: sip:sipp@[local_ip]:[local_port]
      Content-Length: 0
    ]]>
  </send>
"""

_CANCEL = """  <send>
    <![CDATA[
      CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-4]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
"""

_TAIL = """  <ResponseTimeRepartition value="10, 20, 50, 100, 500"/>
</scenario>
"""


def _ringing() -> str:
    return (
        '  <recv response="100" optional="true"/>\n'
        '  <recv response="180" optional="true"/>\n'
        '  <recv response="183" optional="true"/>\n'
    )


def answered_call(hold_ms: int, dtmf: list[tuple[str, int]] | None = None, speech_at_ms: int | None = None) -> str:
    """INVITE, answer, then (optionally) RFC 2833 digits and 8 s of speech at given offsets from the answer.

    Whoever hangs up first wins: SIPp sends BYE at ``hold_ms`` unless the switchboard's BYE
    came earlier (both count as a successful call).
    """
    body = [_HEAD.format(name="answered"), _INVITE, _ringing(), '  <recv response="200" rtd="true" rrs="true"/>\n', _ACK]
    events: list[tuple[int, str]] = []
    for digit, at in dtmf or []:
        name = {"*": "star", "#": "pound"}.get(digit, digit)
        events.append((at, f'  <nop><action><exec play_pcap_audio="pcap/dtmf_2833_{name}.pcap"/></action></nop>\n'))
    if speech_at_ms is not None:
        events.append((speech_at_ms, '  <nop><action><exec play_pcap_audio="pcap/g711a.pcap"/></action></nop>\n'))
    clock = 0
    for at, action in sorted(events):
        if at > clock:
            body.append(f'  <recv request="BYE" timeout="{at - clock}" ontimeout="t{at}" next="bye_rx"/>\n')
            body.append(f'  <label id="t{at}"/>\n')
            clock = at
        body.append(action)
    body.append(f'  <recv request="BYE" timeout="{max(1, hold_ms - clock)}" ontimeout="caller_bye" next="bye_rx"/>\n')
    body.append('  <label id="caller_bye"/>\n')
    body.append(_BYE)
    body.append('  <nop next="done"/>\n')
    body.append('  <label id="bye_rx"/>\n')
    body.append(_OK_TO_BYE)
    body.append('  <label id="done"/>\n')
    body.append(_TAIL)
    return "".join(body)


def _ack_for_error(messages_since_invite: int) -> str:
    """ACK of a non-2xx final response: same transaction, so the INVITE's branch (RFC 3261 17.1.1.3)."""
    return _ACK.replace("branch=[branch]", f"branch=[branch-{messages_since_invite}]")


def refused_call(status: int) -> str:
    """INVITE expecting a final error ``status`` (e.g. 486); ACKs it."""
    return "".join([
        _HEAD.format(name=f"refused-{status}"), _INVITE, _ringing(),
        f'  <recv response="{status}" rtd="true"/>\n', _ack_for_error(5), _TAIL,
    ])


def cancelled_call(after_ms: int) -> str:
    """INVITE, wait for ringing, give up after ``after_ms`` with CANCEL (the caller's no-answer timeout)."""
    return "".join([
        _HEAD.format(name="cancelled"), _INVITE,
        '  <recv response="100" optional="true"/>\n', '  <recv response="180"/>\n',
        f'  <pause milliseconds="{after_ms}"/>\n', _CANCEL,
        '  <recv response="200"/>\n', '  <recv response="487"/>\n', _ack_for_error(7), _TAIL,
    ])


@dataclass
class Message:
    """One SIP message in SIPp's trace, stamped by SIPp's clock."""

    at: float
    sent: bool
    first_line: str
    call_id: str

    @property
    def status(self) -> int | None:
        m = re.match(r"SIP/2\.0 (\d{3})", self.first_line)
        return int(m.group(1)) if m else None

    @property
    def method(self) -> str | None:
        return None if self.first_line.startswith("SIP/2.0") else self.first_line.split(" ", 1)[0]


@dataclass
class SippRun:
    """A finished SIPp run: exit code, its trace, and its counts."""

    returncode: int
    messages: list[Message] = field(default_factory=list)
    stderr: str = ""
    stats: str = ""

    def by_call(self) -> dict[str, list[Message]]:
        out: dict[str, list[Message]] = {}
        for m in self.messages:
            out.setdefault(m.call_id, []).append(m)
        return out


_STAMP = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)$")


def parse_trace(text: str) -> list[Message]:
    """Messages of a ``-trace_msg`` file, with SIPp's timestamps."""
    out = []
    blocks = re.split(r"(?m)^(?=-{20,} \d{4}-)", text)
    for block in blocks:
        lines = block.splitlines()
        if len(lines) < 4:
            continue
        m = _STAMP.match(lines[0])
        if not m:
            continue
        at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        sent = "sent" in lines[1]
        first = lines[3].strip()
        call_id = ""
        for ln in lines[4:]:
            if ln.lower().startswith(("call-id:", "i:")):
                call_id = ln.split(":", 1)[1].strip()
                break
        out.append(Message(at, sent, first, call_id))
    return out


def run_sipp(
    workdir: Path, target: str, service: str, scenario_xml: str, *, calls: int = 1, limit: int | None = None,
    rate: float = 10.0, local_port: int, media_port: int, timeout_s: float = 60,
) -> SippRun:
    """Run SIPp as UAC (``calls`` calls, ``limit`` at once) from a directory holding the ``pcap`` link."""
    workdir.mkdir(parents=True, exist_ok=True)
    pcap = workdir / "pcap"
    if not pcap.exists():
        os.symlink(PCAP_DIR, pcap)
    scenario = workdir / f"scenario-{service}-{local_port}.xml"
    scenario.write_text(scenario_xml)
    trace = workdir / f"messages-{service}-{local_port}.log"
    stats = workdir / f"stats-{service}-{local_port}.log"
    cmd = [
        SIPP, target, "-sf", str(scenario), "-s", service, "-i", "127.0.0.1", "-p", str(local_port),
        "-mp", str(media_port), "-m", str(calls), "-l", str(limit or calls), "-r", str(rate), "-rp", "1000",
        "-nostdin", "-trace_msg", "-message_file", str(trace), "-trace_screen", "-screen_file", str(stats),
        "-timeout", f"{int(timeout_s)}s", "-timeout_error",
    ]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout_s + 15)
    return SippRun(
        proc.returncode,
        parse_trace(trace.read_text(errors="replace")) if trace.exists() else [],
        proc.stderr,
        stats.read_text(errors="replace") if stats.exists() else "",
    )
