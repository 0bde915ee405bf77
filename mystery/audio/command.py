"""`mystery analyse FILE`: segments and measures of any recording (time zero = file start)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from mystery.errors import exit_on_input_error


def analyse_file(path: Path, channel: str = "right", fingerprints: Path | None = None, learn: bool = True,
                 recording_offset_s: float = 0.0, call_id: str | None = None) -> dict[str, object]:
    """Analyse one recording; with a fingerprint directory, match against it and (if `learn`) grow it."""
    from mystery.audio.fingerprint import FingerprintLibrary
    from mystery.audio.segment import remember, segment_call
    from mystery.audio.wav import read_channels
    from mystery.measure.phases import measure_phases

    channels = read_channels(path, channel)
    library = FingerprintLibrary(fingerprints) if fingerprints is not None else None
    call_id = call_id or path.stem
    analysis = segment_call(channels.callee, channels.caller, library, call_id)
    measures = measure_phases(analysis.segments, channels.duration_s, recording_offset_s)
    if library is not None and learn:
        remember(library, call_id, analysis)
        library.save()
    return {
        "file": str(path),
        "channel": channel,
        "duration_s": round(channels.duration_s, 2),
        "recording_offset_s": recording_offset_s,
        "segments": [asdict(s) for s in analysis.segments],
        "measures": asdict(measures),
        "caller_speech": [[round(a, 2), round(b, 2)] for a, b in analysis.caller_speech],
        "fingerprints": None if library is None else {"directory": str(fingerprints), "items": len(library),
                                                      "matched_items": list(analysis.repeated_items)},
    }


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
    from mystery.errors import InputError

    if not file.exists():
        raise InputError(str(file), None, "no such file")
    result = analyse_file(file, channel, fingerprints, not no_learn, recording_offset_s)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for s in result["segments"]:  # type: ignore[union-attr]
        click.echo(f"{s['start_s']:8.2f} {s['end_s']:8.2f}  {s['label']:<19} {s['confidence']:.2f}")
    m = result["measures"]
    click.echo(" ".join(f"{k}={v}" for k, v in m.items() if k != "human_start_s"))  # type: ignore[union-attr]
