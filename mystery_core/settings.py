"""Settings from one place: defaults < settings file < `MYSTERY_*` environment < CLI flags.

Every field has help text; `mystery config show` prints each value and where it came from.
This module is the only one that reads the environment. Secrets (the SIP password) are never
printed: `Settings.describe()` masks them. The settings are pydantic schemas (mystery_core.validate):
each source is validated on its own, so an error names the file, the variable or the flag.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, Field, PlainValidator
from pydantic_core import PydanticUndefined

from mystery_core.errors import InputError
from mystery_core.validate import Invalid, Schema, validate_data, whole_number
from mystery_core.yamlfile import parse_located_yaml

DEFAULT_FILE = "mystery.yaml"
ENV_PREFIX = "MYSTERY_"
SECRET_FIELDS = {"sip.password", "web.token"}
SECTIONS = ("sip", "asr", "web")


def _help(text: str, default: Any = PydanticUndefined, **kwargs: Any) -> Any:
    return Field(default, description=text, **kwargs)


def _items(value: Any) -> Any:
    """`PCMA,PCMU` (the environment, a flag) or a list."""
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


def _mapping(value: Any) -> Any:
    """`{fr: models/fr}` as YAML text (the environment, a flag) or a mapping."""
    parsed = parse_located_yaml(value, "value").data if isinstance(value, str) else value
    if not isinstance(parsed, Mapping):
        raise Invalid(f"expected a mapping, got {value!r}")
    return parsed


Whole = Annotated[int, PlainValidator(lambda value: whole_number(value, "int", text=True))]
Items = Annotated[tuple[str, ...], BeforeValidator(_items)]


def _calls_per_process(value: Any) -> int:
    number = whole_number(value, "int", text=True)
    if not 1 <= number <= 4:
        raise Invalid(f"expected 1 to 4 (pjsua2 places at most 4 calls in one process), got {number}")
    return number


class _Section(Schema):
    unknown_key: ClassVar[str] = "unknown setting (known: {known})"


class SipSettings(_Section):
    """The caller's SIP account. Empty registrar = direct calls with no registration (loopback, tests)."""

    registrar: str = _help("Registrar URI, e.g. sip:trunk.example.net; empty for no REGISTER", "")
    username: str = _help("Digest user name of the trunk account", "")
    password: str = _help("Digest password (never logged or printed)", "", repr=False)
    realm: str = _help("Digest realm; '*' accepts any realm", "*")
    outbound_proxy: str = _help("Outbound proxy URI, e.g. sip:proxy.example.net;lr", "")
    caller_id: str = _help("From URI / caller ID, e.g. sip:+33140000000@trunk.example.net", "")
    codecs: Items = _help("Codec order offered in SDP", ("PCMA", "PCMU"))
    bind_ip: str = _help("Local address for SIP and RTP", "127.0.0.1")
    port: Whole = _help("Local SIP port of the dialer; 0 picks a free one", 0)
    rtp_port: Whole = _help("First local RTP port; 0 picks a free range", 0)
    transport: Literal["udp", "tcp", "tls"] = _help("SIP transport of the calls: udp, tcp or tls", "udp")
    srtp: Literal["off", "optional", "mandatory"] = _help(
        "SRTP (SDES) for the media: off, optional (offered, RTP accepted) or mandatory", "off")
    tls_ca_file: str = _help("CA certificates (PEM) that sign the trunk's TLS certificate; empty: the "
                             "system's", "")
    calls_per_process: Annotated[int, PlainValidator(_calls_per_process)] = _help(
        "Calls placed together in one dialer process, 1 to 4 (pjsua2's limit): fewer processes to start and poll "
        "(docs/scenarios.md, how many calls at once), but a crash of a process takes all its calls", 4)
    trunk_agent: str = _help("Text in the Server or User-Agent header of the trunk's own answers: its 403 and "
                             "503 pause a campaign instead of counting against a hotel's line", "")


class AsrSettings(_Section):
    """Offline speech recognition."""

    engine: str = _help("Transcription engine: vosk or whisper", "vosk")
    model_dir: str = _help("Directory holding installed speech models", "models")
    language: str = _help("Default language of the calls (fr, en, ...)", "en")
    models: Annotated[dict[str, str], BeforeValidator(_mapping)] = _help(
        "Model directory per language, e.g. {fr: models/vosk-model-small-fr-0.22}", default_factory=dict)


class WebSettings(_Section):
    host: str = _help("Address the dashboard and the guard listen on", "127.0.0.1")
    port: Whole = _help("Port of the dashboard", 8700)
    token: str = _help("Access token of the dashboard (Bearer header or /login); required to listen beyond "
                       "loopback. Never printed", "")


class Settings(_Section):
    """All settings of both products."""

    internal: ClassVar[frozenset[str]] = frozenset({"sources"})
    database_url: str = _help("SQLAlchemy URL: SQLite by default, postgresql+psycopg://... for PostgreSQL",
                              "sqlite:///mystery.db")
    recordings_dir: Path = _help("Where call recordings are written", Path("recordings"))
    reports_dir: Path = _help("Where reports are written", Path("reports"))
    fingerprints_dir: Path = _help("Per-line library of recorded-prompt fingerprints",
                                   Path("recordings/fingerprints"))
    sip: SipSettings = _help("SIP account of the dialer", default_factory=SipSettings)
    asr: AsrSettings = _help("Speech recognition", default_factory=AsrSettings)
    web: WebSettings = _help("Web dashboard", default_factory=WebSettings)
    sources: dict[str, str] = Field(default_factory=dict, repr=False,
                                    description="where each value came from")

    def describe(self) -> list[tuple[str, str, str, str]]:
        """Rows (name, value, source, help) for `mystery config show`; secrets masked."""
        rows = []
        for name, value, help_text in _walk(self):
            shown = "********" if name in SECRET_FIELDS and value else _format(value)
            rows.append((name, shown, self.sources.get(name, "default"), help_text))
        return rows


def _walk(obj: BaseModel, prefix: str = "") -> list[tuple[str, Any, str]]:
    out = []
    for name, info in type(obj).model_fields.items():
        if name == "sources":
            continue
        value = getattr(obj, name)
        if isinstance(value, BaseModel):
            out.extend(_walk(value, f"{prefix}{name}."))
        else:
            out.append((f"{prefix}{name}", value, info.description or ""))
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


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(str(path), None, f"cannot read settings file: {error.strerror}") from None
    loaded = parse_located_yaml(text, str(path)).data or {}
    if not isinstance(loaded, dict):
        raise InputError(str(path), None, "expected a mapping of settings at the top level")
    flat: dict[str, Any] = {}
    for key, value in loaded.items():
        if isinstance(value, dict) and key in SECTIONS:
            for sub, subvalue in value.items():
                flat[f"{key}.{sub}"] = subvalue
        else:
            flat[str(key)] = value
    return flat


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for name, value in flat.items():
        section, _, sub = name.rpartition(".")
        (nested.setdefault(section, {}) if section else nested)[sub] = value
    return nested


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
    names = field_names()
    layers: list[tuple[str, str, dict[str, Any]]] = []  # (where errors point, source shown, values)
    path = config_file or env.get(f"{ENV_PREFIX}CONFIG")
    if path is None and Path(DEFAULT_FILE).exists():
        path = DEFAULT_FILE
    if path is not None:
        flat = _read_file(Path(path))
        unknown = [name for name in flat if name not in names]
        if unknown:
            raise InputError(str(path), unknown[0], f"unknown setting (known: {', '.join(names)})")
        layers.append((str(path), f"file {path}", flat))
    for name in names:
        var = ENV_PREFIX + name.replace(".", "_").upper()
        if var in env:
            layers.append((f"${var}", f"env {var}", {name: env[var]}))
    for name, raw in (overrides or {}).items():
        if raw is not None and name not in names:
            raise InputError("command line", name, "unknown setting")
        if raw is not None:
            layers.append(("command line", "command line", {name: raw}))

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for where, source, flat in layers:
        checked = validate_data(Settings, _nest(flat), where)  # errors name this source alone
        for name in flat:
            section, _, sub = name.rpartition(".")
            values[name] = getattr(getattr(checked, section) if section else checked, sub)
            sources[name] = source
    return validate_data(Settings, _nest(values), "settings").model_copy(update={"sources": sources})
