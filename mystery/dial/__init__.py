"""The dialer: one scripted, recorded, timed SIP call per worker process.

`run_call(plan)` / `run_call_async(plan)` run `python -m mystery.dial.worker` and return a
`mystery.records.CallResult`. Importing this package does not import pjsua2.
"""

from mystery.dial.runner import DialerCrashed, run_call, run_call_async
from mystery.scenario.plan import Account, CallPlan, Step, parse_plan

__all__ = ["Account", "CallPlan", "DialerCrashed", "Step", "parse_plan", "run_call", "run_call_async"]
