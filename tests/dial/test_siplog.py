"""Reading pjsip's message log back into wire events (pure)."""

from __future__ import annotations

import datetime as dt

from mystery.dial.siplog import parse_pjsip_log

LOG = """\
18:40:48.956           pjsua_core.c  ....TX 968 bytes Request msg INVITE/cseq=12248 (tdta0x55) to UDP 127.0.0.1:5095:
INVITE sip:hotel@mystery.test SIP/2.0
18:40:48.956           pjsua_core.c  .RX 513 bytes Response msg 407/INVITE/cseq=12248 (rdata0x55) from UDP 127.0.0.1:5095:
18:40:48.957           pjsua_core.c  ..TX 397 bytes Request msg ACK/cseq=12248 (tdta0x55) to UDP 127.0.0.1:5095:
18:40:49.263           pjsua_core.c !.RX 377 bytes Response msg 180/INVITE/cseq=12249 (rdata0x55) from UDP 127.0.0.1:5095:
"""


def test_messages_with_direction_and_time():
    around = dt.datetime(2026, 11, 23, 18, 41).astimezone().timestamp()
    messages = parse_pjsip_log(LOG, around)
    assert [(True, "INVITE"), (False, "407 INVITE"), (True, "ACK"), (False, "180 INVITE")] == [
        (m.sent, m.summary) for m in messages]
    assert 0.307 == round(messages[3].t - messages[0].t, 3)
    assert "127.0.0.1:5095" == messages[0].peer


def test_a_call_across_midnight_keeps_times_in_order():
    around = dt.datetime(2026, 11, 23, 23, 59, 59).astimezone().timestamp()
    text = LOG.replace("18:40:48", "23:59:59").replace("18:40:49", "00:00:00")
    messages = parse_pjsip_log(text, around)
    assert messages[3].t > messages[0].t
