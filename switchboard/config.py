"""Switchboard YAML -> typed, validated records.

Every error names the file, the line and the field (``InputError``), so a hotel's
config can be fixed without reading Python. The schema is documented in
``docs/switchboard.md``; this module is its single source of truth.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mystery_core.errors import InputError
from mystery_core.yamlfile import LocatedYaml, load_located_yaml

DEFAULT_SOUNDS_DIR = "/usr/share/asterisk/sounds/en"
DEFAULT_MOH_DIR = "/usr/share/asterisk/moh"


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Dist:
    """A duration in seconds: fixed, or drawn from a seeded distribution.

    ``kind`` is one of fixed, uniform, normal, lognormal, exponential, choice;
    ``params`` are the kind's parameters in the order the YAML gives them.
    """

    kind: str
    params: tuple[float, ...]

    def sample(self, rng: random.Random) -> float:
        """Draw one value (never negative)."""
        p = self.params
        if self.kind == "fixed":
            value = p[0]
        elif self.kind == "uniform":
            value = rng.uniform(p[0], p[1])
        elif self.kind == "normal":
            value = rng.gauss(p[0], p[1])
        elif self.kind == "lognormal":
            value = p[0] * math.exp(rng.gauss(0.0, p[1]))
        elif self.kind == "exponential":
            value = rng.expovariate(1.0 / p[0])
        else:  # choice
            value = rng.choice(p)
        return max(0.0, value)


ZERO = Dist("fixed", (0.0,))


@dataclass(frozen=True, slots=True)
class PromptItem:
    """One piece of a prompt: an Asterisk sound file, a sentence spoken by the IVR voice, or silence."""

    kind: str  # "sound" | "say" | "silence"
    value: str | float


Prompt = tuple[PromptItem, ...]


@dataclass(frozen=True, slots=True)
class Voice:
    """espeak-ng rendering parameters: voice name (e.g. ``en-gb+f3``), words per minute, pitch 0-99."""

    voice: str
    speed_wpm: int
    pitch: int


# Nodes: what the switchboard does next. Busy, NoAnswer and Reject act before the answer.


@dataclass(frozen=True, slots=True)
class Busy:
    """Reply 486 Busy Here (a simulated busy, marked so the proxy never confuses it with a full worker)."""


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """Keep ringing until the caller gives up (or ``max_s``, then 480)."""

    max_s: float


@dataclass(frozen=True, slots=True)
class Reject:
    """Reply a final error status, e.g. 404, 603."""

    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class Closed:
    """Closed-hours message: answer, play it, hang up."""

    message: Prompt


@dataclass(frozen=True, slots=True)
class Play:
    """Play a prompt, then continue with ``then``."""

    prompt: Prompt
    then: Node


@dataclass(frozen=True, slots=True)
class Menu:
    """IVR prompt with DTMF choices; DTMF during the prompt interrupts it (barge-in)."""

    name: str
    prompt: Prompt
    choices: tuple[tuple[str, Node], ...]
    timeout_s: float
    retries: int
    invalid: Prompt
    on_timeout: Node


@dataclass(frozen=True, slots=True)
class QueueRef:
    """Enter a named queue: hold music until an agent seat frees up."""

    queue: str


@dataclass(frozen=True, slots=True)
class Agent:
    """A live agent from a persona pool, without queueing."""

    pool: str


@dataclass(frozen=True, slots=True)
class Voicemail:
    """Greeting, beep, then record the caller for up to ``max_s`` seconds."""

    greeting: Prompt
    beep: bool
    max_s: float


@dataclass(frozen=True, slots=True)
class DeadEnd:
    """A prompt leading nowhere; then silence until the caller leaves (or hang up after ``hangup_after_s``)."""

    prompt: Prompt
    hangup_after_s: float | None


@dataclass(frozen=True, slots=True)
class Hangup:
    """The switchboard hangs up (``reason`` is logged, e.g. drop mid-queue)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Goto:
    """Continue with another line's flow (shares menus between lines)."""

    line: str


Node = Busy | NoAnswer | Reject | Closed | Play | Menu | QueueRef | Agent | Voicemail | DeadEnd | Hangup | Goto
PRE_ANSWER = (Busy, NoAnswer, Reject)


@dataclass(frozen=True, slots=True)
class EarlyMedia:
    """What the caller hears in 183 Session Progress: ``ringback`` tone or an ``announcement`` prompt."""

    kind: str
    prompt: Prompt


@dataclass(frozen=True, slots=True)
class Hours:
    """Opening hours in ``timezone``; outside them the line plays ``closed`` instead of its flow."""

    open: str
    close: str
    days: frozenset[int]  # 0 = Monday
    timezone: str
    closed: Node


@dataclass(frozen=True, slots=True)
class Line:
    """One dialled number (the request-URI user part) and its behaviour."""

    user: str
    description: str
    pdd: Dist
    ring: Dist
    early_media: EarlyMedia | None
    hours: Hours | None
    then: Node


@dataclass(frozen=True, slots=True)
class AgentPool:
    """Personas of live agents: per call a different name, voice and wording."""

    name: str
    names: tuple[str, ...]
    voices: tuple[str, ...]
    speed_wpm: tuple[int, int]
    pitch: tuple[int, int]
    greeting: tuple[str, ...]
    replies: tuple[tuple[str, ...], ...]
    prompt_again: tuple[str, ...]
    closing: tuple[str, ...]
    patience_s: float
    reply_delay: Dist
    max_talk: Dist
    hangs_up: bool


@dataclass(frozen=True, slots=True)
class Queue:
    """A call queue with ``agents`` seats shared by every worker process.

    ``min_wait`` stands for callers the simulation does not place (the hotel's other
    customers): a call joins the seat line only after it; then real FIFO queueing applies.
    """

    name: str
    agents: int
    pool: str
    music: tuple[str, ...]
    announcement: Prompt
    announce_every: Dist
    first_announcement: Dist
    min_wait: Dist
    max_wait: Dist | None
    on_timeout: Node


@dataclass(frozen=True, slots=True)
class Switchboard:
    """A whole simulated switchboard."""

    source: str
    name: str
    hotel: str
    seed: int
    timezone: str
    max_call_s: float
    sounds_dir: Path
    moh_dir: Path
    ivr_voice: Voice
    lines: dict[str, Line] = field(hash=False)
    queues: dict[str, Queue] = field(hash=False)
    pools: dict[str, AgentPool] = field(hash=False)
    variables: dict[str, str] = field(hash=False)


# --------------------------------------------------------------------------- YAML with line numbers


class _Map(dict):  # type: ignore[type-arg]
    line: int
    lines: dict[Any, int]


class _Seq(list):  # type: ignore[type-arg]
    line: int
    lines: list[int]


def _with_lines(doc: LocatedYaml) -> Any:
    """The document as dicts/lists that carry their own line numbers (``_Map``/``_Seq``)."""

    def walk(value: Any, path: tuple[str | int, ...]) -> Any:
        line = doc.lines.get(path, 1)
        if isinstance(value, dict):
            out = _Map()
            out.line, out.lines = line, {}
            for key, item in value.items():
                out[key] = walk(item, (*path, key))
                out.lines[key] = doc.lines.get((*path, key), line)
            return out
        if isinstance(value, list):
            seq = _Seq(walk(item, (*path, i)) for i, item in enumerate(value))
            seq.line, seq.lines = line, [doc.lines.get((*path, i), line) for i in range(len(value))]
            return seq
        return value

    return walk(doc.data, ())


class _Ctx:
    """Where we are in the file, for error lines."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, line: int, path: str, problem: str) -> InputError:
        return InputError(f"{self.source}:{line}", path, problem)


def _line_of(container: Any, key: Any, default: int) -> int:
    if isinstance(container, _Map):
        return container.lines.get(key, container.line)
    if isinstance(container, _Seq) and isinstance(key, int) and key < len(container.lines):
        return container.lines[key]
    return default


def _mapping(ctx: _Ctx, value: Any, line: int, path: str, allowed: set[str]) -> _Map:
    if not isinstance(value, dict):
        raise ctx.fail(line, path, f"expected a mapping, got {value!r}")
    unknown = sorted(str(k) for k in value if str(k) not in allowed)
    if unknown:
        raise ctx.fail(
            _line_of(value, unknown[0], line), f"{path}.{unknown[0]}",
            f"unknown key (expected one of: {', '.join(sorted(allowed))})",
        )
    return value  # type: ignore[return-value]


def _number(ctx: _Ctx, value: Any, line: int, path: str, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.fail(line, path, f"expected a number, got {value!r}")
    if value < minimum:
        raise ctx.fail(line, path, f"expected a number >= {minimum:g}, got {value!r}")
    return float(value)


def _int(ctx: _Ctx, value: Any, line: int, path: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ctx.fail(line, path, f"expected an integer >= {minimum}, got {value!r}")
    return value


def _text(ctx: _Ctx, value: Any, line: int, path: str) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool) or str(value) == "":
        raise ctx.fail(line, path, f"expected a non-empty text, got {value!r}")
    return str(value)


def _texts(ctx: _Ctx, value: Any, line: int, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not value:
        raise ctx.fail(line, path, f"expected a text or a non-empty list of texts, got {value!r}")
    return tuple(_text(ctx, v, _line_of(value, i, line), f"{path}[{i}]") for i, v in enumerate(value))


def _range(ctx: _Ctx, value: Any, line: int, path: str) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        low, high = value
        if low <= high:
            return (low, high)
    raise ctx.fail(line, path, f"expected an integer or [low, high], got {value!r}")


_DIST_ARITY = {"uniform": 2, "normal": 2, "lognormal": 2, "exponential": 1}


def _dist(ctx: _Ctx, value: Any, line: int, path: str) -> Dist:
    """``2.5`` | ``{uniform: [1, 3]}`` | ``{normal: [mean, sd]}`` | ``{lognormal: [median, sigma]}``
    | ``{exponential: mean}`` | ``{choice: [a, b, c]}``."""
    expected = "a number of seconds or {uniform|normal|lognormal: [a, b]} / {exponential: mean} / {choice: [...]}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Dist("fixed", (_number(ctx, value, line, path),))
    if isinstance(value, dict) and len(value) == 1:
        kind, params = next(iter(value.items()))
        kind = str(kind)
        raw = params if isinstance(params, list) else [params]
        if kind == "choice" and raw:
            nums = tuple(_number(ctx, p, line, f"{path}.choice") for p in raw)
            return Dist("choice", nums)
        if kind in _DIST_ARITY and len(raw) == _DIST_ARITY[kind]:
            nums = tuple(_number(ctx, p, line, f"{path}.{kind}") for p in raw)
            if kind == "uniform" and nums[0] > nums[1]:
                raise ctx.fail(line, f"{path}.uniform", f"expected low <= high, got {list(nums)}")
            return Dist(kind, nums)
    raise ctx.fail(line, path, f"expected {expected}, got {value!r}")


def _prompt(ctx: _Ctx, value: Any, line: int, path: str, sounds_dir: Path) -> Prompt:
    """A prompt is one item or a list: ``name`` / ``{sound: name}`` / ``{say: text}`` / ``{silence: 0.5}``."""
    raw = value if isinstance(value, list) else [value]
    items: list[PromptItem] = []
    for i, item in enumerate(raw):
        where = _line_of(raw, i, line) if isinstance(value, list) else line
        ipath = f"{path}[{i}]" if isinstance(value, list) else path
        if isinstance(item, str):
            item = {"sound": item}
        if not isinstance(item, dict) or len(item) != 1:
            raise ctx.fail(where, ipath, f"expected a sound name or {{sound|say|silence: ...}}, got {item!r}")
        kind, arg = next(iter(item.items()))
        if kind == "sound":
            name = _text(ctx, arg, where, f"{ipath}.sound")
            file = Path(name) if name.startswith("/") else sounds_dir / name
            if file.suffix != ".wav":
                file = file.with_name(file.name + ".wav")
            if not file.is_file():
                raise ctx.fail(where, f"{ipath}.sound", f"no such sound file {str(file)!r}")
            items.append(PromptItem("sound", str(file)))
        elif kind == "say":
            items.append(PromptItem("say", _text(ctx, arg, where, f"{ipath}.say")))
        elif kind == "silence":
            items.append(PromptItem("silence", _number(ctx, arg, where, f"{ipath}.silence")))
        else:
            raise ctx.fail(where, ipath, f"expected sound, say or silence, got {kind!r}")
    if not items:
        raise ctx.fail(line, path, "expected at least one prompt item")
    return tuple(items)


_NODE_KINDS = {
    "busy", "no_answer", "reject", "closed", "play", "menu", "queue", "agent",
    "voicemail", "dead_end", "hangup", "goto",
}


def _node(ctx: _Ctx, value: Any, line: int, path: str, sb: dict[str, Any]) -> Node:
    sounds: Path = sb["sounds_dir"]
    if isinstance(value, str) and value in {"busy", "no_answer", "hangup"}:
        value = {value: {}}
    if not isinstance(value, dict) or len(value) != 1:
        raise ctx.fail(line, path, f"expected one of {sorted(_NODE_KINDS)} as a single key, got {value!r}")
    kind, arg = next(iter(value.items()))
    kind = str(kind)
    line = _line_of(value, kind, line)
    npath = f"{path}.{kind}"
    if arg is None:
        arg = _Map()
        arg.line, arg.lines = line, {}
    if kind == "busy":
        _mapping(ctx, arg, line, npath, set())
        return Busy()
    if kind == "no_answer":
        m = _mapping(ctx, arg, line, npath, {"max_s"})
        return NoAnswer(_number(ctx, m.get("max_s", 300), line, f"{npath}.max_s", 1))
    if kind == "reject":
        if isinstance(arg, int):
            arg = {"status": arg}
        m = _mapping(ctx, arg, line, npath, {"status", "reason"})
        status = _int(ctx, m.get("status"), line, f"{npath}.status", 400)
        if status > 699:
            raise ctx.fail(line, f"{npath}.status", f"expected a 4xx-6xx status, got {status}")
        return Reject(status, str(m.get("reason", "")))
    if kind == "closed":
        m = _mapping(ctx, arg, line, npath, {"message"})
        if "message" not in m:
            raise ctx.fail(line, f"{npath}.message", "required")
        return Closed(_prompt(ctx, m["message"], _line_of(m, "message", line), f"{npath}.message", sounds))
    if kind == "play":
        m = _mapping(ctx, arg, line, npath, {"prompt", "then"})
        for req in ("prompt", "then"):
            if req not in m:
                raise ctx.fail(line, f"{npath}.{req}", "required")
        return Play(
            _prompt(ctx, m["prompt"], _line_of(m, "prompt", line), f"{npath}.prompt", sounds),
            _node(ctx, m["then"], _line_of(m, "then", line), f"{npath}.then", sb),
        )
    if kind == "menu":
        m = _mapping(ctx, arg, line, npath, {"name", "prompt", "choices", "timeout_s", "retries", "invalid", "on_timeout"})
        for req in ("prompt", "choices"):
            if req not in m:
                raise ctx.fail(line, f"{npath}.{req}", "required")
        raw_choices = m["choices"]
        cline = _line_of(m, "choices", line)
        if not isinstance(raw_choices, dict) or not raw_choices:
            raise ctx.fail(cline, f"{npath}.choices", f"expected a mapping digit -> node, got {raw_choices!r}")
        choices = []
        for digit, target in raw_choices.items():
            d = str(digit)
            dline = _line_of(raw_choices, digit, cline)
            if len(d) != 1 or d not in "0123456789*#":
                raise ctx.fail(dline, f"{npath}.choices", f"expected a DTMF digit 0-9, * or #, got {d!r}")
            choices.append((d, _node(ctx, target, dline, f"{npath}.choices.{d}", sb)))
        invalid = m.get("invalid", "invalid")
        on_timeout = m.get("on_timeout", {"hangup": {"reason": "menu_timeout"}})
        return Menu(
            name=str(m.get("name", path)),
            prompt=_prompt(ctx, m["prompt"], _line_of(m, "prompt", line), f"{npath}.prompt", sounds),
            choices=tuple(choices),
            timeout_s=_number(ctx, m.get("timeout_s", 5), _line_of(m, "timeout_s", line), f"{npath}.timeout_s", 0.1),
            retries=_int(ctx, m.get("retries", 2), _line_of(m, "retries", line), f"{npath}.retries"),
            invalid=_prompt(ctx, invalid, _line_of(m, "invalid", line), f"{npath}.invalid", sounds),
            on_timeout=_node(ctx, on_timeout, _line_of(m, "on_timeout", line), f"{npath}.on_timeout", sb),
        )
    if kind == "queue":
        name = _text(ctx, arg, line, npath)
        sb["queue_refs"].append((name, line, npath))
        return QueueRef(name)
    if kind == "agent":
        name = _text(ctx, arg, line, npath)
        sb["pool_refs"].append((name, line, npath))
        return Agent(name)
    if kind == "voicemail":
        m = _mapping(ctx, arg, line, npath, {"greeting", "beep", "max_s"})
        greeting = m.get("greeting", ["vm-nobodyavail", "vm-leavemsg"])
        beep = m.get("beep", True)
        if not isinstance(beep, bool):
            raise ctx.fail(_line_of(m, "beep", line), f"{npath}.beep", f"expected true or false, got {beep!r}")
        return Voicemail(
            _prompt(ctx, greeting, _line_of(m, "greeting", line), f"{npath}.greeting", sounds),
            beep,
            _number(ctx, m.get("max_s", 30), _line_of(m, "max_s", line), f"{npath}.max_s", 0.5),
        )
    if kind == "dead_end":
        m = _mapping(ctx, arg, line, npath, {"prompt", "hangup_after_s"})
        after = m.get("hangup_after_s")
        return DeadEnd(
            _prompt(ctx, m.get("prompt", "pm-invalid-option"), _line_of(m, "prompt", line), f"{npath}.prompt", sounds),
            None if after is None else _number(ctx, after, _line_of(m, "hangup_after_s", line), f"{npath}.hangup_after_s"),
        )
    if kind == "hangup":
        m = _mapping(ctx, arg, line, npath, {"reason"})
        return Hangup(str(m.get("reason", "hangup")))
    if kind == "goto":
        target = _text(ctx, arg, line, npath)
        sb["goto_refs"].append((target, line, npath))
        return Goto(target)
    raise ctx.fail(line, path, f"unknown node kind {kind!r} (expected one of {sorted(_NODE_KINDS)})")


_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def _clock(ctx: _Ctx, value: Any, line: int, path: str) -> str:
    text = str(value)
    parts = text.split(":")
    if len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[0]) <= 24 and int(parts[1]) < 60:
        return f"{int(parts[0]):02d}:{int(parts[1]):02d}"
    raise ctx.fail(line, path, f"expected HH:MM, got {value!r}")


def _zone(ctx: _Ctx, name: str, line: int, path: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ctx.fail(line, path, f"unknown time zone {name!r}") from None


def _hours(ctx: _Ctx, value: Any, line: int, path: str, sb: dict[str, Any]) -> Hours:
    m = _mapping(ctx, value, line, path, {"open", "close", "days", "timezone", "closed"})
    for req in ("open", "close", "closed"):
        if req not in m:
            raise ctx.fail(line, f"{path}.{req}", "required")
    tz = str(m.get("timezone", sb["timezone"]))
    _zone(ctx, tz, _line_of(m, "timezone", line), f"{path}.timezone")
    raw_days = m.get("days", list(_DAYS))
    days = set()
    for d in raw_days if isinstance(raw_days, list) else [raw_days]:
        key = str(d).lower()[:3]
        if key not in _DAYS:
            raise ctx.fail(_line_of(m, "days", line), f"{path}.days", f"expected day names mon..sun, got {d!r}")
        days.add(_DAYS[key])
    return Hours(
        open=_clock(ctx, m["open"], _line_of(m, "open", line), f"{path}.open"),
        close=_clock(ctx, m["close"], _line_of(m, "close", line), f"{path}.close"),
        days=frozenset(days),
        timezone=tz,
        closed=_node(ctx, m["closed"], _line_of(m, "closed", line), f"{path}.closed", sb),
    )


_POOL_DEFAULTS: dict[str, Any] = {
    "names": ["Sophie", "Marc", "Julia", "Thomas", "Amelie", "Lucas", "Claire", "Hugo"],
    "voices": ["en-gb+f3", "en-us+m3", "en-gb+f2", "en-us+m1", "en-gb-scotland+f4", "en+m7", "en-us+f5", "en-gb+m4"],
    "speed_wpm": [140, 180],
    "pitch": [30, 70],
    "greeting": [
        "Good {daypart}, {hotel}, this is {name} speaking. How may I help you?",
        "{hotel} reservations, {name} speaking, how can I help?",
        "Hello, thank you for calling {hotel}. My name is {name}. What can I do for you?",
    ],
    "replies": [
        [
            "Let me check that for you. Yes, we still have a double room at {price} euros per night.",
            "One moment please. I can offer you a superior room for {price} euros a night.",
            "Sure. For those dates we have a room with a garden view at {price} euros.",
        ],
        [
            "Would you like me to book it for you?",
            "Shall I reserve it under your name?",
            "Breakfast is included. Do you want me to hold the room?",
        ],
    ],
    "prompt_again": ["Hello? Are you still there?", "Sorry, I did not catch that. Hello?"],
    "closing": [
        "Thank you for calling {hotel}. Have a nice day, goodbye.",
        "You're welcome. Goodbye!",
        "Thanks for your call, bye bye.",
    ],
}


def _pool(ctx: _Ctx, name: str, value: Any, line: int, path: str) -> AgentPool:
    keys = set(_POOL_DEFAULTS) | {"patience_s", "reply_delay_s", "max_talk_s", "hangs_up"}
    m = _mapping(ctx, value if value is not None else {}, line, path, keys)
    merged = {**_POOL_DEFAULTS, **{k: v for k, v in m.items()}}

    def at(key: str) -> int:
        return _line_of(m, key, line)

    replies_raw = merged["replies"]
    if not isinstance(replies_raw, list):
        raise ctx.fail(at("replies"), f"{path}.replies", "expected a list of turns, each a list of variants")
    replies = tuple(
        _texts(ctx, turn, _line_of(replies_raw, i, at("replies")), f"{path}.replies[{i}]")
        for i, turn in enumerate(replies_raw)
    )
    hangs_up = merged.get("hangs_up", True)
    if not isinstance(hangs_up, bool):
        raise ctx.fail(at("hangs_up"), f"{path}.hangs_up", f"expected true or false, got {hangs_up!r}")
    return AgentPool(
        name=name,
        names=_texts(ctx, merged["names"], at("names"), f"{path}.names"),
        voices=_texts(ctx, merged["voices"], at("voices"), f"{path}.voices"),
        speed_wpm=_range(ctx, merged["speed_wpm"], at("speed_wpm"), f"{path}.speed_wpm"),
        pitch=_range(ctx, merged["pitch"], at("pitch"), f"{path}.pitch"),
        greeting=_texts(ctx, merged["greeting"], at("greeting"), f"{path}.greeting"),
        replies=replies,
        prompt_again=_texts(ctx, merged["prompt_again"], at("prompt_again"), f"{path}.prompt_again"),
        closing=_texts(ctx, merged["closing"], at("closing"), f"{path}.closing"),
        patience_s=_number(ctx, merged.get("patience_s", 4.0), at("patience_s"), f"{path}.patience_s", 0.1),
        reply_delay=_dist(ctx, merged.get("reply_delay_s", {"uniform": [0.3, 0.9]}), at("reply_delay_s"), f"{path}.reply_delay_s"),
        max_talk=_dist(ctx, merged.get("max_talk_s", 60), at("max_talk_s"), f"{path}.max_talk_s"),
        hangs_up=hangs_up,
    )


def _queue(ctx: _Ctx, name: str, value: Any, line: int, path: str, sb: dict[str, Any]) -> Queue:
    m = _mapping(
        ctx, value, line, path,
        {"agents", "pool", "music", "announcement", "announce_every_s", "first_announcement_s", "min_wait_s",
         "max_wait_s", "on_timeout"},
    )

    def at(key: str) -> int:
        return _line_of(m, key, line)

    if "agents" not in m:
        raise ctx.fail(line, f"{path}.agents", "required")
    music = _texts(ctx, m.get("music", ["macroform-cold_day"]), at("music"), f"{path}.music")
    music_files = []
    for i, item in enumerate(music):
        file = Path(item) if item.startswith("/") else sb["moh_dir"] / item
        if file.suffix != ".wav":
            file = file.with_name(file.name + ".wav")
        if not file.is_file():
            raise ctx.fail(at("music"), f"{path}.music[{i}]", f"no such music file {str(file)!r}")
        music_files.append(str(file))
    pool = str(m.get("pool", "default"))
    sb["pool_refs"].append((pool, at("pool"), f"{path}.pool"))
    max_wait = m.get("max_wait_s")
    return Queue(
        name=name,
        agents=_int(ctx, m["agents"], at("agents"), f"{path}.agents", 0),
        pool=pool,
        music=tuple(music_files),
        announcement=_prompt(
            ctx, m.get("announcement", ["queue-periodic-announce"]), at("announcement"), f"{path}.announcement", sb["sounds_dir"]
        ),
        announce_every=_dist(ctx, m.get("announce_every_s", 30), at("announce_every_s"), f"{path}.announce_every_s"),
        first_announcement=_dist(ctx, m.get("first_announcement_s", 10), at("first_announcement_s"), f"{path}.first_announcement_s"),
        min_wait=_dist(ctx, m.get("min_wait_s", 0), at("min_wait_s"), f"{path}.min_wait_s"),
        max_wait=None if max_wait is None else _dist(ctx, max_wait, at("max_wait_s"), f"{path}.max_wait_s"),
        on_timeout=_node(ctx, m.get("on_timeout", {"hangup": {"reason": "queue_timeout"}}), at("on_timeout"), f"{path}.on_timeout", sb),
    )


def _line(ctx: _Ctx, user: str, value: Any, line: int, path: str, sb: dict[str, Any]) -> Line:
    m = _mapping(ctx, value, line, path, {"description", "pdd_s", "ring_s", "early_media", "hours", "then"})

    def at(key: str) -> int:
        return _line_of(m, key, line)

    if "then" not in m:
        raise ctx.fail(line, f"{path}.then", "required: what happens on this line (e.g. {queue: reservations} or busy)")
    early = None
    if "early_media" in m:
        em = m["early_media"]
        if em == "ringback":
            early = EarlyMedia("ringback", ())
        elif isinstance(em, dict) and set(em) == {"announcement"}:
            early = EarlyMedia(
                "announcement",
                _prompt(ctx, em["announcement"], at("early_media"), f"{path}.early_media.announcement", sb["sounds_dir"]),
            )
        else:
            raise ctx.fail(at("early_media"), f"{path}.early_media", f"expected ringback or {{announcement: prompt}}, got {em!r}")
    return Line(
        user=user,
        description=str(m.get("description", "")),
        pdd=_dist(ctx, m.get("pdd_s", 0), at("pdd_s"), f"{path}.pdd_s"),
        ring=_dist(ctx, m.get("ring_s", 0), at("ring_s"), f"{path}.ring_s"),
        early_media=early,
        hours=None if "hours" not in m else _hours(ctx, m["hours"], at("hours"), f"{path}.hours", sb),
        then=_node(ctx, m["then"], at("then"), f"{path}.then", sb),
    )


def parse_switchboard(located: LocatedYaml) -> Switchboard:
    """Validate a switchboard YAML document (read with ``mystery_core.yamlfile``)."""
    ctx = _Ctx(located.path)
    source = located.path
    doc = _with_lines(located)
    top = {"name", "hotel", "seed", "timezone", "max_call_s", "sounds_dir", "moh_dir", "ivr_voice", "variables",
           "lines", "queues", "agents"}
    m = _mapping(ctx, doc, 1, "(top)", top)

    def at(key: str) -> int:
        return _line_of(m, key, 1)

    sounds_dir = Path(str(m.get("sounds_dir", DEFAULT_SOUNDS_DIR)))
    moh_dir = Path(str(m.get("moh_dir", DEFAULT_MOH_DIR)))
    for key, d in (("sounds_dir", sounds_dir), ("moh_dir", moh_dir)):
        if not d.is_dir():
            raise ctx.fail(at(key), key, f"no such directory {str(d)!r}")
    timezone = str(m.get("timezone", "UTC"))
    _zone(ctx, timezone, at("timezone"), "timezone")
    sb: dict[str, Any] = {
        "sounds_dir": sounds_dir, "moh_dir": moh_dir, "timezone": timezone,
        "queue_refs": [], "pool_refs": [], "goto_refs": [],
    }

    iv = _mapping(ctx, m.get("ivr_voice", {}), at("ivr_voice"), "ivr_voice", {"voice", "speed_wpm", "pitch"})
    ivr_voice = Voice(
        str(iv.get("voice", "en-us+f2")),
        _int(ctx, iv.get("speed_wpm", 150), at("ivr_voice"), "ivr_voice.speed_wpm", 80),
        _int(ctx, iv.get("pitch", 50), at("ivr_voice"), "ivr_voice.pitch", 0),
    )
    variables_raw = m.get("variables", {})
    if not isinstance(variables_raw, dict):
        raise ctx.fail(at("variables"), "variables", "expected a mapping name -> text")
    variables = {str(k): str(v) for k, v in variables_raw.items()}

    pools_raw = m.get("agents", {}) or {}
    if not isinstance(pools_raw, dict):
        raise ctx.fail(at("agents"), "agents", "expected a mapping pool name -> persona pool")
    pools = {str(k): _pool(ctx, str(k), v, _line_of(pools_raw, k, at("agents")), f"agents.{k}") for k, v in pools_raw.items()}
    if "default" not in pools:
        pools["default"] = _pool(ctx, "default", {}, at("agents"), "agents.default")

    queues_raw = m.get("queues", {}) or {}
    if not isinstance(queues_raw, dict):
        raise ctx.fail(at("queues"), "queues", "expected a mapping queue name -> queue")
    queues = {
        str(k): _queue(ctx, str(k), v, _line_of(queues_raw, k, at("queues")), f"queues.{k}", sb)
        for k, v in queues_raw.items()
    }

    lines_raw = m.get("lines")
    if not isinstance(lines_raw, dict) or not lines_raw:
        raise ctx.fail(at("lines"), "lines", "expected a non-empty mapping dialled user -> line")
    lines = {}
    for user, value in lines_raw.items():
        u = str(user)
        if not u or any(c in u for c in " @:;"):
            raise ctx.fail(_line_of(lines_raw, user, at("lines")), f"lines.{u}", "expected a SIP user part (no spaces, @, : or ;)")
        lines[u] = _line(ctx, u, value, _line_of(lines_raw, user, at("lines")), f"lines.{u}", sb)

    for name, line, path in sb["queue_refs"]:
        if name not in queues:
            raise ctx.fail(line, path, f"unknown queue {name!r} (defined: {', '.join(sorted(queues)) or 'none'})")
    for name, line, path in sb["pool_refs"]:
        if name not in pools:
            raise ctx.fail(line, path, f"unknown agent pool {name!r} (defined: {', '.join(sorted(pools))})")
    for name, line, path in sb["goto_refs"]:
        if name not in lines:
            raise ctx.fail(line, path, f"unknown line {name!r}")

    seed = m.get("seed", 1)
    return Switchboard(
        source=source,
        name=str(m.get("name", Path(source).stem)),
        hotel=str(m.get("hotel", "Grand Hotel")),
        seed=_int(ctx, seed, at("seed"), "seed"),
        timezone=timezone,
        max_call_s=_number(ctx, m.get("max_call_s", 900), at("max_call_s"), "max_call_s", 1),
        sounds_dir=sounds_dir,
        moh_dir=moh_dir,
        ivr_voice=ivr_voice,
        lines=lines,
        queues=queues,
        pools=pools,
        variables=variables,
    )


def load_switchboard(path: str | Path) -> Switchboard:
    """Read and validate a switchboard YAML file."""
    return parse_switchboard(load_located_yaml(path))


def iter_prompts(cfg: Switchboard) -> list[Prompt]:
    """Every prompt the switchboard may play (to render them all before the first call)."""
    found: list[Prompt] = []

    def walk(node: Node) -> None:
        if isinstance(node, Closed):
            found.append(node.message)
        elif isinstance(node, Play):
            found.append(node.prompt)
            walk(node.then)
        elif isinstance(node, Menu):
            found.extend([node.prompt, node.invalid])
            for _digit, target in node.choices:
                walk(target)
            walk(node.on_timeout)
        elif isinstance(node, Voicemail):
            found.append(node.greeting)
        elif isinstance(node, DeadEnd):
            found.append(node.prompt)

    for line in cfg.lines.values():
        if line.early_media is not None and line.early_media.prompt:
            found.append(line.early_media.prompt)
        if line.hours is not None:
            walk(line.hours.closed)
        walk(line.then)
    for queue in cfg.queues.values():
        found.append(queue.announcement)
        walk(queue.on_timeout)
    return list(dict.fromkeys(found))
