"""Open the rendered report in headless Debian Chromium: a screenshot and a PDF that are not blank."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from mystery.records import CallResult
from mystery.report.build import campaign_assumptions, write_report
from mystery.report.pdf import chromium_binary, chromium_command

pytestmark = pytest.mark.browser


def require_chromium() -> str:
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("MYSTERY_REQUIRE_ALL") == "1":
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    return binary


def png_facts(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values in the image data): a blank page has very few."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, offset = b"", 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset:offset + 4])[0]
        kind = data[offset + 4:offset + 8]
        if kind == b"IDAT":
            idat += data[offset + 8:offset + 8 + length]
        offset += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def screenshot(url: str, shot: Path, window: tuple[int, int], profile: Path) -> None:
    """Open `url` in headless Chromium and save a `window`-sized screenshot at `shot`: Chromium must exit 0,
    and the image must have that size and not look blank."""
    command = chromium_command(require_chromium(), str(profile), f"--screenshot={shot}",
                               f"--window-size={window[0]},{window[1]}", url)
    completed = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert 0 == completed.returncode, completed.stderr[-800:]
    width, height, distinct = png_facts(shot)
    assert window == (width, height)
    assert distinct > 50, "the screenshot looks blank"


def test_report_opens_in_chromium_and_the_screenshot_is_not_blank(
        tmp_path: Path, fixture_calls: list[CallResult], campaign: dict, scores: dict) -> None:
    require_chromium()
    files = write_report(campaign, fixture_calls, scores, campaign_assumptions(campaign, calls_per_month=1200),
                         tmp_path / "out")
    shot = tmp_path / "shot.png"
    screenshot(files.html.resolve().as_uri(), shot, (1280, 2400), tmp_path / "profile")
    assert shot.stat().st_size > 50_000


def test_report_prints_to_a_multi_page_pdf(
        tmp_path: Path, fixture_calls: list[CallResult], campaign: dict, scores: dict) -> None:
    require_chromium()
    files = write_report(campaign, fixture_calls, scores, campaign_assumptions(campaign, calls_per_month=1200),
                         tmp_path / "out", pdf=True)
    assert files.pdf is not None
    data = files.pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = re.search(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)|/Count\s+(\d+).*?/Type\s*/Pages\b", data, re.S)
    assert pages is not None
    assert int(pages.group(1) or pages.group(2)) >= 2
    assert not files.pdf.with_name("report.pdf.part").exists()
