"""The scenario file (YAML): which lines to call, what the caller does, how many calls.

```yaml
name: grand-hotel-2026-11          # campaign name (unique in the store; --name overrides)
client: Grand Hotel Paris
concurrency: 4                     # calls in flight at once
lines:                             # the client's numbers, by a name the report uses
  reservations:
    uri: sip:reservations@127.0.0.1:5080
    language: en
calls:                             # call groups; each runs `count` times
  - line: reservations
    count: 3
    ring_timeout_s: 30             # CANCEL if not answered by then (from the INVITE)
    max_seconds: 120               # hard cap on the whole call (from the INVITE), at most 86400
    follow_redirects: true         # follow a 3xx (up to 3 hops); false: outcome `redirected`
    steps:                         # caller steps, fired on call events (see docs/scenarios.md)
      - {action: dtmf, value: "1", on: prompt_ended, offset_s: 0.3}
      - {action: say, value: "Hello, do you have a double room?", on: human_reached, offset_s: 0.5}
      - {action: hangup, on: timeout, after_s: 20}
revenue:                           # assumptions of the lost-revenue model (see docs/lost-revenue.md)
  calls_per_month: 1200
checklist: hotel_booking           # script checklist to score agents against (optional)
variables: {hotel: Grand Hotel Paris}   # fill the checklist's {placeholders}; a line may override
```
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, PlainValidator

from mystery.scenario.plan import MAX_CALL_SECONDS, Step, StepSchema, check_uri
from mystery_core.errors import InputError
from mystery_core.validate import Invalid, Schema, nested, number, validate, whole_number
from mystery_core.yamlfile import LocatedYaml, load_located_yaml


@dataclass(frozen=True, slots=True)
class Line:
    """A client phone line: a name for reports and the SIP URI that reaches it."""

    name: str
    uri: str
    language: str = "en"
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallGroup:
    """`count` identical calls to one line with the same caller steps."""

    line: str
    count: int
    steps: tuple[Step, ...]
    ring_timeout_s: float = 30.0
    max_seconds: float = 120.0
    label: str = ""
    follow_redirects: bool = True


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    lines: dict[str, Line]
    groups: tuple[CallGroup, ...]
    client: str = ""
    concurrency: int = 4
    revenue: dict[str, Any] = field(default_factory=dict)
    checklist: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    path: str = ""

    @property
    def total_calls(self) -> int:
        return sum(g.count for g in self.groups)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _whole(maximum: int) -> Any:
    return PlainValidator(lambda raw: whole_number(raw, f"a whole number from 1 to {maximum}", minimum=1,
                                                   maximum=maximum))


def _variables(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str | int | float) for v in raw.values()):
        raise Invalid("expected a mapping of names to texts, e.g. {hotel: Grand Hotel}")
    return {str(k): str(v) for k, v in raw.items()}


def _uri(raw: Any) -> str:
    try:
        return check_uri(str(raw), "uri")
    except InputError as error:
        raise Invalid(error.problem) from None


def _lines(raw: Any) -> Any:
    if not isinstance(raw, dict) or not raw:
        raise Invalid("expected a mapping of line name -> {uri: ...}")
    specs = {name: {"uri": spec} if isinstance(spec, str) else spec for name, spec in raw.items()}
    for name, spec in specs.items():
        if not isinstance(spec, dict) or "uri" not in spec:
            raise Invalid("expected {uri: sip:...}", name)
    return specs


def _steps(raw: Any) -> tuple[Step, ...]:
    return tuple(nested(StepSchema, data, None, j).step() for j, data in enumerate(raw or []))


def _name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid("expected a non-empty text")
    return raw.strip()


def _revenue(raw: Any) -> Any:
    if not isinstance(raw or {}, dict):
        raise Invalid("expected a mapping of assumptions")
    return raw or {}


Seconds = Annotated[float, PlainValidator(lambda raw: number(raw, "a positive number of seconds", above=0))]
CallSeconds = Annotated[float, PlainValidator(lambda raw: number(
    raw, "a positive number of seconds", above=0, maximum=MAX_CALL_SECONDS,
    out_of_range=f"a number of seconds > 0 and <= {MAX_CALL_SECONDS}"))]
Variables = Annotated[dict[str, str], PlainValidator(_variables)]


class _Fields(Schema):
    unknown_key: ClassVar[str] = "unknown field (known: {known})"


class _Line(_Fields):
    uri: Annotated[str, PlainValidator(_uri)]
    language: str = "en"
    variables: Variables = {}


class _Group(_Fields):
    not_mapping: ClassVar[str] = "expected a mapping with line, count and steps"
    line: Any = None
    count: Annotated[int, _whole(10_000)] = 1
    steps: Annotated[tuple[Step, ...], PlainValidator(_steps)] = ()
    ring_timeout_s: Seconds = 30.0
    max_seconds: CallSeconds = 120.0
    label: str = ""
    follow_redirects: bool = True


class _Scenario(_Fields):
    not_mapping: ClassVar[str] = "expected a mapping with name, lines and calls"
    name: Annotated[str, PlainValidator(_name)]
    client: str = ""
    concurrency: Annotated[int, _whole(256)] = 4
    lines: Annotated[dict[str, _Line], BeforeValidator(_lines)]
    calls: Annotated[list[_Group], BeforeValidator(_calls)]
    revenue: Annotated[dict[str, Any], BeforeValidator(_revenue)] = {}
    checklist: Annotated[str, BeforeValidator(lambda raw: raw or "")] = ""
    variables: Variables = {}
    description: str = ""


def _calls(raw: Any) -> Any:
    if not isinstance(raw, list) or not raw:
        raise Invalid("expected a list of call groups")
    return raw


def parse_scenario(doc: LocatedYaml) -> Scenario:
    """Validate a located YAML document into a Scenario; every error names file, line and field."""
    data = validate(_Scenario, doc, missing="missing field {key}")
    lines = {name: Line(name, spec.uri, spec.language, spec.variables) for name, spec in data.lines.items()}
    groups = []
    for i, group in enumerate(data.calls):
        if group.line not in lines:
            raise doc.error(("calls", i, "line"),
                            f"unknown line {group.line!r} (defined: {', '.join(lines)})")
        groups.append(CallGroup(group.line, group.count, group.steps, group.ring_timeout_s, group.max_seconds,
                                group.label, group.follow_redirects))
    return Scenario(
        name=data.name, lines=lines, groups=tuple(groups), client=data.client, concurrency=data.concurrency,
        revenue=data.revenue, checklist=data.checklist, variables=data.variables, path=doc.path,
    )


def load_scenario(path: str | Path) -> Scenario:
    return parse_scenario(load_located_yaml(path))
