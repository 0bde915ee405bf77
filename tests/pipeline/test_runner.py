"""The campaign runner refuses what would fail half-way, before any call is placed.

The dialer here is a stand-in that records what it is asked: only the runner's refusal is under test (real
workers on port 0, several at once against SIPp, are in tests/dial/test_call_sipp.py)."""

from __future__ import annotations

import asyncio

import pytest

from mystery.pipeline.runner import run_calls
from mystery.scenario.plan import Account, CallPlan
from mystery_core.errors import InputError


def plans(port: int, n: int = 3) -> list[CallPlan]:
    return [CallPlan(uri="sip:desk@127.0.0.1:5080", call_id=f"c{i}", account=Account(port=port)) for i in range(n)]


def test_a_fixed_sip_port_with_several_calls_at_once_is_refused_before_dialling():
    dialled: list[str] = []

    async def dialer(plan):  # type: ignore[no-untyped-def]
        dialled.append(plan.call_id)  # never reached: the refusal comes first
        raise AssertionError("dialled")

    with pytest.raises(InputError) as refused:
        asyncio.run(run_calls(plans(5062), 2, lambda r: None, dialer=dialer))
    assert [] == dialled
    assert str(refused.value).startswith("sip.port: the fixed port 5062 serves one call at a time, but the "
                                         "campaign dials 2 at once")


def test_a_fixed_sip_port_is_fine_one_call_at_a_time():
    from mystery.records import CallResult

    dialled: list[str] = []

    async def dialer(plan):  # type: ignore[no-untyped-def]
        dialled.append(plan.call_id)
        return CallResult(call_id=plan.call_id, target_uri=plan.uri, outcome="answered", started_at="")

    results = asyncio.run(run_calls(plans(5062), 1, lambda r: None, dialer=dialer))
    assert ["c0", "c1", "c2"] == dialled and 3 == len(results)
