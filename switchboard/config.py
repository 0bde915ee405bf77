"""Switchboard YAML -> typed, validated records.

Every error names the file, the line and the field (``InputError``), so a hotel's
config can be fixed without reading Python. The schema is documented in
``docs/switchboard.md``; this module is its single source of truth.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, PlainValidator, ValidationInfo

from mystery_core.validate import (
    AtLeast,
    Flag,
    Invalid,
    Schema,
    Texts,
    directory,
    mapping_of,
    nested,
    number,
    text,
    texts,
    time_zone,
    under,
    validate,
)
from mystery_core.yamlfile import Keys, LocatedYaml, load_located_yaml

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


# Nodes: what the switchboard does next. Busy, NoAnswer and Reject act before the answer. The nodes
# without parameters in the file (or with one name) are plain records; the others are read by pydantic.


@dataclass(frozen=True, slots=True)
class QueueRef:
    """Enter a named queue: hold music until an agent seat frees up."""

    queue: str


@dataclass(frozen=True, slots=True)
class Agent:
    """A live agent from a persona pool, without queueing."""

    pool: str


@dataclass(frozen=True, slots=True)
class Goto:
    """Continue with another line's flow (shares menus between lines)."""

    line: str


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


# --------------------------------------------------------------------------- validators of the YAML shapes

_NODE_KINDS = {"busy", "no_answer", "reject", "closed", "play", "menu", "queue", "agent", "voicemail",
               "dead_end", "hangup", "goto"}
_DIST_ARITY = {"uniform": 2, "normal": 2, "lognormal": 2, "exponential": 1}
_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def _num(value: Any) -> float:
    return number(value, "a number", minimum=0.0, out_of_range="a number >= 0")


def _range(value: Any) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    pair = value if isinstance(value, list | tuple) and len(value) == 2 else None
    if pair and all(isinstance(v, int) for v in pair) and pair[0] <= pair[1]:
        return (pair[0], pair[1])
    raise Invalid(f"expected an integer or [low, high], got {value!r}")


def _dist(value: Any) -> Dist | None:
    """``2.5`` | ``{uniform: [1, 3]}`` | ``{normal: [mean, sd]}`` | ``{lognormal: [median, sigma]}``
    | ``{exponential: mean}`` | ``{choice: [a, b, c]}``; None stays None (an optional field)."""
    if value is None or isinstance(value, Dist):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Dist("fixed", (_num(value),))
    if isinstance(value, dict) and len(value) == 1:
        kind, params = next(iter(value.items()))
        raw = params if isinstance(params, list) else [params]
        if (kind == "choice" and raw) or (kind in _DIST_ARITY and len(raw) == _DIST_ARITY[kind]):
            nums = tuple(under(kind, _num, p) for p in raw)
            if kind == "uniform" and nums[0] > nums[1]:
                raise Invalid(f"expected low <= high, got {list(nums)}", "uniform")
            return Dist(kind, nums)
    raise Invalid("expected a number of seconds or {uniform|normal|lognormal: [a, b]} / {exponential: mean}"
                  f" / {{choice: [...]}}, got {value!r}")


def _wav(name: str, folder: Path) -> Path:
    file = Path(name) if name.startswith("/") else folder / name
    return file if file.suffix == ".wav" else file.with_name(file.name + ".wav")


def _prompt_item(item: Any, sounds_dir: Path) -> PromptItem:
    if isinstance(item, str):
        item = {"sound": item}
    if not isinstance(item, dict) or len(item) != 1:
        raise Invalid(f"expected a sound name or {{sound|say|silence: ...}}, got {item!r}")
    kind, arg = next(iter(item.items()))
    if kind == "sound":
        file = _wav(under("sound", text, arg), sounds_dir)
        if not file.is_file():
            raise Invalid(f"no such sound file {str(file)!r}", "sound")
        return PromptItem("sound", str(file))
    if kind == "say":
        return PromptItem("say", under("say", text, arg))
    if kind == "silence":
        return PromptItem("silence", under("silence", _num, arg))
    raise Invalid(f"expected sound, say or silence, got {kind!r}")


def _prompt(value: Any, info: ValidationInfo) -> Prompt:
    """One item or a list: ``name`` / ``{sound: name}`` / ``{say: text}`` / ``{silence: 0.5}``."""
    sounds_dir = (info.context or {})["sounds_dir"]
    if not isinstance(value, list):
        return (_prompt_item(value, sounds_dir),)
    if not value:
        raise Invalid("expected at least one prompt item")
    return tuple(under(i, _prompt_item, item, sounds_dir) for i, item in enumerate(value))


def _music(value: Any, info: ValidationInfo) -> tuple[str, ...]:
    files = tuple(_wav(name, (info.context or {})["moh_dir"]) for name in texts(value))
    for i, file in enumerate(files):
        if not file.is_file():
            raise Invalid(f"no such music file {str(file)!r}", i)
    return tuple(str(file) for file in files)


def _clock(value: Any) -> str:
    parts = str(value).split(":")
    if len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[0]) <= 24 and int(parts[1]) < 60:
        return f"{int(parts[0]):02d}:{int(parts[1]):02d}"
    raise Invalid(f"expected HH:MM, got {value!r}")


def _days(value: Any) -> frozenset[int]:
    if isinstance(value, frozenset):
        return value
    days = value if isinstance(value, list) else [value]
    for day in days:
        if str(day).lower()[:3] not in _DAYS:
            raise Invalid(f"expected day names mon..sun, got {day!r}")
    return frozenset(_DAYS[str(day).lower()[:3]] for day in days)


def _users(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        raise Invalid("expected a non-empty mapping dialled user -> line")
    for user in value:
        if not user or any(c in user for c in " @:;"):
            raise Invalid("expected a SIP user part (no spaces, @, : or ;)", user)
    return value


def _choices(value: Any, info: ValidationInfo) -> tuple[tuple[str, Node], ...]:
    if not isinstance(value, dict) or not value:
        raise Invalid(f"expected a mapping digit -> node, got {value!r}")
    for digit in value:
        if len(digit) != 1 or digit not in "0123456789*#":
            raise Invalid(f"expected a DTMF digit 0-9, * or #, got {digit!r}", digit, key=True)
    return tuple((digit, under(digit, _node, target, info)) for digit, target in value.items())


def _early_media(value: Any, info: ValidationInfo) -> EarlyMedia | None:
    if value is None:
        return None
    if value == "ringback":
        return EarlyMedia("ringback", ())
    if isinstance(value, dict) and set(value) == {"announcement"}:
        return EarlyMedia("announcement", under("announcement", _prompt, value["announcement"], info))
    raise Invalid(f"expected ringback or {{announcement: prompt}}, got {value!r}")


def _replies(value: Any) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list | tuple):
        raise Invalid("expected a list of turns, each a list of variants")
    return tuple(under(i, texts, turn) for i, turn in enumerate(value))


def _status(value: Any) -> int:
    status = int(number(value, "an integer >= 400", minimum=400, whole=True))
    if status > 699:
        raise Invalid(f"expected a 4xx-6xx status, got {status}")
    return status


Seconds = Annotated[Dist, PlainValidator(_dist)]
PromptField = Annotated[Any, PlainValidator(_prompt)]
NodeField = Annotated[Any, PlainValidator(lambda value, info: _node(value, info))]


# --------------------------------------------------------------------------- records read by pydantic


class Busy(Schema):
    """Reply 486 Busy Here (a simulated busy, marked so the proxy never confuses it with a full worker)."""


class NoAnswer(Schema):
    """Keep ringing until the caller gives up (or ``max_s``, then 480)."""

    max_s: Annotated[float, AtLeast(1)] = 300


class Reject(Schema):
    """Reply a final error status, e.g. 404, 603."""

    status: Annotated[int, PlainValidator(_status)]
    reason: str = ""


class Closed(Schema):
    """Closed-hours message: answer, play it, hang up."""

    message: PromptField


class Play(Schema):
    """Play a prompt, then continue with ``then``."""

    prompt: PromptField
    then: NodeField


class Menu(Schema):
    """IVR prompt with DTMF choices; DTMF during the prompt interrupts it (barge-in)."""

    name: str = ""  # default: the node's path (see _resolve)
    prompt: PromptField
    choices: Annotated[tuple[tuple[str, Node], ...], PlainValidator(_choices)]
    timeout_s: Annotated[float, AtLeast(0.1)] = 5
    retries: Annotated[int, AtLeast(0)] = 2
    invalid: PromptField = "invalid"
    on_timeout: NodeField = {"hangup": {"reason": "menu_timeout"}}


class Voicemail(Schema):
    """Greeting, beep, then record the caller for up to ``max_s`` seconds."""

    greeting: PromptField = ["vm-nobodyavail", "vm-leavemsg"]
    beep: Flag = True
    max_s: Annotated[float, AtLeast(0.5)] = 30


class DeadEnd(Schema):
    """A prompt leading nowhere; then silence until the caller leaves (or hang up after ``hangup_after_s``)."""

    prompt: PromptField = "pm-invalid-option"
    hangup_after_s: Annotated[float | None, PlainValidator(lambda v: v if v is None else _num(v))] = None


class Hangup(Schema):
    """The switchboard hangs up (``reason`` is logged, e.g. drop mid-queue)."""

    reason: str = "hangup"


_SchemaNode = Busy | NoAnswer | Reject | Closed | Play | Menu | Voicemail | DeadEnd | Hangup
_RefNode = QueueRef | Agent | Goto
Node = Busy | NoAnswer | Reject | Closed | Play | Menu | QueueRef | Agent | Voicemail | DeadEnd | Hangup | Goto
PRE_ANSWER = (Busy, NoAnswer, Reject)
_NODES: dict[str, type[_SchemaNode]] = {
    "busy": Busy, "no_answer": NoAnswer, "reject": Reject, "closed": Closed, "play": Play, "menu": Menu,
    "voicemail": Voicemail, "dead_end": DeadEnd, "hangup": Hangup,
}
_REFS: dict[str, Callable[[str], _RefNode]] = {"queue": QueueRef, "agent": Agent, "goto": Goto}
_REF_KINDS = {QueueRef: ("queue", "queue"), Agent: ("agent pool", "agent"), Goto: ("line", "goto")}


def _node(value: Any, info: ValidationInfo) -> Node:
    if isinstance(value, str) and value in {"busy", "no_answer", "hangup"}:
        value = {value: {}}
    if not isinstance(value, dict) or len(value) != 1:
        raise Invalid(f"expected one of {sorted(_NODE_KINDS)} as a single key, got {value!r}")
    kind, arg = next(iter(value.items()))
    if kind in _REFS:
        return _REFS[kind](under(kind, text, arg))
    if kind not in _NODES:
        raise Invalid(f"unknown node kind {kind!r} (expected one of {sorted(_NODE_KINDS)})")
    arg = {"status": arg} if kind == "reject" and isinstance(arg, int) else arg
    return nested(_NODES[kind], arg, info.context, kind)


def _line_then(value: Any, info: ValidationInfo) -> Node:
    if value is None:
        raise Invalid("required: what happens on this line (e.g. {queue: reservations} or busy)")
    return _node(value, info)


class _Hours(Schema):
    open: Annotated[str, PlainValidator(_clock)]
    close: Annotated[str, PlainValidator(_clock)]
    days: Annotated[frozenset[int], PlainValidator(_days)] = frozenset(range(7))
    timezone: Annotated[str | None, PlainValidator(lambda v: v if v is None else time_zone(v))] = None
    closed: NodeField


def _hours(value: Any, info: ValidationInfo) -> Hours | None:
    if value is None or isinstance(value, Hours):
        return value
    hours = nested(_Hours, value, info.context)
    timezone = hours.timezone or (info.context or {})["timezone"]
    return Hours(hours.open, hours.close, hours.days, timezone, hours.closed)


class Line(Schema):
    """One dialled number (the request-URI user part) and its behaviour."""

    internal: ClassVar[frozenset[str]] = frozenset({"user"})
    user: str = ""
    description: str = ""
    pdd: Seconds = Field(ZERO, alias="pdd_s")
    ring: Seconds = Field(ZERO, alias="ring_s")
    early_media: Annotated[EarlyMedia | None, PlainValidator(_early_media)] = None
    hours: Annotated[Hours | None, PlainValidator(_hours)] = None
    then: Annotated[Node, PlainValidator(_line_then)] = Field(None, validate_default=True)  # required


class AgentPool(Schema):
    """Personas of live agents: per call a different name, voice and wording."""

    internal: ClassVar[frozenset[str]] = frozenset({"name"})
    name: str = ""
    names: Texts = ("Sophie", "Marc", "Julia", "Thomas", "Amelie", "Lucas", "Claire", "Hugo")
    voices: Texts = ("en-gb+f3", "en-us+m3", "en-gb+f2", "en-us+m1", "en-gb-scotland+f4", "en+m7", "en-us+f5",
                     "en-gb+m4")
    speed_wpm: Annotated[tuple[int, int], PlainValidator(_range)] = (140, 180)
    pitch: Annotated[tuple[int, int], PlainValidator(_range)] = (30, 70)
    greeting: Texts = ("Good {daypart}, {hotel}, this is {name} speaking. How may I help you?",
                       "{hotel} reservations, {name} speaking, how can I help?",
                       "Hello, thank you for calling {hotel}. My name is {name}. What can I do for you?")
    replies: Annotated[tuple[tuple[str, ...], ...], PlainValidator(_replies)] = (
        ("Let me check that for you. Yes, we still have a double room at {price} euros per night.",
         "One moment please. I can offer you a superior room for {price} euros a night.",
         "Sure. For those dates we have a room with a garden view at {price} euros."),
        ("Would you like me to book it for you?", "Shall I reserve it under your name?",
         "Breakfast is included. Do you want me to hold the room?"),
    )
    prompt_again: Texts = ("Hello? Are you still there?", "Sorry, I did not catch that. Hello?")
    closing: Texts = ("Thank you for calling {hotel}. Have a nice day, goodbye.", "You're welcome. Goodbye!",
                      "Thanks for your call, bye bye.")
    patience_s: Annotated[float, AtLeast(0.1)] = 4.0
    reply_delay: Seconds = Field(Dist("uniform", (0.3, 0.9)), alias="reply_delay_s")
    max_talk: Seconds = Field(Dist("fixed", (60.0,)), alias="max_talk_s")
    hangs_up: Flag = True


class Queue(Schema):
    """A call queue with ``agents`` seats shared by every worker process.

    ``min_wait`` stands for callers the simulation does not place (the hotel's other
    customers): a call joins the seat line only after it; then real FIFO queueing applies.
    """

    internal: ClassVar[frozenset[str]] = frozenset({"name"})
    name: str = ""
    agents: Annotated[int, AtLeast(0)]
    pool: str = "default"
    music: Annotated[tuple[str, ...], PlainValidator(_music)] = ("macroform-cold_day",)
    announcement: PromptField = ["queue-periodic-announce"]
    announce_every: Seconds = Field(Dist("fixed", (30.0,)), alias="announce_every_s")
    first_announcement: Seconds = Field(Dist("fixed", (10.0,)), alias="first_announcement_s")
    min_wait: Seconds = Field(ZERO, alias="min_wait_s")
    max_wait: Annotated[Dist | None, PlainValidator(_dist)] = Field(None, alias="max_wait_s")
    on_timeout: NodeField = {"hangup": {"reason": "queue_timeout"}}


class _Voice(Schema):
    voice: str = "en-us+f2"
    speed_wpm: Annotated[int, AtLeast(80)] = 150
    pitch: Annotated[int, AtLeast(0)] = 50


def _voice(value: Any, info: ValidationInfo) -> Voice:
    return value if isinstance(value, Voice) else Voice(**dict(nested(_Voice, value, info.context)))


class _Places(Schema):
    """Where sounds and music are, and the default time zone: known before the rest is checked."""

    sounds_dir: Annotated[Path, PlainValidator(directory)] = Path(DEFAULT_SOUNDS_DIR)
    moh_dir: Annotated[Path, PlainValidator(directory)] = Path(DEFAULT_MOH_DIR)
    timezone: Annotated[str, PlainValidator(time_zone)] = "UTC"


class Switchboard(_Places):
    """A whole simulated switchboard."""

    internal: ClassVar[frozenset[str]] = frozenset({"source"})
    source: str = ""
    name: str = ""  # default: the file's stem
    hotel: str = "Grand Hotel"
    seed: Annotated[int, AtLeast(0)] = 1
    max_call_s: Annotated[float, AtLeast(1)] = 900
    ivr_voice: Annotated[Voice, PlainValidator(_voice)] = Voice("en-us+f2", 150, 50)
    variables: Annotated[dict[str, str], mapping_of("expected a mapping name -> text")] = {}
    pools: Annotated[dict[str, AgentPool], mapping_of("expected a mapping pool name -> persona pool")] = (
        Field({}, alias="agents"))
    queues: Annotated[dict[str, Queue], mapping_of("expected a mapping queue name -> queue")] = {}
    lines: Annotated[dict[str, Line], BeforeValidator(_users)] = Field(None, validate_default=True)


def _resolve(node: Node, keys: Keys, refs: list[tuple[str, str, Keys]]) -> Node:
    """The node with its menus named after their path; queue, pool and line references collected."""
    if isinstance(node, QueueRef | Agent | Goto):
        kind, key = _REF_KINDS[type(node)]
        refs.append((kind, getattr(node, dataclasses.fields(node)[0].name), (*keys, key)))
    elif isinstance(node, Play):
        return node.model_copy(update={"then": _resolve(node.then, (*keys, "play", "then"), refs)})
    elif isinstance(node, Menu):
        return node.model_copy(update={
            "name": node.name or ".".join(map(str, keys)),
            "choices": tuple((d, _resolve(to, (*keys, "menu", "choices", d), refs))
                             for d, to in node.choices),
            "on_timeout": _resolve(node.on_timeout, (*keys, "menu", "on_timeout"), refs),
        })
    return node


def parse_switchboard(located: LocatedYaml) -> Switchboard:
    """Validate a switchboard YAML document (read with ``mystery_core.yamlfile``)."""
    data = located.data if isinstance(located.data, dict) else {}
    places = validate(_Places, dataclasses.replace(located, data={k: data[k] for k in _Places.model_fields
                                                                  if k in data}), root="(top)")
    doc = validate(Switchboard, located, context=dict(places), root="(top)")
    refs: list[tuple[str, str, Keys]] = []
    pools = {name: pool.model_copy(update={"name": name}) for name, pool in doc.pools.items()}
    pools.setdefault("default", AgentPool.model_validate({}).model_copy(update={"name": "default"}))
    queues = {}
    for name, queue in doc.queues.items():
        refs.append(("agent pool", queue.pool, ("queues", name, "pool")))
        on_timeout = _resolve(queue.on_timeout, ("queues", name, "on_timeout"), refs)
        queues[name] = queue.model_copy(update={"name": name, "on_timeout": on_timeout})
    lines = {}
    for user, line in doc.lines.items():
        hours = line.hours and dataclasses.replace(
            line.hours, closed=_resolve(line.hours.closed, ("lines", user, "hours", "closed"), refs))
        then = _resolve(line.then, ("lines", user, "then"), refs)
        lines[user] = line.model_copy(update={"user": user, "hours": hours, "then": then})
    defined: dict[str, dict[str, Any]] = {"queue": queues, "agent pool": pools, "line": lines}
    for kind, name, keys in sorted(refs, key=lambda ref: list(defined).index(ref[0])):
        if name not in defined[kind]:
            known = "" if kind == "line" else f" (defined: {', '.join(sorted(defined[kind])) or 'none'})"
            raise located.error(keys, f"unknown {kind} {name!r}{known}")
    return doc.model_copy(update={"source": located.path, "name": doc.name or Path(located.path).stem,
                                  "lines": lines, "queues": queues, "pools": pools})


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
