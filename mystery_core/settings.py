"""Settings from one place: defaults < settings file < `MYSTERY_*` environment < CLI flags.

Every field has help text; `mystery config show` prints each value and where it came from.
This module is the only one that reads the environment. Secrets (the SIP password) are never
printed: `Settings.describe()` masks them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mystery_core.errors import InputError

DEFAULT_FILE = "mystery.yaml"
ENV_PREFIX = "MYSTERY_"
SECRET_FIELDS = {"sip.password"}


def _help(text: str, **kwargs: Any) -> Any:
    return field(metadata={"help": text}, **kwargs)


@dataclass(frozen=True)
class SipSettings:
    """The caller's SIP account. Empty registrar = direct calls with no registration (loopback, tests)."""

    registrar: str = _help("Registrar URI, e.g. sip:trunk.example.net; empty for no REGISTER", default="")
    username: str = _help("Digest user name of the trunk account", default="")
    password: str = _help("Digest password (never logged or printed)", default="")
    realm: str = _help("Digest realm; '*' accepts any realm", default="*")
    outbound_proxy: str = _help("Outbound proxy URI, e.g. sip:proxy.example.net;lr", default="")
    caller_id: str = _help("From URI / caller ID, e.g. sip:+33140000000@trunk.example.net", default="")
    codecs: tuple[str, ...] = _help("Codec order offered in SDP", default=("PCMA", "PCMU"))
    bind_ip: str = _help("Local address for SIP and RTP", default="127.0.0.1")
    port: int = _help("Local SIP port of the dialer; 0 picks a free one", default=0)
    rtp_port: int = _help("First local RTP port; 0 picks a free range", default=0)


@dataclass(frozen=True)
class AsrSettings:
    """Offline speech recognition."""

    engine: str = _help("Transcription engine: vosk or whisper", default="vosk")
    model_dir: str = _help("Directory holding installed speech models", default="models")
    language: str = _help("Default language of the calls (fr, en, ...)", default="en")
    models: Mapping[str, str] = _help(
        "Model directory per language, e.g. {fr: models/vosk-model-small-fr-0.22}", default_factory=dict
    )


@dataclass(frozen=True)
class WebSettings:
    host: str = _help("Address the dashboard and the guard listen on", default="127.0.0.1")
    port: int = _help("Port of the dashboard", default=8700)


@dataclass(frozen=True)
class Settings:
    """All settings of both products."""

    database_url: str = _help("SQLAlchemy URL: SQLite by default, postgresql+psycopg://... for PostgreSQL",
                              default="sqlite:///mystery.db")
    recordings_dir: Path = _help("Where call recordings are written", default=Path("recordings"))
    reports_dir: Path = _help("Where reports are written", default=Path("reports"))
    fingerprints_dir: Path = _help("Per-line library of recorded-prompt fingerprints",
                                   default=Path("recordings/fingerprints"))
    sip: SipSettings = _help("SIP account of the dialer", default_factory=SipSettings)
    asr: AsrSettings = _help("Speech recognition", default_factory=AsrSettings)
    web: WebSettings = _help("Web dashboard", default_factory=WebSettings)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False,
                                       metadata={"help": "where each value came from"})

    def describe(self) -> list[tuple[str, str, str, str]]:
        """Rows (name, value, source, help) for `mystery config show`; secrets masked."""
        rows = []
        for name, value, help_text in _walk(self):
            shown = "********" if name in SECRET_FIELDS and value else _format(value)
            rows.append((name, shown, self.sources.get(name, "default"), help_text))
        return rows


def _walk(obj: Any, prefix: str = "") -> list[tuple[str, Any, str]]:
    out = []
    for f in dataclasses.fields(obj):
        if f.name == "sources":
            continue
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out.extend(_walk(value, f"{prefix}{f.name}."))
        else:
            out.append((f"{prefix}{f.name}", value, f.metadata.get("help", "")))
    return out


def _format(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, Mapping):
        return ",".join(f"{k}={v}" for k, v in value.items()) or "{}"
    return str(value)


def field_names() -> list[str]:
    """Every settable name, dotted (`sip.password`)."""
    return [name for name, _, _ in _walk(Settings())]


def _coerce(name: str, raw: Any, default: Any, where: str) -> Any:
    try:
        if isinstance(default, bool):
            return raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, Path):
            return Path(raw)
        if isinstance(default, tuple):
            items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())
        if isinstance(default, Mapping):
            parsed = yaml.safe_load(raw) if isinstance(raw, str) else raw
            if not isinstance(parsed, Mapping):
                raise ValueError("expected a mapping")
            return {str(k): str(v) for k, v in parsed.items()}
        return str(raw)
    except (TypeError, ValueError, yaml.YAMLError) as error:
        raise InputError(where, name, f"expected {type(default).__name__}, got {raw!r} ({error})") from None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise InputError(str(path), None, f"cannot read settings file: {error.strerror}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(where, None, f"invalid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(loaded, dict):
        raise InputError(str(path), None, "expected a mapping of settings at the top level")
    flat: dict[str, Any] = {}
    for key, value in loaded.items():
        if isinstance(value, dict) and key in {"sip", "asr", "web"}:
            for sub, subvalue in value.items():
                flat[f"{key}.{sub}"] = subvalue
        else:
            flat[str(key)] = value
    return flat


def load_settings(
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build Settings from defaults, then the file, then `MYSTERY_*` variables, then overrides.

    The file is `config_file`, else `$MYSTERY_CONFIG`, else `./mystery.yaml` if it exists.
    Environment names: `MYSTERY_DATABASE_URL`, `MYSTERY_SIP_PASSWORD`, `MYSTERY_ASR_MODEL_DIR`, ...
    """
    env = os.environ if env is None else env
    defaults = {name: value for name, value, _ in _walk(Settings())}
    values: dict[str, Any] = dict(defaults)
    sources: dict[str, str] = {}

    path = config_file or env.get(f"{ENV_PREFIX}CONFIG")
    if path is None and Path(DEFAULT_FILE).exists():
        path = DEFAULT_FILE
    if path is not None:
        for name, raw in _read_file(Path(path)).items():
            if name not in defaults:
                raise InputError(str(path), name, f"unknown setting (known: {', '.join(defaults)})")
            values[name] = _coerce(name, raw, defaults[name], str(path))
            sources[name] = f"file {path}"

    for name in defaults:
        var = ENV_PREFIX + name.replace(".", "_").upper()
        if var in env:
            values[name] = _coerce(name, env[var], defaults[name], f"${var}")
            sources[name] = f"env {var}"

    for name, raw in (overrides or {}).items():
        if raw is None:
            continue
        if name not in defaults:
            raise InputError("command line", name, "unknown setting")
        values[name] = _coerce(name, raw, defaults[name], "command line")
        sources[name] = "command line"

    def section(cls: type, key: str) -> Any:
        return cls(**{f.name: values[f"{key}.{f.name}"] for f in dataclasses.fields(cls)})

    return Settings(
        database_url=values["database_url"],
        recordings_dir=values["recordings_dir"],
        reports_dir=values["reports_dir"],
        fingerprints_dir=values["fingerprints_dir"],
        sip=section(SipSettings, "sip"),
        asr=section(AsrSettings, "asr"),
        web=section(WebSettings, "web"),
        sources=sources,
    )
