"""``mystery switchboard serve``: workers + kamailio, one ready line, clean stop on SIGTERM/SIGINT.

Process tree::

    serve (this module, no pjsua2)
      |- kamailio on 127.0.0.1:PORT          the address callers dial
      |- worker 0 (pjsua2, <= 4 calls)        127.0.0.1:<free port>
      |- worker 1 ...
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mystery_core.errors import InputError
from switchboard.config import Switchboard, iter_prompts, load_switchboard
from switchboard.proxy import LOG_MARKER, dispatcher_list, kamailio_command, kamailio_config
from switchboard.render import default_cache_dir, render_prompt, render_ringback
from switchboard.seats import create_seats
from switchboard.truth import append_record


class ServeError(Exception):
    """The simulator could not start (a child failed); the message says which and why."""


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """How to run the simulator."""

    config: Path
    port: int = 0  # 0: pick a free UDP port
    workers: int = 3
    workdir: Path | None = None  # None: a fresh temporary directory
    cache_dir: Path | None = None
    truth: Path | None = None  # default: <workdir>/ground_truth.jsonl
    startup_timeout_s: float = 20.0


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise InputError("--port", None, f"127.0.0.1:{port} (UDP) is not free: {exc.strerror}") from None


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prerender(cfg: Switchboard, cache_dir: Path) -> int:
    """Render every prompt once, before the workers start (so no call waits for sox)."""
    prompts = iter_prompts(cfg)
    for prompt in prompts:
        render_prompt(prompt, cfg.ivr_voice, cache_dir)
    render_ringback(cache_dir)
    return len(prompts)


def probe_sip(port: int, timeout_s: float, alive: Callable[[], bool] = lambda: True) -> bool:
    """Send OPTIONS to 127.0.0.1:port until something answers (or ``alive()`` turns false)."""
    deadline = time.time() + timeout_s
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.2)
        local = s.getsockname()[1]
        n = 0
        while time.time() < deadline and alive():
            n += 1
            msg = (
                f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-probe-{os.getpid()}-{n}\r\n"
                f"From: <sip:probe@127.0.0.1:{local}>;tag=p{n}\r\nTo: <sip:127.0.0.1:{port}>\r\n"
                f"Call-ID: probe-{os.getpid()}-{n}@127.0.0.1\r\nCSeq: {n} OPTIONS\r\nMax-Forwards: 5\r\n"
                "Content-Length: 0\r\n\r\n"
            )
            s.sendto(msg.encode(), ("127.0.0.1", port))
            try:
                data = s.recv(4096)
            except (TimeoutError, ConnectionRefusedError):
                continue
            if data.startswith(b"SIP/2.0"):
                return True
    return False


class Simulator:
    """The running process tree; ``start()`` then ``wait()``; ``stop()`` from a signal handler."""

    def __init__(self, opts: ServeOptions) -> None:
        self.opts = opts
        self.cfg = load_switchboard(opts.config)  # bad input fails here, before any process starts
        # absolute: kamailio runs in its own directory and reads the paths in its config
        self.workdir = Path(opts.workdir or tempfile.mkdtemp(prefix="mystery-switchboard-")).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.cache_dir = Path(opts.cache_dir or default_cache_dir()).resolve()
        self.truth = Path(opts.truth or self.workdir / "ground_truth.jsonl").resolve()
        self.config = Path(opts.config).resolve()
        self.workers: list[tuple[int, subprocess.Popen[str], int]] = []
        self.proxy: subprocess.Popen[str] | None = None
        self.port = opts.port or free_udp_port()
        if opts.port:
            _check_port_free(opts.port)
        for tool in ("kamailio", "espeak-ng", "sox"):
            if shutil.which(tool) is None and not (tool == "kamailio" and Path("/usr/sbin/kamailio").exists()):
                raise ServeError(f"{tool} is not installed (Debian: apt-get install {tool})")
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> dict[str, Any]:
        prerender(self.cfg, self.cache_dir)
        state = self.workdir / "state.sqlite"
        create_seats(state, {q.name: q.agents for q in self.cfg.queues.values()})
        self.truth.parent.mkdir(parents=True, exist_ok=True)
        self.truth.write_text("")  # one run, one ground truth
        rtp_base = random.Random().randrange(20000, 40000, 2)
        for i in range(self.opts.workers):
            port = free_udp_port()
            cmd = [
                sys.executable, "-m", "switchboard.worker", "--config", str(self.config),
                "--sip-port", str(port), "--rtp-port", str(rtp_base + 400 * i), "--worker-id", str(i),
                "--state", str(state), "--truth", str(self.truth), "--workdir", str(self.workdir),
                "--cache-dir", str(self.cache_dir),
            ]
            with open(self.workdir / f"worker-{i}.stderr", "w") as err:
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
            self.workers.append((i, proc, port))
        for i, proc, _port in self.workers:
            line = self._read_ready(proc, f"worker {i}")
            if json.loads(line).get("event") != "ready":
                raise ServeError(f"worker {i} did not start: {line.strip()}")
        list_file = self.workdir / "dispatcher.list"
        list_file.write_text(dispatcher_list([p for _i, _proc, p in self.workers]))
        cfg_file = self.workdir / "kamailio.cfg"
        cfg_file.write_text(kamailio_config(self.port, list_file, len(self.workers)))
        runtime = self.workdir / "kamailio-run"
        runtime.mkdir(exist_ok=True)
        self.proxy = subprocess.Popen(
            kamailio_command(cfg_file, runtime), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        reader = threading.Thread(target=self._read_proxy_log, args=(self.proxy.stderr,), daemon=True)
        reader.start()
        self._threads.append(reader)
        proxy = self.proxy
        if not probe_sip(self.port, self.opts.startup_timeout_s, lambda: proxy.poll() is None):
            raise ServeError(f"kamailio did not answer on 127.0.0.1:{self.port}; see {self.workdir / 'kamailio.log'}")
        return {
            "event": "ready",
            "sip_port": self.port,
            "uri_base": f"sip:{{line}}@127.0.0.1:{self.port}",
            "truth": str(self.truth),
            "workdir": str(self.workdir),
            "lines": sorted(self.cfg.lines),
            "workers": [{"id": i, "sip_port": p, "pid": proc.pid} for i, proc, p in self.workers],
            "proxy_pid": self.proxy.pid,
            "pid": os.getpid(),
        }

    def _read_ready(self, proc: subprocess.Popen[str], who: str) -> str:
        assert proc.stdout is not None
        stdout = proc.stdout
        result: list[str] = []
        got = threading.Event()

        def read() -> None:
            # pjlib prints a banner on stdout before our JSON line
            for line in stdout:
                if not result and line.startswith('{"event"'):
                    result.append(line)
                    got.set()
            got.set()  # EOF: the child died

        t = threading.Thread(target=read, daemon=True)  # keeps draining so the child never blocks on the pipe
        t.start()
        self._threads.append(t)
        got.wait(self.opts.startup_timeout_s)
        if not result:
            raise ServeError(f"{who} did not start; see {self.workdir}/worker-*.stderr")
        return result[0]

    def _read_proxy_log(self, stream: IO[str] | None) -> None:
        if stream is None:
            return
        with open(self.workdir / "kamailio.log", "a") as log:
            for line in stream:
                log.write(line)
                log.flush()
                if LOG_MARKER in line:
                    payload = line.split(LOG_MARKER, 1)[1].strip()
                    try:
                        record = json.loads(payload)
                    except json.JSONDecodeError:
                        continue
                    append_record(self.truth, {"kind": "proxy", **record})

    def stop(self) -> None:
        self._stop.set()

    def wait(self) -> int:
        """Block until stopped or a child dies; then take everything down. 0 = clean stop."""
        status = 0
        while not self._stop.wait(0.2):
            dead = [f"worker {i}" for i, proc, _p in self.workers if proc.poll() is not None]
            if self.proxy is not None and self.proxy.poll() is not None:
                dead.append("kamailio")
            if dead:
                print(json.dumps({"event": "failed", "dead": dead}), file=sys.stderr, flush=True)
                status = 1
                break
        self.shutdown()
        return status

    def shutdown(self) -> None:
        """Workers first (they hang up and log their calls), then the proxy."""
        for _i, proc, _p in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _i, proc, _p in self.workers:
            try:
                proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.proxy is not None and self.proxy.poll() is None:
            self.proxy.send_signal(signal.SIGTERM)
            try:
                self.proxy.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proxy.kill()
                self.proxy.wait()
        for t in self._threads:
            t.join(timeout=2)


def serve(opts: ServeOptions, out: IO[str] = sys.stdout) -> int:
    """Run until SIGTERM/SIGINT; print the ready line (JSON) on ``out``; return the exit status."""
    sim = Simulator(opts)
    previous = {sig: signal.signal(sig, lambda *_: sim.stop()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            ready = sim.start()
        except BaseException:
            sim.shutdown()
            raise
        print(json.dumps(ready), file=out, flush=True)
        status = sim.wait()
        print(json.dumps({"event": "stopped", "status": status}), file=out, flush=True)
        return status
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
