"""Sites: the hotels the lines belong to, with the time zone and public holidays their calendar follows.

A schedule's days and hours are the site's local ones, so every scheduled line needs a zone: the
site's `timezone`, or the one zone `phonenumbers` gives for the numbers of its lines (an E.164
number in the SIP URI's user part, `sip:+33140000000@trunk`). A number spread over several zones
(+1 800 ...) or lines that disagree is an error that asks for `timezone`. Holidays come from the
`holidays` package (a country, optionally one of its subdivisions). The revenue model reads the
same zones (`zones_by_line`), so an hour of week means the same thing to the planner and the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mystery.scenario.calendar import NO_SCHEDULE, Schedule
from mystery_core.validate import Invalid

_NUMBER_IN_URI = re.compile(r"^(?:sips?|tel):(\+\d[\d\-.() ]{3,30})(?:[@;]|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Site:
    """A hotel (or any place whose lines share a calendar).

    timezone: IANA zone of the site's local days and hours. timezone_from: empty when given in the
    scenario, else the number it was derived from. holidays_country / holidays_subdivision: the
    `holidays` calendar whose days get no calls ("" for none). concurrency: calls at once to this
    site, all its lines together (default 1: a mystery caller must not jam a hotel's lines).
    implicit: made for a scheduled line without `site:` (named after the line).
    """

    name: str
    timezone: str
    timezone_from: str = ""
    holidays_country: str = ""
    holidays_subdivision: str = ""
    concurrency: int = 1
    schedule: Schedule = NO_SCHEDULE
    implicit: bool = False


def number_in_uri(uri: str) -> str | None:
    """The E.164 number a SIP or tel URI dials (`sip:+33140000000@host` -> `+33140000000`), if any."""
    match = _NUMBER_IN_URI.match(uri.strip())
    return re.sub(r"[\-.() ]", "", match.group(1)) if match else None


@lru_cache(maxsize=4096)
def zones_of_number(number: str) -> tuple[str, ...]:
    """The zones `phonenumbers` gives for a number (empty when it is not a valid number)."""
    import phonenumbers
    from phonenumbers import timezone as phone_timezone

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ()
    if not phonenumbers.is_valid_number(parsed):
        return ()
    return tuple(z for z in phone_timezone.time_zones_for_number(parsed) if z != "Etc/Unknown")


def zone_from_uris(uris: Iterable[str]) -> tuple[str, str]:
    """(zone, number) when the numbers of these URIs all point at one zone; else raises `Invalid`
    saying what was found, for an error that asks for an explicit `timezone`."""
    found: dict[str, tuple[str, ...]] = {}
    for uri in uris:
        number = number_in_uri(uri)
        if number is None:
            raise Invalid(f"cannot tell the time zone from {uri!r} (no +E.164 number in it); set timezone")
        zones = zones_of_number(number)
        if not zones:
            raise Invalid(f"cannot tell the time zone of {number} (not a valid number); set timezone")
        if len(zones) > 1:
            shown = ", ".join(zones[:4]) + (f" and {len(zones) - 4} more" if len(zones) > 4 else "")
            raise Invalid(f"{number} is ambiguous: it may be in {shown}; set timezone")
        found[number] = zones
    distinct = {zones[0] for zones in found.values()}
    if not found:
        raise Invalid("no line of this site has a number to tell its time zone from; set timezone")
    if len(distinct) > 1:
        raise Invalid(f"its numbers are in different zones ({', '.join(sorted(distinct))}); set timezone")
    number = next(iter(found))
    return found[number][0], number


@lru_cache(maxsize=256)
def _subdivisions(country: str) -> tuple[str, ...] | None:
    import holidays

    supported = holidays.list_supported_countries()
    return tuple(supported[country]) if country in supported else None


def check_holidays(raw: Any) -> tuple[str, str]:
    """`FR`, `{country: FR}` or `{country: ES, subdivision: MD}` -> (country, subdivision)."""
    spec = {"country": raw} if isinstance(raw, str) else raw
    if not isinstance(spec, dict) or "country" not in spec:
        raise Invalid(f"expected a country code (e.g. FR) or {{country: ES, subdivision: MD}}, got {raw!r}")
    unknown = sorted(set(spec) - {"country", "subdivision"})
    if unknown:
        raise Invalid("unknown holidays field (known: country, subdivision)", unknown[0])
    country = str(spec["country"]).strip().upper()
    subdivisions = _subdivisions(country)
    if subdivisions is None:
        raise Invalid(f"the holidays package has no calendar for country {spec['country']!r}", "country")
    subdivision = str(spec.get("subdivision") or "").strip().upper()
    if subdivision and subdivision not in subdivisions:
        raise Invalid(f"{country} has no subdivision {spec['subdivision']!r} in the holidays package "
                      f"(known: {', '.join(subdivisions[:12])}{' ...' if len(subdivisions) > 12 else ''})",
                      "subdivision")
    return country, subdivision


def zones_by_line(scenario: Mapping[str, Any]) -> dict[str, str]:
    """Line name -> its site's zone, from a stored scenario (`Scenario.to_json()`); lines without a
    site are left out (the revenue model then uses its own `timezone`, as before sites existed)."""
    sites = scenario.get("sites") or {}
    zones = {}
    for name, line in (scenario.get("lines") or {}).items():
        site = sites.get(line.get("site") or "") if isinstance(line, Mapping) else None
        if isinstance(site, Mapping) and site.get("timezone"):
            zones[str(name)] = str(site["timezone"])
    return zones
