"""Is a call's failure the trunk's, not the hotel's? (pure)

A mystery call reaches a hotel through the agency's SIP trunk. When the trunk itself refuses
(our REGISTER is rejected, our credentials are refused with 401/407, the outbound proxy does not
answer at all, or the trunk's own equipment answers 403 or 503), every following call would fail
the same way and each would be counted as a hotel that did not answer. Such a call pauses the
campaign instead, and counts against no line.
"""

from __future__ import annotations

from mystery.records import CallResult
from mystery.scenario.plan import Account


def trunk_failure(result: CallResult, account: Account) -> str:
    """Why `result` is a failure of the trunk (one line), or "" when it is the far end's answer."""
    end = result.extra.get("end_reason", "")
    status = result.sip_status
    if end == "registration_failed":
        return f"the registrar refused our REGISTER: {result.sip_reason}"
    if status in (401, 407):
        return f"the trunk refused our credentials ({status} {result.sip_reason}): check sip.username and sip.password"
    if end == "no_response" and account.outbound_proxy:
        return f"no response from the outbound proxy {account.outbound_proxy}"
    server = str(result.extra.get("final_server") or "")
    if status in (403, 503) and account.trunk_agent and account.trunk_agent.lower() in server.lower():
        return f"{status} {result.sip_reason} from the trunk itself ({server})"
    return ""
