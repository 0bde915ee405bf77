"""`mystery analyse FILE`: segments and measures of any recording (time zero = file start)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mystery.audio.analyse import analyse_file
from mystery_core.errors import exit_on_input_error


@click.command("analyse")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--channel", type=click.Choice(["left", "right", "mono"]), default="right", show_default=True,
              help="Which channel is the callee (the dialer writes left = caller, right = callee); mono mixes all.")
@click.option("--fingerprints", type=click.Path(file_okay=False, path_type=Path),
              help="The line's fingerprint library directory: recordings heard before are recognised; grows.")
@click.option("--no-learn", is_flag=True, help="Match against --fingerprints without adding this call to it.")
@click.option("--offset", "recording_offset_s", type=float, default=0.0, show_default=True,
              help="Seconds from the INVITE to the first sample (time_to_human_s counts from the INVITE).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (default: a short table).")
@exit_on_input_error
def analyse(file: Path, channel: str, fingerprints: Path | None, no_learn: bool, recording_offset_s: float,
            as_json: bool) -> None:
    """Segment a recorded call (ringback, IVR, hold music, announcements, voicemail, live human) and measure it."""
    from mystery_core.errors import InputError

    if not file.exists():
        raise InputError(str(file), None, "no such file")
    result = analyse_file(file, channel, fingerprints, not no_learn, recording_offset_s)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for s in result["segments"]:
        click.echo(f"{s['start_s']:8.2f} {s['end_s']:8.2f}  {s['label']:<19} {s['confidence']:.2f}")
    m = result["measures"]
    click.echo(" ".join(f"{k}={v}" for k, v in m.items() if k not in ("human_start_s", "time_to_human_reasons")))
    if m["time_to_human_reasons"]:
        click.echo("not surer because: " + "; ".join(m["time_to_human_reasons"]))
