"""The campaign page served by `mystery web`, opened in headless Debian Chromium: a real screenshot."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.web.conftest import CAMPAIGN, Store, campaign_path
from tests.web.test_command import served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"


def png_facts(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the image data): a blank page has very few."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, offset = b"", 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset:offset + 4])[0]
        if data[offset + 4:offset + 8] == b"IDAT":
            idat += data[offset + 8:offset + 8 + length]
        offset += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_campaign_page_screenshot(sqlite_store: Store, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("MYSTERY_REQUIRE_ALL") == "1":
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    shot = tmp_path / "campaign.png"
    with served(sqlite_store, tmp_path) as url:
        command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,2000",
                   url + campaign_path(CAMPAIGN)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert 0 == done.returncode, done.stderr[-800:]
    width, height, distinct = png_facts(shot)
    assert (1280, 2000) == (width, height)
    assert distinct > 50, "the screenshot looks blank"
    keep = os.environ.get("MYSTERY_WEB_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)
