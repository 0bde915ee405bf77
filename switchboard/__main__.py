"""``python -m switchboard serve ...`` (same as ``mystery switchboard``)."""

from switchboard.cli import switchboard

switchboard(prog_name="python -m switchboard")
