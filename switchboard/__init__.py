"""Simulated hotel switchboard: pjsua2 UAS workers behind kamailio, configured in YAML.

Public entry points: ``running_switchboard`` (start/stop from tests and the demo),
``load_switchboard`` (validate a config), ``read_records`` (ground truth, for tests only).
"""

from switchboard.config import load_switchboard
from switchboard.harness import RunningSwitchboard, running_switchboard
from switchboard.truth import read_records

__all__ = ["RunningSwitchboard", "load_switchboard", "read_records", "running_switchboard"]
