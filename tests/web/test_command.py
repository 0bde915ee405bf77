"""`mystery web` as a user runs it: a real process on a free port, fetched over loopback; `--get`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.error import HTTPError

import pytest

from tests.web.conftest import CAMPAIGN, Store, campaign_path

pytestmark = pytest.mark.slow


def environment(store: Store) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYSTERY_")}
    env.update(MYSTERY_DATABASE_URL=store.url, MYSTERY_RECORDINGS_DIR=str(store.recordings))
    return env


@contextmanager
def served(store: Store, cwd: Path) -> Iterator[str]:
    """`python -m mystery web --port 0` in a process; yields the URL it printed; SIGTERM at the end."""
    process = subprocess.Popen([sys.executable, "-m", "mystery", "web", "--port", "0"], cwd=cwd,
                               env=environment(store), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()   # the server prints it once it listens
        assert line.startswith("serving on http://127.0.0.1:"), (line, process.poll())
        yield line.split(" on ", 1)[1].strip()
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert 0 == process.returncode, process.stderr.read()[-2000:]


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def test_server_on_a_free_port_answers_over_loopback(sqlite_store: Store, tmp_path: Path) -> None:
    with served(sqlite_store, tmp_path) as url:
        status, kind, body = fetch(url + campaign_path(CAMPAIGN))
        assert (200, "text/html") == (status, kind)
        assert CAMPAIGN in body.decode()
        status, kind, body = fetch(url + "/recordings/lumiere/call-01.wav")
        assert (200, "audio/wav", b"RIFF") == (status, kind, body[:4])
        status, kind, body = fetch(url + "/api/campaigns/nope/calls")
        assert (404, "application/json") == (status, kind)
        assert json.loads(body)["error"]["message"].startswith("no campaign 'nope'")


def test_get_renders_one_path_and_exits(sqlite_store: Store, tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "mystery", "web", "--get", "/api/campaigns"], cwd=tmp_path,
                         env=environment(sqlite_store), capture_output=True, text=True, timeout=300, check=False)
    assert 0 == run.returncode, run.stderr[-2000:]
    assert [CAMPAIGN, "empty <campaign>"] == [c["name"] for c in json.loads(run.stdout)["campaigns"]]
    run = subprocess.run([sys.executable, "-m", "mystery", "web", "--get", "/calls/nope"], cwd=tmp_path,
                         env=environment(sqlite_store), capture_output=True, text=True, timeout=300, check=False)
    assert 2 == run.returncode
    assert "no call &#39;nope&#39; in the store" in run.stdout
    assert "error: GET /calls/nope: HTTP 404" == run.stderr.strip().splitlines()[-1]


def test_port_in_use_is_bad_input(sqlite_store: Store, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "mystery", "web", "--port", str(port)], cwd=tmp_path,
                             env=environment(sqlite_store), capture_output=True, text=True, timeout=300, check=False)
    assert 2 == run.returncode
    assert "" == run.stdout
    assert run.stderr.startswith(f"error: --port: cannot listen on 127.0.0.1:{port}: ")
