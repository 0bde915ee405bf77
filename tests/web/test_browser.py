"""The campaign page served by `mystery web`, opened in headless Debian Chromium: a real screenshot."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.report.test_browser import require_chromium, screenshot
from tests.web.conftest import CAMPAIGN, Store, campaign_path
from tests.web.test_command import served

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_campaign_page_screenshot(sqlite_store: Store, tmp_path: Path) -> None:
    require_chromium()
    shot = tmp_path / "campaign.png"
    with served(sqlite_store, tmp_path) as url:
        screenshot(url + campaign_path(CAMPAIGN), shot, (1280, 2000), tmp_path / "profile")
    keep = os.environ.get("MYSTERY_WEB_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)
