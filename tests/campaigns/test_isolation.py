"""`campaigns` installs and runs without the SIP and audio extras and without the other product: it needs
only the shared core (`mystery_core`), never `mystery`, the simulator or the console."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("pjsua2", "vosk", "numpy", "scipy", "soundfile", "webrtcvad", "faster_whisper", "matplotlib",
             "mystery", "switchboard", "console")

PROGRAM = """
import json, sys
import campaigns, campaigns.cli, campaigns.engines.audit, campaigns.output, campaigns.guard.app, campaigns.store.repo
from campaigns.checks.registry import CHECKS
from click.testing import CliRunner
result = CliRunner().invoke(campaigns.cli.main, ["rules", "fr-2023"])
assert result.exit_code == 0, result.output
from mystery_core.store.engine import open_store
open_store("sqlite://")  # migrations of both products' branches, found without importing either
print(json.dumps(sorted(sys.modules)))
"""


def test_importing_campaigns_loads_no_sip_or_audio_module():
    out = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True, timeout=120)
    loaded = json.loads(out.stdout.splitlines()[-1])

    assert [] == [name for name in loaded if name.split(".")[0] in FORBIDDEN or
                  any(name == f or name.startswith(f + ".") for f in FORBIDDEN)]
    assert "campaigns.guard.app" in loaded
