"""``python -m switchboard serve ...`` (same as ``mystery switchboard``)."""

from console.commands.switchboard import switchboard

switchboard(prog_name="python -m switchboard")
