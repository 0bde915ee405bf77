"""Phone numbers: E.164 normalization and the callee's candidate time zones, cached per number.

`phonenumbers` costs 30-60 us per number, so a log of a million rows parses each distinct
number once (`PhoneBook.lookup`). Known defects of the time-zone metadata are corrected here
(reference compliance_rules.md section 6): Morocco, Algeria, Libya, Palestine and Nicaragua map
to a neighbour's zone with other DST rules; French overseas numbers written in the national
metropolitan form (0692..., +33 692...) must be re-homed to their own country codes.

Numbers the metadata does not fully know are not left without a zone (a silent gap): one that is not
even a possible number (`is_possible_number`: wrong length, unknown country code) is not a phone number
(`PhoneError`, the row is rejected with the reason); one that is possible but not valid (a range the
metadata does not list) takes its country's zone when the country has a single one (+33, +596...),
`zone_basis: country`. A North-American number that phonenumbers maps to one zone while its area code's
prefixes map to several takes them all (`zone_basis: area_code`): the checks keep the most restrictive
verdict, so 07:30 Central never passes as 08:30 Eastern.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    PhoneMetadata,
    PhoneNumberDesc,
    PhoneNumberType,
    is_number_type_geographical,
)
from phonenumbers import timezone as phone_timezone

ZONE_OVERRIDES: dict[int, tuple[str, ...]] = {
    212: ("Africa/Casablanca",),  # metadata says Atlantic/Canary: 1 h off half the year
    213: ("Africa/Algiers",),  # metadata says Europe/Paris; Algeria has no DST
    218: ("Africa/Tripoli",),  # metadata says Europe/Bucharest; Libya has no DST
    970: ("Asia/Hebron",),  # metadata says Europe/Bucharest; Palestine has its own DST
    505: ("America/Managua",),  # metadata says America/Chicago; Nicaragua has no DST
}
"""Country calling code -> zones that replace what `phonenumbers` returns."""

REGION_ZONES: dict[str, tuple[str, ...]] = {
    "YT": ("Indian/Mayotte",),  # +262 639 / 269 ranges are Mayotte's alone; phonenumbers adds Réunion's zone
}
"""Region of a valid number -> its zones, where `phonenumbers` gives the zones of the whole calling code."""

FR_OVERSEAS_PREFIXES: dict[str, str] = {
    "262": "RE", "692": "RE", "693": "RE",
    "269": "YT", "639": "YT",
    "590": "GP", "690": "GP", "691": "GP",
    "594": "GF", "694": "GF",
    "596": "MQ", "696": "MQ", "697": "MQ",
}
"""National significant prefixes (after the leading 0) of numbers that belong to an overseas
department although written like metropolitan ones."""

_KINDS = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_or_mobile",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.TOLL_FREE: "toll_free",
}

US_STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA",
    "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS",
    "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA",
    "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO", "Montana": "MT",
    "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM",
    "New York": "NY", "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK",
    "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC",
    "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
    "Washington D.C.": "DC",
}


@dataclass(frozen=True, slots=True)
class PhoneInfo:
    """What the number alone says about the callee.

    e164: normalized number; country: ISO region (FR, RE, US...) or "" when unknown;
    zones: candidate IANA zones, () when unknown (no window can be evaluated);
    kind: mobile, fixed, fixed_or_mobile, voip, toll_free or unknown; valid: phonenumbers' verdict;
    zone_basis: where the zones come from: number (phonenumbers' zones of the number), country (a possible
    but not valid number, in its country's only zone), area_code (every zone of a North-American area code).
    """

    e164: str
    country: str
    zones: tuple[str, ...]
    kind: str
    valid: bool
    zone_basis: str = "number"

    @property
    def us_state(self) -> str:
        """USPS state code from the number's rate centre ("" if not a US number or unknown)."""
        return _us_state(self.e164) if self.country == "US" else ""


class PhoneError(ValueError):
    """The text is not a phone number at all."""


def _fix_french_overseas(raw: str, default_region: str) -> tuple[str, str]:
    """Re-home 0692.../+33692... style numbers to their overseas country; returns (text, region)."""
    digits = raw.replace(" ", "").replace(".", "").replace("-", "")
    if digits.startswith("+33") and digits[3:6] in FR_OVERSEAS_PREFIXES:
        return "0" + digits[3:], FR_OVERSEAS_PREFIXES[digits[3:6]]
    if default_region == "FR" and digits.startswith("0") and digits[1:4] in FR_OVERSEAS_PREFIXES:
        return digits, FR_OVERSEAS_PREFIXES[digits[1:4]]
    return raw, default_region


def _parse(raw: str, default_region: str) -> phonenumbers.PhoneNumber:
    text, region = _fix_french_overseas(raw, default_region)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise PhoneError(f"not a phone number: {raw!r} ({error})") from None


def _parse_e164(text: str) -> phonenumbers.PhoneNumber | None:
    """Build the number directly from "+<country><national>" (about 30x cheaper than `parse`);
    None when the text needs the full parser (national prefix, punctuation, unknown code)."""
    if not text.startswith("+") or not text[1:].isdigit() or not 8 <= len(text) <= 16:
        return None
    for length in (1, 2, 3):
        code = int(text[1:1 + length])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            national = text[1 + length:]
            if national.startswith("0"):
                return None
            return phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    return None


_SPECIAL_TYPES = (("premium_rate", PhoneNumberType.PREMIUM_RATE), ("toll_free", PhoneNumberType.TOLL_FREE),
                  ("shared_cost", PhoneNumberType.SHARED_COST), ("voip", PhoneNumberType.VOIP),
                  ("personal_number", PhoneNumberType.PERSONAL_NUMBER), ("pager", PhoneNumberType.PAGER),
                  ("uan", PhoneNumberType.UAN), ("voicemail", PhoneNumberType.VOICEMAIL))
_Desc = tuple[frozenset[int], Callable[[str], object] | None] | None
_compiled_metadata: dict[int, tuple[PhoneMetadata, _Desc, tuple[tuple[_Desc, int], ...], _Desc, _Desc, bool]] = {}


def _desc(desc: PhoneNumberDesc | None) -> _Desc:
    """(possible lengths, compiled fullmatch) of a PhoneNumberDesc; None when there is no description."""
    if desc is None:
        return None
    pattern = desc.national_number_pattern
    return frozenset(desc.possible_length), (re.compile(pattern).fullmatch if pattern else None)


def _matches(nsn: str, desc: _Desc) -> bool:
    """phonenumbers' _is_number_matching_desc with the pattern compiled once."""
    if desc is None:
        return False
    lengths, fullmatch = desc
    if lengths and len(nsn) not in lengths:
        return False
    return fullmatch is not None and fullmatch(nsn) is not None


def number_type(nsn: str, metadata: PhoneMetadata) -> int:
    """phonenumbers' `_number_type_helper` (same order of tests, same answers: a test checks it on generated
    numbers of every region) with each region's patterns compiled once instead of looked up per test."""
    hit = _compiled_metadata.get(id(metadata))
    if hit is None or hit[0] is not metadata:
        hit = _compiled_metadata[id(metadata)] = (
            metadata, _desc(metadata.general_desc),
            tuple((_desc(getattr(metadata, name)), kind) for name, kind in _SPECIAL_TYPES),
            _desc(metadata.fixed_line), _desc(metadata.mobile), bool(metadata.same_mobile_and_fixed_line_pattern))
    _, general, specials, fixed, mobile, same = hit
    if not _matches(nsn, general):
        return PhoneNumberType.UNKNOWN
    for desc, kind in specials:
        if _matches(nsn, desc):
            return kind
    if _matches(nsn, fixed):
        if same or _matches(nsn, mobile):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return PhoneNumberType.FIXED_LINE
    if not same and _matches(nsn, mobile):
        return PhoneNumberType.MOBILE
    return PhoneNumberType.UNKNOWN


def describe(raw: str, default_region: str = "FR") -> PhoneInfo:
    """Normalize `raw` and find its candidate zones (no cache: use PhoneBook in loops).

    Equivalent to parse + is_valid_number + number_type + time_zones_for_number, with the region
    and the type computed once instead of four times.
    """
    text = raw.strip()
    fixed, _ = _fix_french_overseas(text, default_region)
    number = _parse_e164(text) if fixed == text else None
    if number is None:
        number = _parse(text, default_region)
    region = phonenumbers.region_code_for_number(number) or ""
    country_code = number.country_code
    assert country_code is not None  # both parsers set it; phonenumbers' stub says int | None
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    nsn = phonenumbers.national_significant_number(number)
    kind_code = number_type(nsn, metadata) if metadata else PhoneNumberType.UNKNOWN
    if kind_code == PhoneNumberType.UNKNOWN:
        return describe_slow(text, default_region)  # not valid: the full parser has the last word
    zones: tuple[str, ...] = ()
    basis = "number"
    if country_code in ZONE_OVERRIDES:
        zones = ZONE_OVERRIDES[country_code]
    else:
        if is_number_type_geographical(kind_code, country_code):
            found = phone_timezone.time_zones_for_geographical_number(number)
        else:
            # phonenumbers keeps its country-level lookup private; the public time_zones_for_number would
            # work out the number type again (the slow part of describing a number)
            found = phone_timezone._country_level_time_zones_for_number(number)  # noqa: SLF001
        zones, basis = _widen_area_code(number, tuple(z for z in found if z != "Etc/Unknown"))
    zones = REGION_ZONES.get(region, zones)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneInfo(e164=e164, country=region, zones=tuple(sorted(zones)), kind=_KINDS.get(kind_code, "unknown"),
                     valid=True, zone_basis=basis)


@lru_cache(maxsize=1)
def area_code_zones() -> dict[str, frozenset[str]]:
    """North-American area code (3 digits) -> every zone that phonenumbers' time-zone table gives any of its
    prefixes ("1208" and "1208xxx..." keys)."""
    from phonenumbers.tzdata import TIMEZONE_DATA

    out: dict[str, set[str]] = {}
    for prefix, zones in TIMEZONE_DATA.items():
        if prefix.startswith("1") and len(prefix) >= 4:
            out.setdefault(prefix[1:4], set()).update(z for z in zones if z != "Etc/Unknown")
    return {code: frozenset(zones) for code, zones in out.items()}


def _widen_area_code(number: phonenumbers.PhoneNumber, zones: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """(zones, basis): a +1 number's zones widened to every zone of its area code when that area code's
    prefixes span more zones than phonenumbers gave the number."""
    if number.country_code != 1 or not zones:
        return zones, "number"
    every = area_code_zones().get(str(number.national_number)[:3])
    if every is None or every <= set(zones):
        return zones, "number"
    return tuple(sorted(every | set(zones))), "area_code"


def _impossible(number: phonenumbers.PhoneNumber, raw: str) -> PhoneError | None:
    """A PhoneError when `number` is not even a possible number (is_possible_number_with_reason), else None."""
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in (phonenumbers.ValidationResult.IS_POSSIBLE, phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        return None
    words = {phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
             phonenumbers.ValidationResult.TOO_SHORT: "too short", phonenumbers.ValidationResult.TOO_LONG: "too long",
             phonenumbers.ValidationResult.INVALID_LENGTH: "a length no number of its country has"}
    return PhoneError(f"not a possible number: {raw!r} ({words.get(reason, 'impossible')} for +{number.country_code})")


def _country_zone(number: phonenumbers.PhoneNumber) -> tuple[str, ...]:
    """The country's zone when the country (calling code) has exactly one, else ()."""
    found = tuple(z for z in phone_timezone._country_level_time_zones_for_number(number)  # noqa: SLF001
                  if z != "Etc/Unknown")
    return found if len(found) == 1 else ()


def describe_slow(raw: str, default_region: str = "FR") -> PhoneInfo:
    """The reference path through phonenumbers' public API (what `describe` must agree with)."""
    number = _parse(raw.strip(), default_region)
    impossible = _impossible(number, raw.strip())
    if impossible is not None:
        raise impossible
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    region = phonenumbers.region_code_for_number(number) or ""
    kind = _KINDS.get(phonenumbers.number_type(number), "unknown")
    valid = phonenumbers.is_valid_number(number)
    zones: tuple[str, ...] = ()
    basis = "number"
    if number.country_code in ZONE_OVERRIDES:
        zones = ZONE_OVERRIDES[number.country_code]
    elif valid:
        found = tuple(z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown")
        zones, basis = _widen_area_code(number, found)
        zones = REGION_ZONES.get(region, zones)
    else:
        zones = _country_zone(number)
        basis = "country" if zones else "number"
    return PhoneInfo(e164=e164, country=region, zones=tuple(sorted(zones)), kind=kind, valid=valid, zone_basis=basis)


class PhoneBook:
    """Per-run cache of `describe`; errors are cached too (as PhoneError instances)."""

    def __init__(self, default_region: str = "FR") -> None:
        self.default_region = default_region
        self._cache: dict[str, PhoneInfo | PhoneError] = {}
        self.zone_bases: dict[str, str] = {}
        """E.164 -> zone_basis of the numbers looked up whose zones do not come from the number alone."""
        self.moved: set[tuple[str, tuple[str, ...]]] = set()
        """(E.164, zones) of calls judged in their callee's residence zone instead (model.residence): the
        engines add to it, the findings' evidence reads it."""

    def lookup(self, raw: str) -> PhoneInfo:
        """PhoneInfo for `raw`; raises PhoneError if it is not a number."""
        hit = self._cache.get(raw)
        if hit is None:
            try:
                hit = describe(raw, self.default_region)
            except PhoneError as error:
                hit = error
            else:
                self._cache[hit.e164] = hit  # the audit looks numbers up again by their E.164 form
                if hit.zone_basis != "number":
                    self.zone_bases[hit.e164] = hit.zone_basis
            self._cache[raw] = hit
        if isinstance(hit, PhoneError):
            raise hit
        return hit

    def __len__(self) -> int:
        return len(self._cache)


@lru_cache(maxsize=65536)
def _us_state(e164: str) -> str:
    from phonenumbers import geocoder  # large data set: loaded only when a US state rule needs it

    text = geocoder.description_for_number(phonenumbers.parse(e164), "en")
    if ", " in text:
        return text.rsplit(", ", 1)[1]
    return US_STATES.get(text, "")
