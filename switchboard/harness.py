"""Start and stop the simulator as a subprocess, for tests and the demo.

    with running_switchboard("switchboard/scenarios/demo_hotel.yaml") as sb:
        uri = sb.uri("100")          # sip:100@127.0.0.1:PORT
        ...                          # place calls
    records = sb.records()           # ground truth (tests only), complete after the stop
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from switchboard.truth import read_records

SCENARIOS_DIR = Path(__file__).parent / "scenarios"


class SwitchboardFailed(RuntimeError):
    """The simulator did not start, or did not stop cleanly (exit status and stderr attached)."""


@dataclass
class RunningSwitchboard:
    """A started simulator: where to call it and where its ground truth goes."""

    process: subprocess.Popen[str]
    ready: dict[str, Any]
    stderr_path: Path
    returncode: int | None = field(default=None)

    @property
    def port(self) -> int:
        return int(self.ready["sip_port"])

    @property
    def uri_base(self) -> str:
        """``sip:{line}@127.0.0.1:PORT``; fill in the line."""
        return str(self.ready["uri_base"])

    @property
    def truth_path(self) -> Path:
        return Path(self.ready["truth"])

    @property
    def workdir(self) -> Path:
        return Path(self.ready["workdir"])

    def uri(self, line: str) -> str:
        """SIP URI of a configured line."""
        return self.uri_base.replace("{line}", line)

    def records(self, kind: str | None = "call") -> list[dict[str, Any]]:
        """Ground-truth records written so far (a call's record lands when the call ends)."""
        return [r for r in read_records(self.truth_path) if kind is None or r.get("kind") == kind]

    def stop(self, timeout_s: float = 20) -> int:
        """SIGTERM, wait, and return the exit status (0 = clean)."""
        if self.returncode is None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
            try:
                self.returncode = self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.returncode = self.process.wait()
        return self.returncode


@contextmanager
def running_switchboard(
    config: str | Path,
    *,
    port: int = 0,
    workers: int = 2,
    workdir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    python: str = sys.executable,
    startup_timeout_s: float = 60,
    check_exit: bool = True,
) -> Iterator[RunningSwitchboard]:
    """Run ``python -m switchboard serve`` until the block ends.

    Raises ``SwitchboardFailed`` if it does not print its ready line, or (with
    ``check_exit``) if it does not exit 0 on SIGTERM.
    """
    cfg = Path(config)
    if not cfg.exists() and (SCENARIOS_DIR / f"{cfg}.yaml").exists():
        cfg = SCENARIOS_DIR / f"{cfg}.yaml"  # built-in name, e.g. "demo_hotel"
    args = [python, "-m", "switchboard", "serve", "--config", str(cfg), "--port", str(port),
            "--workers", str(workers)]
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        args += ["--workdir", str(workdir)]
    if cache_dir is not None:
        args += ["--cache-dir", str(cache_dir)]
    stderr_path = Path(workdir) / "switchboard.stderr" if workdir else Path(os.devnull)
    with open(stderr_path, "w") as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True)
    stdout = proc.stdout
    assert stdout is not None  # stdout=PIPE
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(startup_timeout_s)
    if not lines or not lines[0].strip():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # serve, its workers and kamailio share this group
        proc.wait()
        detail = stderr_path.read_text()[-2000:] if workdir else ""
        raise SwitchboardFailed(f"switchboard did not become ready (exit {proc.returncode}): {detail}")
    sb = RunningSwitchboard(proc, json.loads(lines[0]), stderr_path)
    try:
        yield sb
    finally:
        status = sb.stop()
        if check_exit and status != 0:
            raise SwitchboardFailed(f"switchboard exited with status {status}; see {sb.workdir}")
