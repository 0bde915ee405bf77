"""``python -m mystery.switchboard serve ...`` (same as ``mystery switchboard``)."""

from mystery.switchboard.command import switchboard

switchboard(prog_name="python -m mystery.switchboard")
