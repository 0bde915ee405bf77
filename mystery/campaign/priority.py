"""Run the after-call work (audio analysis, transcription) at idle CPU priority.

The dialer stamps SIP events as its packets arrive; a dialer process that waits for a core
stamps them late. Analysis is CPU-heavy and can run while calls are placed on the same machine
(`mystery campaign analyse` beside a campaign, another campaign's analysis step), so it gives
way: every thread of the process moves to Linux's SCHED_IDLE class (it runs only on a core
nothing else wants), to nice 19 (where SCHED_IDLE is missing, and for tools that only show
nice), and off one CPU. The last one matters as much as the others: on a virtual machine whose
every vCPU is busy, a woken dialer waits for its CPU (up to 100-300 ms measured on the 2-vCPU
test machine) whatever the guest's priorities say, while one vCPU left idle takes it at once.
Threads and child processes started later inherit all three. Measured in
`benchmarks/bench_timing_under_analysis.py`; numbers in docs/dialer.md.
"""

from __future__ import annotations

import os
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
