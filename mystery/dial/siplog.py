"""Every SIP message the dialer sent or received, read back from pjsip's own log (pure).

The call callbacks give sub-millisecond stamps for the events that matter (INVITE, 18x, 200,
BYE); pjsip's level-4 log adds the rest (401/407 challenges and the re-sent requests, ACK,
REGISTER refreshes, responses to BYE) with millisecond stamps. Lines look like
`18:40:48.956  pjsua_core.c  .RX 513 bytes Response msg 407/INVITE/cseq=12248 (rdata..) from UDP 127.0.0.1:5095:`,
followed by the message itself (its Call-ID tells the calls of a dialer process that holds several apart).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mystery.records import utc_iso

LINE = re.compile(
    r"^(?P<clock>\d\d:\d\d:\d\d\.\d{3})\s.*?\b(?P<dir>TX|RX) \d+ bytes "
    r"(?:Request msg (?P<method>[A-Z]+)|Response msg (?P<code>\d{3})/(?P<for>[A-Z]+))"
    r"/cseq=(?P<cseq>\d+).*?(?:to|from) (?P<transport>\w+) (?P<peer>\S+?):?$"
)


@dataclass(frozen=True, slots=True)
class WireMessage:
    """One SIP message: wall time (ms resolution), direction, and what it was."""

    t: float
    sent: bool
    summary: str        # "INVITE", "ACK", "407 INVITE", "200 BYE"
    cseq: int
    peer: str
    call_id: str = ""


def parse_pjsip_log(text: str, around: float) -> list[WireMessage]:
    """Messages in a pjsip log; `around` is a wall time during the call (gives the date)."""
    base = dt.datetime.fromtimestamp(around).astimezone()
    messages: list[WireMessage] = []
    for line in text.splitlines():
        if messages and not messages[-1].call_id and line[:8].lower() == "call-id:":
            messages[-1] = dataclasses.replace(messages[-1], call_id=line[8:].strip())
            continue
        match = LINE.match(line)
        if not match:
            continue
        clock = dt.datetime.strptime(match["clock"], "%H:%M:%S.%f").time()
        stamp = base.replace(hour=clock.hour, minute=clock.minute, second=clock.second,
                             microsecond=clock.microsecond)
        if (stamp - base).total_seconds() > 43200:      # the call crossed midnight
            stamp -= dt.timedelta(days=1)
        elif (base - stamp).total_seconds() > 43200:
            stamp += dt.timedelta(days=1)
        summary = match["method"] or f"{match['code']} {match['for']}"
        messages.append(WireMessage(stamp.timestamp(), match["dir"] == "TX", summary, int(match["cseq"]),
                                    match["peer"]))
    return messages


def wire_messages(log_file: Path, t0: float, mine: Collection[str] | None = None,
                  others: Collection[str] = ()) -> list[dict[str, Any]]:
    """The call result's `extra.sip_messages`: every message in pjsip's log, in seconds from `t0`. With
    `mine`, a log shared by several calls: the messages of those Call-IDs and of none in `others` (REGISTER)."""
    try:
        messages = parse_pjsip_log(log_file.read_text(errors="replace"), t0)
    except OSError:
        messages = []
    if mine is not None:
        messages = [m for m in messages if m.call_id in mine or m.call_id not in others]
    return [{"t_s": round(m.t - t0, 3), "at": utc_iso(m.t), "direction": "sent" if m.sent else "received",
             "message": m.summary, "cseq": m.cseq, "peer": m.peer} for m in messages]
