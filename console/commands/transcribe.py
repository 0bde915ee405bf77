"""`mystery transcribe` and `mystery models`: thin wrappers over `mystery.transcribe`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from console.commands.context import settings_from
from mystery.records import Segment
from mystery.transcribe.models import (
    ENGINES,
    VOSK_CATALOG_URL,
    available_models,
    download_model,
    download_whisper_model,
    fetch_catalog,
    install_from,
)
from mystery.transcribe.recording import CHANNEL_NAMES, load_segments, recording_of_call
from mystery.transcribe.spans import SPEECH_LABELS
from mystery_core.errors import exit_on_input_error


@click.command()
@click.argument("wav", metavar="CALL_OR_WAV", type=click.Path(path_type=Path))
@click.option("--channel", type=click.Choice(CHANNEL_NAMES),
              help="Channel to transcribe; default: callee (right) of a stereo call, else mono.")
@click.option("--engine", type=click.Choice(ENGINES), help="Speech engine (default: settings asr.engine).")
@click.option("--model", "model", type=click.Path(path_type=Path, file_okay=False),
              help="Model folder; default: the one for --language in asr.models / asr.model_dir.")
@click.option("--language", help="Language of the line, e.g. fr, en, ko (default: settings asr.language).")
@click.option("--segments", type=click.Path(path_type=Path, dir_okay=False),
              help="Segments JSON (e.g. from `mystery analyse --json`); default: run the segmenter now.")
@click.option("--whole-file", is_flag=True, help="Decode the whole channel, without segmentation.")
@click.option("--labels", default=",".join(sorted(SPEECH_LABELS)), show_default=True,
              help="Segment labels that are transcribed.")
@click.option("--checklist", help="Also score the transcript against this script checklist: a YAML file or "
              "the name of a shipped one (hotel_booking).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Checklist variable, e.g. --var hotel='Hotel du Parc' (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: words with times and confidence.")
@click.pass_context
@exit_on_input_error
def transcribe(ctx: click.Context, wav: Path, channel: str | None, engine: str | None, model: Path | None,
               language: str | None, segments: Path | None, whole_file: bool, labels: str, checklist: str | None,
               variables: tuple[str, ...], as_json: bool) -> None:
    """Transcribe the speech of a call recording offline: words with start, end and confidence.

    CALL_OR_WAV is a WAV file or the JSON of a call (`mystery call --json`), whose recording and
    segments are used. Only speech is decoded: the segments of --segments or of the call, or
    those the segmenter finds now.
    """
    from mystery.pipeline.process import HearingRequest, hear

    asr = settings_from(ctx).asr
    call_segments: list[Segment] | None = None
    if wav.suffix.lower() == ".json":
        wav, call_segments = recording_of_call(wav)
    if segments and whole_file:
        raise click.UsageError("--segments and --whole-file cannot be combined: choose which audio is decoded")
    # Every input is checked before the slow part (segmentation, model loading, decoding).
    script = None
    if checklist is not None:
        from mystery.score.checklist import find_checklist, load_checklist, parse_variables

        script = (load_checklist(find_checklist(checklist)), parse_variables(variables))
    found: list[Segment] | None = load_segments(segments) if segments else (None if whole_file else call_segments)
    heard = hear(HearingRequest(
        recording=wav, engine=engine or asr.engine, language=language or asr.language,
        model_dir=Path(asr.model_dir), language_dirs=asr.models, model=model, channel=channel,
        segments=None if found is None else tuple(found), whole_file=whole_file,
        labels=frozenset(x.strip() for x in labels.split(",") if x.strip()),
        checklist=script[0] if script else None, variables=script[1] if script else {}))
    transcript, scorecard = heard.transcript, heard.scorecard
    if as_json:
        out = transcript.to_json()
        if scorecard is not None:
            out["score"] = scorecard.to_json()
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(f"# {transcript.engine} {transcript.model} ({transcript.language}), channel {transcript.channel}: "
               f"{transcript.speech_s:.1f} s of speech decoded out of {transcript.audio_s:.1f} s")
    for span in transcript.spans:
        words = [w.text for w in transcript.words if span.start_s <= w.start_s <= span.end_s]
        click.echo(f"[{span.start_s:7.2f} - {span.end_s:7.2f}] {span.label}: {' '.join(words)}")
    if scorecard is not None:
        click.echo(scorecard.describe())


@click.group()
def models() -> None:
    """List and install offline speech models (vosk folders, CTranslate2 Whisper folders)."""


@models.command("list")
@click.option("--remote", is_flag=True, help="Also list the models the vosk site offers (needs internet).")
@click.option("--catalog", default=VOSK_CATALOG_URL, show_default=True, help="URL of the vosk model list.")
@click.pass_context
@exit_on_input_error
def list_models(ctx: click.Context, remote: bool, catalog: str) -> None:
    """Models this machine can use, in order of preference, and where each comes from."""
    asr = settings_from(ctx).asr
    found = available_models(Path(asr.model_dir), asr.models)
    if not found:
        click.echo(f"no models in {asr.model_dir}/ (see `mystery models install --help`)")
    for m in found:
        click.echo(f"{m.name:32} {m.engine:8} {m.language or '?':4} {m.source:30} {m.path}")
    if remote:
        for entry in fetch_catalog(catalog):
            if str(entry.get("obsolete", "false")) != "true":
                click.echo(f"remote  {entry['name']:40} {entry.get('lang', '?'):8} {entry.get('size_text', '')}")


@models.command("install")
@click.argument("name", required=False)
@click.option("--from", "source", type=click.Path(path_type=Path),
              help="Install from a local zip/tar archive or model folder instead of downloading.")
@click.option("--name", "as_name", help="Folder name under the model directory (default: the model's name).")
@click.option("--sha256", help="Expected sha256 of the downloaded zip (checked on top of the site's md5).")
@click.option("--catalog", default=VOSK_CATALOG_URL, show_default=True, help="URL of the vosk model list.")
@click.option("--force", is_flag=True, help="Replace a model already installed under that name.")
@click.pass_context
@exit_on_input_error
def install(ctx: click.Context, name: str | None, source: Path | None, as_name: str | None,
            sha256: str | None, catalog: str, force: bool) -> None:
    """Install NAME from the vosk site (checksum-verified), a Whisper model (whisper-small.en ...)
    through faster-whisper's downloader, or a local archive/folder with --from."""
    asr = settings_from(ctx).asr
    model_dir = Path(asr.model_dir)
    if source is not None:
        model = install_from(source, model_dir, name=as_name or name, force=force)
    elif name and name.startswith("whisper-"):
        model = download_whisper_model(name, model_dir, force=force)
    elif name:
        model = download_model(name, model_dir, catalog_url=catalog, sha256=sha256, force=force)
    else:
        raise click.UsageError("give a model NAME to download, or --from ARCHIVE_OR_DIR")
    click.echo(f"installed {model.name} ({model.engine}, language {model.language or '?'}) in {model.path}")
    if model.language and model.language not in asr.models:
        click.echo(f"it is used for --language {model.language}; to pin it: asr: {{models: {{{model.language}: "
                   f"{model.path}}}}} in mystery.yaml")
