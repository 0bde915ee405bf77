"""Which failed calls are the trunk's (pause the campaign) and which are the hotel's answer (pure)."""

from __future__ import annotations

import pytest

from mystery.pipeline.trunk import trunk_failure
from mystery.records import CallResult
from mystery.scenario.plan import Account

TRUNK = Account(registrar="sip:trunk.example.net", outbound_proxy="sip:trunk.example.net;lr",
                trunk_agent="Acme SBC")


def call(status: int | None, reason: str = "", end: str = "rejected", server: str = "") -> CallResult:
    return CallResult(call_id="c", target_uri="sip:hotel@x", outcome="failed", started_at="2026-12-04T10:00:00Z",
                      sip_status=status, sip_reason=reason, extra={"end_reason": end, "final_server": server})


@pytest.mark.parametrize(("result", "why"), [
    (call(403, "Forbidden", end="registration_failed"), "the registrar refused our REGISTER"),
    (call(407, "Proxy Authentication Required"), "the trunk refused our credentials (407"),
    (call(401, "Unauthorized"), "the trunk refused our credentials (401"),
    (call(None, "no response", end="no_response"), "no response from the outbound proxy"),
    (call(503, "Service Unavailable", server="Acme SBC 4.2"), "503 Service Unavailable from the trunk itself"),
    (call(403, "Forbidden", server="acme sbc"), "403 Forbidden from the trunk itself"),
])
def test_the_trunks_own_refusals_pause_the_campaign(result: CallResult, why: str) -> None:
    assert trunk_failure(result, TRUNK).startswith(why)


@pytest.mark.parametrize("result", [
    call(486, "Busy Here"), call(404, "Not Found"), call(480, "Temporarily Unavailable"),
    call(503, "Service Unavailable", server="Asterisk PBX 20"),     # the hotel's PBX, not the trunk
    call(403, "Forbidden", server=""),
])
def test_the_hotels_answers_count_against_its_line(result: CallResult) -> None:
    assert "" == trunk_failure(result, TRUNK)


def test_without_a_proxy_or_a_trunk_agent_no_response_and_503_are_the_far_ends() -> None:
    direct = Account()
    assert "" == trunk_failure(call(None, end="no_response"), direct)
    assert "" == trunk_failure(call(503, "Service Unavailable", server="Acme SBC"), direct)
