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
    max_seconds: 120               # hard cap on the whole call (from the INVITE)
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
from typing import Any

from mystery.scenario.plan import Step, check_uri, parse_step
from mystery_core.errors import InputError
from mystery_core.yamlfile import LocatedYaml, load_located_yaml

TOP_LEVEL = {"name", "client", "concurrency", "lines", "calls", "revenue", "checklist", "variables", "description"}
GROUP_FIELDS = {"line", "count", "steps", "ring_timeout_s", "max_seconds", "label"}


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


def _positive_int(doc: LocatedYaml, keys: tuple[str | int, ...], raw: Any, maximum: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= maximum:
        raise doc.error(keys, f"expected a whole number from 1 to {maximum}, got {raw!r}")
    return raw


def _seconds(doc: LocatedYaml, keys: tuple[str | int, ...], raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
        raise doc.error(keys, f"expected a positive number of seconds, got {raw!r}")
    return float(raw)


def parse_scenario(doc: LocatedYaml) -> Scenario:
    """Validate a located YAML document into a Scenario; every error names file, line and field."""
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "expected a mapping with name, lines and calls")
    for key in data:
        if key not in TOP_LEVEL:
            raise doc.error((key,), f"unknown field (known: {', '.join(sorted(TOP_LEVEL))})")
    for key in ("name", "lines", "calls"):
        if key not in data:
            raise doc.error((), f"missing field {key!r}")
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise doc.error(("name",), "expected a non-empty text")

    if not isinstance(data["lines"], dict) or not data["lines"]:
        raise doc.error(("lines",), "expected a mapping of line name -> {uri: ...}")
    lines: dict[str, Line] = {}
    for line_name, spec in data["lines"].items():
        keys: tuple[str | int, ...] = ("lines", line_name)
        if isinstance(spec, str):
            spec = {"uri": spec}
        if not isinstance(spec, dict) or "uri" not in spec:
            raise doc.error(keys, "expected {uri: sip:...}")
        try:
            uri = check_uri(str(spec["uri"]), "uri")
        except InputError as error:
            raise doc.error((*keys, "uri"), error.problem) from None
        lines[line_name] = Line(line_name, uri, str(spec.get("language", "en")),
                                _variables(doc, (*keys, "variables"), spec.get("variables")))

    if not isinstance(data["calls"], list) or not data["calls"]:
        raise doc.error(("calls",), "expected a list of call groups")
    groups = []
    for i, group in enumerate(data["calls"]):
        keys = ("calls", i)
        if not isinstance(group, dict):
            raise doc.error(keys, "expected a mapping with line, count and steps")
        for key in group:
            if key not in GROUP_FIELDS:
                raise doc.error((*keys, key), f"unknown field (known: {', '.join(sorted(GROUP_FIELDS))})")
        line = group.get("line")
        if line not in lines:
            raise doc.error((*keys, "line"), f"unknown line {line!r} (defined: {', '.join(lines)})")
        steps = []
        for j, raw_step in enumerate(group.get("steps") or []):
            try:
                steps.append(parse_step(raw_step, "step"))
            except InputError as error:
                step_keys = (*keys, "steps", j)
                if error.field:
                    step_keys = (*step_keys, error.field)
                raise doc.error(step_keys, error.problem) from None
        groups.append(CallGroup(
            line=line,
            count=_positive_int(doc, (*keys, "count"), group.get("count", 1), 10_000),
            steps=tuple(steps),
            ring_timeout_s=_seconds(doc, (*keys, "ring_timeout_s"), group.get("ring_timeout_s", 30.0)),
            max_seconds=_seconds(doc, (*keys, "max_seconds"), group.get("max_seconds", 120.0)),
            label=str(group.get("label", "")),
        ))
    revenue = data.get("revenue") or {}
    if not isinstance(revenue, dict):
        raise doc.error(("revenue",), "expected a mapping of assumptions")
    return Scenario(
        name=name.strip(), lines=lines, groups=tuple(groups), client=str(data.get("client", "")),
        concurrency=_positive_int(doc, ("concurrency",), data.get("concurrency", 4), 256),
        revenue=revenue, checklist=str(data.get("checklist", "") or ""),
        variables=_variables(doc, ("variables",), data.get("variables")), path=doc.path,
    )


def _variables(doc: LocatedYaml, keys: tuple[str | int, ...], raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str | int | float) for v in raw.values()):
        raise doc.error(keys, "expected a mapping of names to texts, e.g. {hotel: Grand Hotel}")
    return {str(k): str(v) for k, v in raw.items()}


def load_scenario(path: str | Path) -> Scenario:
    return parse_scenario(load_located_yaml(path))
