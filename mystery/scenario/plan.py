"""What one call should do: the target, the caller's steps and the limits (pure, no I/O).

A plan travels as JSON from the campaign runner (or `mystery call`) to a dialer worker
process. Validation happens here so that bad input is refused before any process, socket
or file exists.

Steps. Each step has an action (`dtmf`, `say`, `hangup`) and a trigger (`on`):

- `answered` / `early_media`: fire `offset_s` after that call event, independently of the
  other steps (this is what `--dtmf 1@2.5` on the command line means: 2.5 s after the 200 OK).
- `prompt_ended`, `silence`, `human_reached`, `timeout`: sequential. Such a step is armed
  when the step before it in the list has finished (digits sent, line said), or at the
  answer if it is the first, and fires `offset_s` after its event occurs *after* arming.
  `timeout_s` (optional) fires the step anyway that long after arming; `on: timeout` is
  just "`after_s` seconds after arming".
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, PlainValidator, model_validator

from mystery_core.errors import InputError
from mystery_core.validate import Invalid, Schema, number, validate_data

ACTIONS = ("dtmf", "say", "hangup")
TIMED_TRIGGERS = ("answered", "early_media")
SEQUENTIAL_TRIGGERS = ("prompt_ended", "silence", "human_reached", "timeout")
TRIGGERS = TIMED_TRIGGERS + SEQUENTIAL_TRIGGERS
DTMF_DIGITS = re.compile(r"^[0-9A-Da-d*#]+$")

# sip:user@host[:port][;params]  (user optional; host a name, IPv4, or [IPv6])
SIP_URI = re.compile(
    r"^sips?:(?:[^@\s:;]+(?::[^@\s;]*)?@)?"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>\d{1,5}))?(?:;[^\s]*)?$"
)


@dataclass(frozen=True, slots=True)
class Step:
    """One thing the caller does.

    action: `dtmf` (value = digits, sent as RFC 4733 events), `say` (value = a WAV path or a
    text that espeak-ng renders), `hangup`.
    on: the trigger (see module docstring); offset_s: delay after the trigger's event.
    min_silence_ms: for `prompt_ended`, the silence that must follow the callee's sound.
    silence_s: for `silence`, how long the callee must be quiet.
    after_s: for `timeout`, delay after arming. timeout_s: fire anyway after this long armed.
    """

    action: str
    value: str = ""
    on: str = "answered"
    offset_s: float = 0.0
    min_silence_ms: int = 700
    silence_s: float = 3.0
    after_s: float = 0.0
    timeout_s: float | None = None

    @property
    def sequential(self) -> bool:
        return self.on in SEQUENTIAL_TRIGGERS


@dataclass(frozen=True, slots=True)
class Account:
    """The caller's SIP account (a copy of settings.sip). The password is never printed."""

    registrar: str = ""
    username: str = ""
    password: str = dataclasses.field(default="", repr=False)
    realm: str = "*"
    outbound_proxy: str = ""
    caller_id: str = ""
    codecs: tuple[str, ...] = ("PCMA", "PCMU")
    bind_ip: str = "127.0.0.1"
    port: int = 0
    rtp_port: int = 0
    transport: str = "udp"          # udp, tcp or tls: the SIP transport of the call
    srtp: str = "off"               # off, optional, mandatory (SDES keys, over tls to be secret)
    tls_ca_file: str = ""           # CA list to verify the far end's TLS certificate; "" = the system's
    trunk_agent: str = ""           # the trunk's Server/User-Agent text: its 403/503 pause a campaign


MAX_CALL_SECONDS = 86_400
"""The longest call a plan may ask for (`max_seconds`)."""


@dataclass(frozen=True, slots=True)
class CallPlan:
    """Everything a dialer worker needs for one call.

    ring_timeout_s: give up (CANCEL) if not answered this long after the INVITE.
    max_seconds: hard cap on the whole call, counted from the INVITE.
    no_response_s: give up when not even a provisional response came back (unreachable peer).
    rtp_timeout_s: hang up as `dropped` when no RTP arrives for this long after the answer (0 = off).
    level_dbfs: callee frames louder than this count as sound for the live detectors.
    follow_redirects: follow a 3xx to its target (at most MAX_REDIRECTS hops, never back to a URI
    already tried); when false, the call ends with outcome `redirected` and the target.
    """

    uri: str
    steps: tuple[Step, ...] = ()
    ring_timeout_s: float = 30.0
    max_seconds: float = 120.0
    no_response_s: float = 8.0
    rtp_timeout_s: float = 20.0
    recordings_dir: str = "recordings"
    recording_name: str = ""
    call_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    line: str = ""
    voice: str = "en"
    level_dbfs: float = -45.0
    account: Account = field(default_factory=Account)
    pjsip_log: str = ""
    follow_redirects: bool = True

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON-ready data (includes the password: send it over a pipe, never log it)."""
        return dataclasses.asdict(self)


def check_uri(uri: str, where: str = "SIP_URI") -> str:
    """Return `uri` if it looks like a SIP URI pjsua2 can dial, else raise InputError."""
    match = SIP_URI.match(uri.strip()) if isinstance(uri, str) else None
    if not match:
        raise InputError(where, None, f"not a SIP URI: {uri!r} (expected sip:user@host[:port])")
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise InputError(where, None, f"port out of range in {uri!r}")
    return uri.strip()


def _seconds(raw: Any, minimum: float = 0.0) -> float:
    return number(raw, "a number of seconds", minimum=minimum, text=True,
                  out_of_range=f"a number >= {minimum:g}")


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(value: Any) -> str:
        if value not in choices:
            raise Invalid(f"expected one of {', '.join(choices)}, got {value!r}")
        return str(value)

    return PlainValidator(check)


class StepSchema(Schema):
    """A step as written in a scenario, a plan's JSON or on the command line (see `Step`)."""

    unknown_key: ClassVar[str] = "unknown step field (known: {known})"
    # Required; a missing action is worded as a bad one ("expected one of dtmf, say, hangup, got None").
    action: Annotated[str, _one_of(ACTIONS)] = Field(None, validate_default=True)
    value: Annotated[str, BeforeValidator(lambda value: str(value or ""))] = ""
    on: Annotated[str, _one_of(TRIGGERS)] = "answered"
    offset_s: Annotated[float, PlainValidator(_seconds)] = 0.0
    min_silence_ms: Annotated[int, PlainValidator(lambda raw: int(_seconds(raw, 20)))] = 700
    silence_s: Annotated[float, PlainValidator(lambda raw: _seconds(raw, 0.02))] = 3.0
    after_s: Annotated[float, PlainValidator(_seconds)] = 0.0
    timeout_s: Annotated[float | None, PlainValidator(lambda raw: raw if raw is None else _seconds(raw))] = (
        None)

    @model_validator(mode="after")
    def _value_fits_the_action(self) -> StepSchema:
        if self.action == "dtmf" and not DTMF_DIGITS.match(self.value):
            raise Invalid(f"expected DTMF digits 0-9 * # A-D, got {self.value!r}", "value")
        if self.action == "say" and not self.value.strip():
            raise Invalid("expected a WAV path or a text to say", "value")
        return self

    def step(self) -> Step:
        return Step(**dict(self))


def parse_step(data: dict[str, Any], where: str) -> Step:
    """A Step from its JSON/YAML form; raises InputError naming the field."""
    return validate_data(StepSchema, data, where).step()


def parse_plan(data: dict[str, Any], where: str = "plan") -> CallPlan:
    """A CallPlan from JSON data (what the worker reads on stdin); raises InputError."""
    if not isinstance(data, dict):
        raise InputError(where, None, "expected a JSON object")
    known = {f.name for f in dataclasses.fields(CallPlan)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(where, unknown[0], "unknown plan field")
    if "uri" not in data:
        raise InputError(where, "uri", "missing")
    steps = tuple(parse_step(s, f"{where}: steps[{i}]") for i, s in enumerate(data.get("steps") or ()))
    account_data = dict(data.get("account") or {})
    account_known = {f.name for f in dataclasses.fields(Account)}
    bad = sorted(set(account_data) - account_known)
    if bad:
        raise InputError(where, f"account.{bad[0]}", "unknown account field")
    if "codecs" in account_data:
        account_data["codecs"] = tuple(account_data["codecs"])
    for name, allowed in (("transport", ("udp", "tcp", "tls")), ("srtp", ("off", "optional", "mandatory"))):
        if name in account_data and account_data[name] not in allowed:
            raise InputError(where, f"account.{name}", f"expected one of {', '.join(allowed)}, "
                                                       f"got {account_data[name]!r}")
    values: dict[str, Any] = {k: v for k, v in data.items() if k not in {"steps", "account"}}
    values["uri"] = check_uri(data["uri"], f"{where}: uri")
    for name in ("ring_timeout_s", "no_response_s", "rtp_timeout_s"):
        if name in values:
            values[name] = number(values[name], "a number of seconds", minimum=0, text=True,
                                  out_of_range="a number >= 0", where=where, field=name)
    if "max_seconds" in values:  # finite, and at most a day: a test call is never left open for ever
        values["max_seconds"] = number(values["max_seconds"], "a number of seconds", above=0,
                                       maximum=MAX_CALL_SECONDS, text=True,
                                       out_of_range=f"a number > 0 and <= {MAX_CALL_SECONDS}", where=where,
                                       field="max_seconds")
    return CallPlan(**values, steps=steps, account=Account(**account_data))


# --- command-line step syntax -------------------------------------------------------------

CLI_WHEN = re.compile(
    r"^(?:(?P<seconds>\d+(?:\.\d+)?)|(?P<event>[a-z_]+)(?::(?P<param>\d+(?:\.\d+)?))?(?:\+(?P<offset>\d+(?:\.\d+)?))?)$"
)


def parse_cli_step(action: str, spec: str, option: str) -> Step:
    """`VALUE@WHEN` from the command line, e.g. `123#@2.5`, `hello.wav@prompt_ended:800+0.3`.

    WHEN is SECONDS (after the answer) or EVENT[:PARAM][+OFFSET]: `prompt_ended:MS` (silence
    after the prompt), `silence:S`, `human_reached`, `timeout:S`, `answered`, `early_media`.
    """
    value, sep, when = spec.rpartition("@")
    if not sep:
        value, when = spec, "0"
    match = CLI_WHEN.match(when.strip())
    if not value or not match:
        raise InputError(option, None, f"expected VALUE@SECONDS or VALUE@EVENT[:PARAM][+OFFSET], got {spec!r}")
    data: dict[str, Any] = {"action": action, "value": value}
    if match.group("seconds") is not None:
        data.update(on="answered", offset_s=float(match.group("seconds")))
    else:
        event, param = match.group("event"), match.group("param")
        data.update(on=event, offset_s=float(match.group("offset") or 0.0))
        if param is not None:
            key = {"prompt_ended": "min_silence_ms", "silence": "silence_s", "timeout": "after_s"}.get(event)
            if key is None:
                raise InputError(option, None, f"event {event!r} takes no parameter in {spec!r}")
            data[key] = float(param)
    return parse_step(data, option)


def say_is_file(value: str) -> bool:
    """A `say` value names a WAV file when it ends in .wav or is an existing path; else it is text."""
    return value.lower().endswith(".wav") or (len(value) < 4096 and "\n" not in value and Path(value).is_file())
