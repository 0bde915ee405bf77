"""CLI: ``mystery switchboard serve --config FILE --port P`` and ``mystery switchboard check FILE``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mystery_core.errors import exit_on_input_error


@click.group(name="switchboard")
def switchboard() -> None:
    """Simulated hotel switchboard: the far end for tests, demos and sales."""


@switchboard.command()
@click.option("--config", "config", required=True, type=click.Path(path_type=Path), help="Switchboard YAML.")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="UDP port of the SIP proxy (0: any free port).")
@click.option("--workers", default=3, show_default=True, type=click.IntRange(1, 64), help="pjsua2 processes (4 calls each).")
@click.option("--workdir", type=click.Path(path_type=Path), help="Where logs, state and voicemail go (default: a new temp dir).")
@click.option("--truth", type=click.Path(path_type=Path), help="Ground-truth JSON-lines file (default: WORKDIR/ground_truth.jsonl).")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Rendered audio cache (default: ~/.cache/mystery/switchboard).")
@exit_on_input_error
def serve(config: Path, port: int, workers: int, workdir: Path | None, truth: Path | None, cache_dir: Path | None) -> None:
    """Answer calls on 127.0.0.1:PORT until SIGTERM/SIGINT; print one JSON ready line first."""
    from switchboard.serve import ServeError, ServeOptions
    from switchboard.serve import serve as run

    opts = ServeOptions(config=config, port=port, workers=workers, workdir=workdir, truth=truth, cache_dir=cache_dir)
    try:
        status = run(opts)
    except ServeError as exc:
        click.echo(f"switchboard: {exc}", err=True)
        sys.exit(1)
    sys.exit(status)


@switchboard.command()
@click.argument("config", type=click.Path(path_type=Path))
@exit_on_input_error
def check(config: Path) -> None:
    """Validate a switchboard YAML and list its lines."""
    from switchboard.config import load_switchboard

    cfg = load_switchboard(config)
    for user, line in sorted(cfg.lines.items()):
        click.echo(f"{user}\t{type(line.then).__name__}\t{line.description}")
