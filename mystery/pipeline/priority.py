"""Keep the after-call work (audio analysis, transcription) out of the way of live calls.

The dialer stamps SIP events as its packets arrive; a dialer process that waits for a core
stamps them late. Analysis is CPU-heavy and could run while calls are placed on the same machine
(`mystery campaign analyse` beside a campaign, another campaign's analysis step), so it
- waits until no dialer worker has run on this machine for 2 s (`wait_for_calls_to_end`): it runs
  after the calls;
- runs at idle CPU priority (`yield_cpu_to_calls`): every thread moves to Linux's SCHED_IDLE class
  (it runs only on a core nothing else wants), to nice 19 (where SCHED_IDLE is missing, and for
  tools that only show nice), and off one CPU, for calls that start while it runs. Leaving a CPU
  matters: on the 2-vCPU test machine, with both vCPUs busy a woken process waited up to
  100-300 ms whatever the guest's priorities said. Threads and children inherit all three.
Measured in `benchmarks/bench_timing_under_analysis.py`; numbers in docs/dialer.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

IDLE_NICE = 19
"""The nice value the process moves to (the lowest priority)."""


@dataclass(frozen=True, slots=True)
class PriorityChange:
    """What `yield_cpu_to_calls` did to this process.

    policy: `"idle"` (SCHED_IDLE), `"nice"` (nice only: no SCHED_IDLE on this system) or
        `"unchanged"` (the system refused both; `problem` says why).
    nice: the process's nice value afterwards.
    threads: how many threads were moved.
    cpus: the CPUs the process may use afterwards (all it had but one, if it had several).
    problem: the refusal, empty when everything was applied.
    """

    policy: str
    nice: int
    threads: int
    cpus: tuple[int, ...]
    problem: str = ""


def _thread_ids() -> list[int]:
    """Every thread of this process (Linux: /proc/self/task), else the process itself."""
    try:
        return sorted(int(name) for name in os.listdir("/proc/self/task"))
    except OSError:
        return [0]


def yield_cpu_to_calls() -> PriorityChange:
    """Move every thread of this process to idle CPU priority, off one CPU; one-way for an unprivileged user.

    Call it before CPU-heavy work that may overlap live calls, never in a process that will
    dial afterwards (an unprivileged process cannot leave SCHED_IDLE, and its dialer children
    would inherit it).
    """
    threads = _thread_ids()
    allowed = os.sched_getaffinity(0)
    cpus = allowed - {min(allowed)} if len(allowed) > 1 else allowed  # leave CPU 0 (or the first) to the calls
    problems: list[str] = []
    nice_done = False
    idle_done = hasattr(os, "SCHED_IDLE")
    for tid in threads:
        # threads have their own nice value and policy on Linux: os.nice() would move only this one
        try:
            os.setpriority(os.PRIO_PROCESS, tid, IDLE_NICE)
            nice_done = True
        except OSError as error:
            problems.append(f"nice {IDLE_NICE}: {error.strerror}")
        try:
            os.sched_setaffinity(tid, cpus)
        except OSError as error:
            problems.append(f"CPUs {sorted(cpus)}: {error.strerror}")
        if hasattr(os, "SCHED_IDLE"):
            try:
                os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
            except OSError as error:
                idle_done = False
                problems.append(f"SCHED_IDLE: {error.strerror}")
    policy = "idle" if idle_done else "nice" if nice_done else "unchanged"
    return PriorityChange(policy, os.getpriority(os.PRIO_PROCESS, 0), len(threads),
                          tuple(sorted(os.sched_getaffinity(0))), "; ".join(sorted(set(problems))))


@dataclass(frozen=True, slots=True)
class ThreadPriority:
    """One thread's scheduling as the kernel reports it (/proc/PID/task/TID/stat).

    tid: the thread id.
    policy: `"normal"`, `"batch"`, `"idle"`, `"fifo"` or `"rr"`.
    nice: its nice value.
    cpus: the CPUs it may run on.
    """

    tid: int
    policy: str
    nice: int
    cpus: tuple[int, ...]


_POLICY_NAMES = {0: "normal", 1: "fifo", 2: "rr", 3: "batch", 5: "idle", 6: "deadline"}


def read_thread_priorities(pid: int) -> list[ThreadPriority]:
    """The policy and nice value of every thread of a process; [] if it has gone."""
    found = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for tid in tids:
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        # the command name (field 2) may hold spaces and parentheses: split after its last ')'
        fields = stat[stat.rindex(")") + 2:].split()
        nice, policy = int(fields[16]), int(fields[38])  # fields 19 and 41 of proc(5)
        try:
            cpus = tuple(sorted(os.sched_getaffinity(int(tid))))
        except OSError:
            continue
        found.append(ThreadPriority(int(tid), _POLICY_NAMES.get(policy, str(policy)), nice, cpus))
    return sorted(found, key=lambda t: t.tid)


DIALER_MODULE = "mystery.dial.worker"
"""The dialer's worker module: one such process per live call (mystery/dial/runner.py)."""


def live_dialers(proc: Path = Path("/proc")) -> list[int]:
    """Process ids of the dialer workers running on this machine, any campaign or user: its live calls."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if DIALER_MODULE.encode() in args:
            found.append(int(entry.name))
    return sorted(found)


def wait_for_calls_to_end(quiet_s: float = 2.0, poll_s: float = 0.5,
                          on_wait: Callable[[int], None] = lambda _: None) -> float:
    """Block until no dialer worker has run on this machine for `quiet_s`; return the seconds waited.

    `on_wait(live)` is told once, when there are live calls to wait for. The quiet time spans
    the instant between one call of a campaign ending and the next one starting.
    """
    started = time.monotonic()
    quiet_since = started
    told = False
    while True:
        live = live_dialers()
        now = time.monotonic()
        if live:
            quiet_since = now
            if not told:
                on_wait(len(live))
                told = True
        elif now - quiet_since >= quiet_s or not told:
            return now - started
        time.sleep(poll_s)
