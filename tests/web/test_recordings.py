"""Recordings: only .wav files inside settings.recordings_dir are served, whatever the URL says."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from console.web.recordings import recording_href, safe_recording
from tests.web.conftest import Store, write_wav

SECRET = b"secret-bytes-outside-the-recordings-folder"


@pytest.fixture
def secret(store: Store) -> Path:
    """A .wav file next to (outside) the recordings folder, a symlink to it inside, and a text file inside."""
    path = store.recordings.parent / "secret.wav"
    path.write_bytes(b"RIFF" + SECRET)
    (store.recordings / "link.wav").symlink_to(path)
    (store.recordings / "notes.txt").write_text("not audio")
    return path


def test_safe_recording_refuses_everything_outside_the_folder(store: Store, secret: Path) -> None:
    root = store.recordings
    assert root / "lumiere" / "call-01.wav" == safe_recording(root, "lumiere/call-01.wav")
    refused = ["../secret.wav", "lumiere/../../secret.wav", str(secret), "/" + str(secret), "link.wav",
               "notes.txt", "lumiere", "", "lumiere\\..\\..\\secret.wav", "x\x00.wav", "missing.wav"]
    for relative in refused:
        assert safe_recording(root, relative) is None, relative


def test_recording_href_links_only_files_inside_the_folder(store: Store, secret: Path) -> None:
    root = store.recordings
    assert "/recordings/lumiere/call-01.wav" == recording_href(str(root / "lumiere" / "call-01.wav"), root)
    assert "/recordings/lumiere/call-01.wav" == recording_href("lumiere/call-01.wav", root)
    # as the dialer stores it: relative to where it ran, starting with the folder's own name
    assert "/recordings/lumiere/call-01.wav" == recording_href("somewhere/recordings/lumiere/call-01.wav", root)
    spaced = write_wav(root / "a b#c.wav")
    assert "/recordings/a%20b%23c.wav" == recording_href(str(spaced), root)
    assert recording_href(str(secret), root) is None
    assert recording_href(None, root) is None


async def raw_get(client: TestClient, target: str) -> tuple[int, bytes]:
    """Send the request line exactly as written (an HTTP client would normalise `..` away)."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1])
    return status, data


async def test_path_traversal_over_http_is_refused(client: TestClient, store: Store, secret: Path) -> None:
    ok_status, ok_data = await raw_get(client, "/recordings/lumiere/call-01.wav")
    assert 200 == ok_status
    assert b"RIFF" in ok_data
    targets = [
        "/recordings/../secret.wav",
        "/recordings/lumiere/../../secret.wav",
        "/recordings/%2e%2e/secret.wav",
        "/recordings/..%2fsecret.wav",
        "/recordings/%2E%2E%2Fsecret.wav",
        "/recordings/lumiere%2F..%2F..%2Fsecret.wav",
        "/recordings/%2F" + str(secret).lstrip("/"),
        "/recordings//" + str(secret).lstrip("/"),
        "/recordings/..%5csecret.wav",
        "/recordings/link.wav",
        "/recordings/notes.txt",
        "/recordings/%00.wav",
    ]
    for target in targets:
        status, data = await raw_get(client, target)
        assert status in (400, 404), (target, status)
        assert SECRET not in data, target
        assert b"not audio" not in data, target


async def test_range_requests_work_for_the_audio_player(client: TestClient, store: Store) -> None:
    full = (store.recordings / "lumiere" / "call-01.wav").read_bytes()
    response = await client.get("/recordings/lumiere/call-01.wav", headers={"Range": "bytes=0-99"})
    assert 206 == response.status
    assert full[:100] == await response.read()
    assert "audio/wav" == response.headers["Content-Type"]
