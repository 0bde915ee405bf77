"""HTML -> PDF with headless Chromium (Debian's `chromium` package): the only PDF engine."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from mystery_core.errors import InputError

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_binary() -> str | None:
    """Path of a Chromium binary, honouring MYSTERY_CHROMIUM; None when there is none."""
    override = os.environ.get("MYSTERY_CHROMIUM")
    if override:
        return override
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(binary: str, profile_dir: str, *action: str) -> list[str]:
    """Flags for a quiet, offline, sandbox-free headless run (as root in a container)."""
    return [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile_dir}", *action,
    ]


def print_to_pdf(html: Path, pdf: Path, timeout_s: float = 120.0) -> Path:
    """Print `html` to `pdf` (A4, the page's print CSS); raises InputError when Chromium is missing."""
    binary = chromium_binary()
    if binary is None:
        raise InputError("--pdf", None, "needs Chromium: apt-get install chromium (or set MYSTERY_CHROMIUM)")
    tmp = pdf.with_name(pdf.name + ".part")
    with tempfile.TemporaryDirectory(prefix="mystery-chromium-") as profile:
        command = chromium_command(binary, profile, "--no-pdf-header-footer", f"--print-to-pdf={tmp}",
                                   html.resolve().as_uri())
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    if completed.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"chromium failed to print {html} (exit {completed.returncode}): "
                           f"{completed.stderr.strip()[-400:]}")
    os.replace(tmp, pdf)
    return pdf
