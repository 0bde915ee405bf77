"""The dashboard's door: loopback only without a token; with one, every request shows it; browser defences.

A real `mystery web` process on 127.0.0.1 (never another address: the refusal to bind beyond loopback
is checked before any socket is opened), fetched with http.client so redirects are seen as they are.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.web.conftest import CAMPAIGN, Store, campaign_path
from tests.web.test_command import environment

pytestmark = pytest.mark.slow
TOKEN = "s3cret-dashboard-token"


@contextmanager
def served_with_token(store: Store, cwd: Path) -> Iterator[tuple[str, int]]:
    env = {**environment(store), "MYSTERY_WEB_TOKEN": TOKEN}
    process = subprocess.Popen([sys.executable, "-m", "mystery", "web", "--port", "0"], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("serving on http://127.0.0.1:"), (line, process.poll())
        url = urlsplit(line.split(" on ", 1)[1].strip())
        yield str(url.hostname), int(url.port or 0)
    finally:
        process.terminate()
        process.wait(timeout=60)


def request(address: tuple[str, int], method: str, path: str, headers: dict[str, str] | None = None,
            body: str | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(*address, timeout=60)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    return response


def test_serving_beyond_loopback_without_a_token_is_refused(sqlite_store: Store, tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "mystery", "web", "--host", "0.0.0.0", "--port", "0"], cwd=tmp_path,
                         env=environment(sqlite_store), capture_output=True, text=True, timeout=60)
    assert 2 == run.returncode
    assert ["error: --host: 0.0.0.0 would serve recordings and phone numbers beyond this machine with no login: "
            "set an access token (web.token, or MYSTERY_WEB_TOKEN), or listen on 127.0.0.1"] == \
        run.stderr.strip().splitlines()


def test_with_a_token_every_request_needs_it_and_a_person_signs_in_once(sqlite_store: Store,
                                                                         tmp_path: Path) -> None:
    page = campaign_path(CAMPAIGN)
    with served_with_token(sqlite_store, tmp_path) as address:
        assert 401 == request(address, "GET", "/api/campaigns").status
        anonymous = request(address, "GET", page)
        assert 303 == anonymous.status and (anonymous.getheader("Location") or "").startswith("/login?next=")
        assert 200 == request(address, "GET", "/api/campaigns", {"Authorization": f"Bearer {TOKEN}"}).status
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        wrong = request(address, "POST", "/login", form, urlencode({"token": "guess", "next": page}))
        assert 403 == wrong.status and wrong.getheader("Set-Cookie") is None
        signed = request(address, "POST", "/login", form, urlencode({"token": TOKEN, "next": page}))
        cookie = signed.getheader("Set-Cookie") or ""
        assert (303, page) == (signed.status, signed.getheader("Location"))
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
        assert 200 == request(address, "GET", page, {"Cookie": cookie.split(";", 1)[0]}).status
        offsite = request(address, "POST", "/login", form, urlencode({"token": TOKEN, "next": "//evil.example/"}))
        assert "/" == offsite.getheader("Location")


def test_every_answer_carries_the_browser_defences(sqlite_store: Store, tmp_path: Path) -> None:
    with served_with_token(sqlite_store, tmp_path) as address:
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        for response in (request(address, "GET", campaign_path(CAMPAIGN), bearer),
                         request(address, "GET", "/no/such/page", bearer),
                         request(address, "GET", "/campaigns"),
                         request(address, "GET", "/login")):
            assert "DENY" == response.getheader("X-Frame-Options"), response.status
            assert "nosniff" == response.getheader("X-Content-Type-Options")
            assert "no-referrer" == response.getheader("Referrer-Policy")
            assert "script-src 'none'" in (response.getheader("Content-Security-Policy") or "")
        huge = request(address, "GET", "/compliance/runs/" + "9" * 30, bearer)
        assert 404 == huge.status
