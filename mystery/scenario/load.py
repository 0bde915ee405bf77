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

Calendar schedules (optional; docs/scenarios.md): `schedule:` on the scenario, a site, a line or a
call group (the narrowest wins, field by field), `sites:` with their zone, holidays and calls at
once, `trunk: {channels, calls_per_second}` and `seed:`. A scenario without windows anywhere is
dialled right away, as before schedules existed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, PlainValidator

from mystery.scenario.calendar import NO_SCHEDULE, Schedule, ScheduleField, narrowest
from mystery.scenario.plan import MAX_CALL_SECONDS, Step, StepSchema, check_uri
from mystery.scenario.retry import RetryPolicy, RetrySchema
from mystery.scenario.sites import Site, check_holidays, zone_from_uris
from mystery.scenario.volume import volume_table
from mystery_core.errors import InputError
from mystery_core.validate import (
    Invalid,
    Schema,
    mapping_of,
    nested,
    number,
    time_zone,
    validate,
    whole_number,
)
from mystery_core.yamlfile import LocatedYaml, load_located_yaml


@dataclass(frozen=True, slots=True)
class Line:
    """A client phone line: a name for reports and the SIP URI that reaches it.

    site: the site (hotel) it belongs to, "" for none. concurrency: calls at once to this line
    (None: only the site's and the campaign's caps). schedule: its own schedule fields.
    """

    name: str
    uri: str
    language: str = "en"
    variables: dict[str, str] = field(default_factory=dict)
    site: str = ""
    concurrency: int | None = None
    schedule: Schedule = NO_SCHEDULE


@dataclass(frozen=True, slots=True)
class CallGroup:
    """`count` identical calls to one line with the same caller steps.

    schedule: the group's own schedule fields. expected_seconds: how long the planner reserves
    for each call against the caps (None: `max_seconds`, the dialer's hard cap, so a plan never
    exceeds a cap). where: `file:line` of the group, for the planner's errors.
    """

    line: str
    count: int
    steps: tuple[Step, ...]
    ring_timeout_s: float = 30.0
    max_seconds: float = 120.0
    label: str = ""
    follow_redirects: bool = True
    schedule: Schedule = NO_SCHEDULE
    expected_seconds: float | None = None
    where: str = ""
    retry: RetryPolicy | None = None

    @property
    def planned_seconds(self) -> float:
        """The seconds each call of the group holds a place under the caps."""
        return self.max_seconds if self.expected_seconds is None else self.expected_seconds


@dataclass(frozen=True, slots=True)
class Scenario:
    """A scenario file, validated. concurrency: calls at once in the whole campaign (also the
    planner's global cap). sites: by name, with the implicit ones made for scheduled lines without
    a site. schedule: the scenario-wide schedule fields. trunk_channels / trunk_calls_per_second:
    the SIP trunk's limits (None: none). seed: the planner's default seed. volume: the call-volume
    table of `revenue.hourly_profile` (None: the revenue model's default hotel profile).
    """

    name: str
    lines: dict[str, Line]
    groups: tuple[CallGroup, ...]
    client: str = ""
    concurrency: int = 4
    revenue: dict[str, Any] = field(default_factory=dict)
    checklist: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    path: str = ""
    sites: dict[str, Site] = field(default_factory=dict)
    schedule: Schedule = NO_SCHEDULE
    trunk_channels: int | None = None
    trunk_calls_per_second: int | None = None
    seed: int = 1
    volume: tuple[float, ...] | None = None

    @property
    def total_calls(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def scheduled(self) -> bool:
        """True when some call group has sampling windows (its calls go on the calendar)."""
        return any(self.group_schedule(g).scheduled for g in self.groups)

    def group_schedule(self, group: CallGroup) -> Schedule:
        """The group's schedule: group > line > site > scenario, field by field."""
        line = self.lines[group.line]
        site = self.sites.get(line.site)
        return narrowest(group.schedule, line.schedule, site.schedule if site else NO_SCHEDULE, self.schedule)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data (days as YYYY-MM-DD): what the store keeps with the campaign."""
        return _jsonable(dataclasses.asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


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
_call_seconds = PlainValidator(lambda raw: number(
    raw, "a positive number of seconds", above=0, maximum=MAX_CALL_SECONDS,
    out_of_range=f"a number of seconds > 0 and <= {MAX_CALL_SECONDS}"))
CallSeconds = Annotated[float, _call_seconds]
Variables = Annotated[dict[str, str], PlainValidator(_variables)]


class _Fields(Schema):
    unknown_key: ClassVar[str] = "unknown field (known: {known})"


_UNSET = Field(None, validate_default=False)
_NONE_IS_NO_SCHEDULE = Field(None, validate_default=True)
Concurrency = Annotated[int, _whole(256)]


class _Line(_Fields):
    uri: Annotated[str, PlainValidator(_uri)]
    language: str = "en"
    variables: Variables = {}
    site: Annotated[str | None, PlainValidator(_name)] = _UNSET
    concurrency: Annotated[int | None, _whole(256)] = _UNSET
    schedule: ScheduleField = _NONE_IS_NO_SCHEDULE


class _Site(_Fields):
    timezone: Annotated[str | None, PlainValidator(time_zone)] = _UNSET
    holidays: Annotated[tuple[str, str] | None, PlainValidator(check_holidays)] = _UNSET
    concurrency: Concurrency = 1
    schedule: ScheduleField = _NONE_IS_NO_SCHEDULE


class _Trunk(_Fields):
    channels: Annotated[int | None, _whole(100_000)] = _UNSET
    calls_per_second: Annotated[int | None, _whole(10_000)] = _UNSET


class _Group(_Fields):
    not_mapping: ClassVar[str] = "expected a mapping with line, count and steps"
    line: Any = None
    count: Annotated[int, _whole(10_000)] = 1
    steps: Annotated[tuple[Step, ...], PlainValidator(_steps)] = ()
    ring_timeout_s: Seconds = 30.0
    max_seconds: CallSeconds = 120.0
    label: str = ""
    follow_redirects: bool = True
    schedule: ScheduleField = _NONE_IS_NO_SCHEDULE
    expected_seconds: Annotated[float | None, _call_seconds] = _UNSET
    retry: RetrySchema | None = _UNSET


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
    sites: Annotated[dict[str, _Site], mapping_of("expected a mapping of site name -> {timezone: ...}")] = {}
    schedule: ScheduleField = _NONE_IS_NO_SCHEDULE
    trunk: _Trunk | None = _UNSET
    seed: Annotated[int, PlainValidator(lambda raw: whole_number(raw, "a whole number >= 0", minimum=0))] = 1


def _calls(raw: Any) -> Any:
    if not isinstance(raw, list) or not raw:
        raise Invalid("expected a list of call groups")
    return raw


def parse_scenario(doc: LocatedYaml) -> Scenario:
    """Validate a located YAML document into a Scenario; every error names file, line and field."""
    data = validate(_Scenario, doc, missing="missing field {key}")
    for name, spec in data.lines.items():
        if spec.site is not None and spec.site not in data.sites:
            raise doc.error(("lines", name, "site"),
                            f"unknown site {spec.site!r} (defined: {', '.join(data.sites) or 'none'})")
    lines = {name: Line(name, spec.uri, spec.language, spec.variables, spec.site or "", spec.concurrency,
                        spec.schedule) for name, spec in data.lines.items()}
    groups = []
    for i, group in enumerate(data.calls):
        if group.line not in lines:
            raise doc.error(("calls", i, "line"),
                            f"unknown line {group.line!r} (defined: {', '.join(lines)})")
        if group.expected_seconds is not None and group.expected_seconds > group.max_seconds:
            raise doc.error(("calls", i, "expected_seconds"), f"expected at most max_seconds "
                            f"({group.max_seconds:g}), got {group.expected_seconds:g}")
        groups.append(CallGroup(group.line, group.count, group.steps, group.ring_timeout_s, group.max_seconds,
                                group.label, group.follow_redirects, group.schedule, group.expected_seconds,
                                doc.where("calls", i), group.retry.policy() if group.retry else None))
    trunk = data.trunk or _Trunk()
    scenario = Scenario(
        name=data.name, lines=lines, groups=tuple(groups), client=data.client, concurrency=data.concurrency,
        revenue=data.revenue, checklist=data.checklist, variables=data.variables, path=doc.path,
        sites=_sites(doc, data), schedule=data.schedule, trunk_channels=trunk.channels,
        trunk_calls_per_second=trunk.calls_per_second, seed=data.seed, volume=_revenue_volume(doc, data.revenue),
    )
    return _with_calendar(doc, scenario)


def _sites(doc: LocatedYaml, data: _Scenario) -> dict[str, Site]:
    """The declared sites, each with its zone: given, or from the numbers of its lines."""
    sites = {}
    for name, spec in data.sites.items():
        zone, number = spec.timezone or "", ""
        if not zone:
            uris = [line.uri for line in data.lines.values() if line.site == name]
            try:
                zone, number = zone_from_uris(uris)
            except Invalid as error:
                raise doc.error(("sites", name, "timezone"), f"not given and {error.problem}") from None
        country, subdivision = spec.holidays or ("", "")
        sites[name] = Site(name, zone, number, country, subdivision, spec.concurrency, spec.schedule)
    return sites


def _with_calendar(doc: LocatedYaml, scenario: Scenario) -> Scenario:
    """Check every scheduled group has an end day, and give each scheduled line without a site one
    of its own (named after the line, its zone from the line's number)."""
    sites, lines = dict(scenario.sites), dict(scenario.lines)
    for i, group in enumerate(scenario.groups):
        schedule = scenario.group_schedule(group)
        if not schedule.scheduled:
            continue
        if schedule.end is None:
            raise doc.error(("calls", i, "schedule", "end"), "no last day: set end in a schedule of the scenario, "
                            "the site, the line or this call group")
        line = lines[group.line]
        if line.site:
            continue
        try:
            zone, number = zone_from_uris([line.uri])
        except Invalid as error:
            raise doc.error(("lines", line.name, "uri"), f"this line is scheduled but has no site, and "
                            f"{error.problem} (or give it a site with one)") from None
        name = line.name if line.name not in sites else f"{line.name} (line)"
        sites[name] = Site(name, zone, number, implicit=True)
        lines[line.name] = dataclasses.replace(line, site=name)
    return dataclasses.replace(scenario, sites=sites, lines=lines)


def _revenue_volume(doc: LocatedYaml, revenue: dict[str, Any]) -> tuple[float, ...] | None:
    """The revenue section's call-volume table (the planner's default for `distribution: volume`)."""
    if revenue.get("hourly_profile") is None:
        return None
    try:
        return volume_table(revenue["hourly_profile"])
    except Invalid as error:
        raise doc.error(("revenue", "hourly_profile", *error.below), error.problem) from None


def load_scenario(path: str | Path) -> Scenario:
    return parse_scenario(load_located_yaml(path))
