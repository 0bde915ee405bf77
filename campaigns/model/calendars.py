"""Public holidays of the callee, from the `holidays` package, cached per calendar and day.

France: the eleven days of Code du travail L3133-1 are `holidays.France()` without subdivision.
Alsace-Moselle (departments 57, 67, 68) adds Good Friday and 26 December (L3134-13); overseas
departments add their abolition-of-slavery day (L3422-2), chosen from the number's country code
(+262, +590, ...). Which French calendar applies is a rule parameter (`alsace_moselle`).
A rule may keep only the national days (`days: national`, what D223-9 cites through L3133-1) or only
the regional ones (`days: regional`: the callee's calendar minus the national days, a key ending in
REGIONAL_ONLY). Elsewhere a region the `holidays` package knows as a subdivision of the country (a Spanish
autonomous community such as MD, a German Land, a Canadian province) adds its regional days.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache

import holidays

from campaigns.model.localtime import day_to_date

FR_OVERSEAS_SUBDIV = {"RE": "974", "GP": "971", "MQ": "972", "GF": "973", "YT": "976", "BL": "BL", "MF": "MF"}
ALSACE_MOSELLE = {"57": "57", "67": "6AE", "68": "6AE"}
FR_COUNTRIES = frozenset({"FR", *FR_OVERSEAS_SUBDIV})
REGIONAL_ONLY = "/regional"
"""Suffix of a calendar key holding only the days its region adds to the country's (e.g. FR-57/regional)."""


def french_calendar(country: str, region: str, alsace_moselle: str) -> str:
    """Calendar key for a French callee.

    alsace_moselle: "by_region" (Alsace-Moselle days when the department is 57/67/68),
    "always" (assume them for every metropolitan callee: the conservative reading when the
    department is unknown), or "never".
    """
    if country in FR_OVERSEAS_SUBDIV:
        return f"FR-{FR_OVERSEAS_SUBDIV[country]}"
    if alsace_moselle == "always" or (alsace_moselle == "by_region" and region in ALSACE_MOSELLE):
        return f"FR-{ALSACE_MOSELLE.get(region, '57')}"
    return "FR"


def regional_calendar(country: str, region: str) -> str:
    """`country`, or `country-REGION` when `region` is one of the country's subdivisions in `holidays`."""
    code = region.strip().upper()
    return f"{country}-{code}" if code and code in _subdivisions(country) else country


@lru_cache(maxsize=256)
def _subdivisions(country: str) -> frozenset[str]:
    return frozenset(s.upper() for s in holidays.list_supported_countries().get(country, ()))


@lru_cache(maxsize=64)
def _calendar(key: str) -> holidays.HolidayBase:
    country, _, subdiv = key.removesuffix(REGIONAL_ONLY).partition("-")
    return holidays.country_holidays(country, subdiv=subdiv or None)


def load_soon(keys: Iterable[str]) -> None:
    """Load these calendars on a thread of their own: `holidays` imports a country's module on first use
    (0.09 s for France), which can happen while the audit waits for its first block of the log."""
    keys = list(keys)
    threading.Thread(target=lambda: [_calendar(key) for key in keys], name="calendars", daemon=True).start()


_names: dict[tuple[str, int], str] = {}


def holiday_name(key: str, day: int) -> str:
    """Name of the holiday on local `day` in calendar `key` ("" if none)."""
    hit = _names.get((key, day))
    if hit is None:
        if key.endswith(REGIONAL_ONLY):
            key_all = key[:-len(REGIONAL_ONLY)]
            country = key_all.partition("-")[0]
            hit = "" if holiday_name(country, day) else holiday_name(key_all, day)
        else:
            hit = _calendar(key).get(day_to_date(day)) or ""
        _names[(key, day)] = hit
    return hit
