"""Many numbers at once: the common forms described with vectorized pattern tests, the rest by `PhoneBook`.

`describe_many` gives, for each distinct raw number, what `campaigns.model.phones.describe` gives. It answers
by itself for "+<code><digits>" (and the default region's national form "0<digits>") when the country
code belongs to a single region and the time-zone table holds only the country code itself for it
(France: every number is Europe/Paris). The type tests are the region's own metadata patterns, run by
Arrow's RE2 over the whole array in the order of phonenumbers' `_number_type_helper`. Everything else
(several regions per code, zones by prefix, French overseas numbers written as metropolitan ones,
punctuation, numbers that are not valid) goes to `PhoneBook.lookup`, the reference path.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata, PhoneNumberType
from phonenumbers.tzdata import TIMEZONE_DATA  # what phonenumbers.timezone imports, with its stub

from campaigns.model.phones import (
    _KINDS,
    _SPECIAL_TYPES,
    FR_OVERSEAS_PREFIXES,
    ZONE_OVERRIDES,
    PhoneBook,
    PhoneError,
    PhoneInfo,
)

LONG_KEYS = 1 << 50
"""Keys from here on stand for E.164 texts that are not 1-15 plain digits (odd invalid numbers)."""

_CODES = pa.array(sorted(COUNTRY_CODE_TO_REGION_CODE), pa.int64())


@cache
def _zone_keys() -> tuple[str, ...]:
    return tuple(TIMEZONE_DATA)


@cache
def _country_zones(code: int) -> tuple[str, ...] | None:
    """Sorted zones of every valid number of `code` when the time-zone table has no prefix longer than
    the code for it (geographic and country-level lookups then agree), else None."""
    if code in ZONE_OVERRIDES:
        return tuple(sorted(ZONE_OVERRIDES[code]))
    text = str(code)
    if text not in TIMEZONE_DATA or any(k.startswith(text) and k != text for k in _zone_keys()):
        return None
    return tuple(sorted(z for z in TIMEZONE_DATA[text] if z != "Etc/Unknown"))


@cache
def _region_of_code(code: int) -> str | None:
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code)
    return regions[0] if regions and len(regions) == 1 and regions[0] != "001" else None


@cache
def _national_code(region: str) -> int | None:
    """Country code of `region` when its national form is a plain leading '0' that parse strips."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.country_code is None or metadata.national_prefix != "0" or \
            metadata.national_prefix_for_parsing != "0" or metadata.national_prefix_transform_rule or \
            metadata.leading_digits:
        return None
    code = int(metadata.country_code)
    return code if _region_of_code(code) == region else None


def _matches(nsn: pa.Array, lengths: np.ndarray, desc: Any) -> np.ndarray | None:
    """phonenumbers' _is_number_matching_desc over an array; None when the description is absent."""
    if desc is None:
        return None
    pattern = desc.national_number_pattern
    if not pattern:
        return np.zeros(len(nsn), bool)
    hit = pc.match_substring_regex(nsn, f"^(?:{pattern})$").to_numpy(zero_copy_only=False)
    possible = list(desc.possible_length)
    if possible:
        hit &= np.isin(lengths, possible)
    return hit


def number_types(nsn: pa.Array, metadata: PhoneMetadata) -> np.ndarray:
    """`campaigns.model.phones.number_type` of every national significant number of one region."""
    lengths = pc.utf8_length(nsn).to_numpy(zero_copy_only=False)
    out = np.full(len(nsn), PhoneNumberType.UNKNOWN, np.int64)
    general = _matches(nsn, lengths, metadata.general_desc)
    if general is None:
        return out
    open_ = general.copy()
    for name, kind in _SPECIAL_TYPES:
        hit = _matches(nsn, lengths, getattr(metadata, name))
        if hit is not None:
            out[open_ & hit] = kind
            open_ &= ~hit
    none = np.zeros(len(nsn), bool)
    fixed = _matches(nsn, lengths, metadata.fixed_line)
    mobile = _matches(nsn, lengths, metadata.mobile)
    fixed = none if fixed is None else fixed
    mobile = none if mobile is None else mobile
    if metadata.same_mobile_and_fixed_line_pattern:
        out[open_ & fixed] = PhoneNumberType.FIXED_LINE_OR_MOBILE
    else:
        out[open_ & fixed & mobile] = PhoneNumberType.FIXED_LINE_OR_MOBILE
        out[open_ & fixed & ~mobile] = PhoneNumberType.FIXED_LINE
        out[open_ & ~fixed & mobile] = PhoneNumberType.MOBILE
    return out


def _split(raws: pa.Array, default_region: str) -> tuple[np.ndarray, pa.Array]:
    """(country code, or 0 where the fast path does not read the raw; national significant number)."""
    n = len(raws)
    codes = np.zeros(n, np.int64)
    nsn = pa.nulls(n, pa.string())
    international = pc.match_substring_regex(raws, r"^\+[1-9][0-9]{6,14}$")
    found = np.zeros(n, bool)
    intl = international.to_numpy(zero_copy_only=False)
    known = _CODES.to_numpy()
    for length in (1, 2, 3):
        value = pc.cast(pc.if_else(international, pc.utf8_slice_codeunits(raws, 1, 1 + length), "0"),
                        pa.int64()).to_numpy(zero_copy_only=False)
        hit = intl & ~found & np.isin(value, known)
        codes[hit] = value[hit]
        nsn = pc.if_else(pa.array(hit), pc.utf8_slice_codeunits(raws, 1 + length, 64), nsn)
        found |= hit
    overseas = pa.array(list(FR_OVERSEAS_PREFIXES))
    rehomed = pc.and_(pc.starts_with(raws, "+33"), pc.is_in(pc.utf8_slice_codeunits(raws, 3, 6), overseas))
    codes[(codes == 33) & rehomed.to_numpy(zero_copy_only=False)] = 0
    national_code = _national_code(default_region)
    if national_code is not None:
        national = pc.match_substring_regex(raws, r"^0[1-9][0-9]{6,14}$")
        if default_region == "FR":
            national = pc.and_(national, pc.invert(pc.is_in(pc.utf8_slice_codeunits(raws, 1, 4), overseas)))
        mask = national.to_numpy(zero_copy_only=False)
        codes[mask] = national_code
        nsn = pc.if_else(national, pc.utf8_slice_codeunits(raws, 1, 64), nsn)
    codes[pc.fill_null(pc.starts_with(nsn, "0"), False).to_numpy(zero_copy_only=False)] = 0
    return codes, nsn


def plain_digits(raws: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Which raws are written "+<7-15 digits, no leading 0>", and those raws' digits as int64."""
    plain = pc.fill_null(pc.match_substring_regex(raws, r"^\+[1-9][0-9]{6,14}$"), False).to_numpy(
        zero_copy_only=False)
    digits = pc.cast(pc.utf8_slice_codeunits(raws.filter(pa.array(plain)), 1, 64), pa.int64()).to_numpy(
        zero_copy_only=False) if plain.any() else np.zeros(0, np.int64)
    return plain, digits


class NumberTable:
    """Distinct raw numbers seen so far -> E.164 as an integer key and a profile (country, zones, kind, valid).

    Keys are the E.164 digits as int64 (15 digits at most, never a leading zero), so numbers are
    grouped, joined and compared as integers; `e164(key)` gives the text back.
    `lookup` runs on the log reader's thread while the audit reads keys and profiles and adds the odd
    number (`key_of`, `profile_id`) on its own: those two take a lock; the rest only appends.
    """

    def __init__(self, phones: PhoneBook) -> None:
        self.phones = phones
        self.profiles: list[tuple[str, tuple[str, ...], str, bool]] = []
        self._profile_ids: dict[tuple[str, tuple[str, ...], str, bool], int] = {}
        self.errors: dict[str, PhoneError] = {}
        self._long: dict[str, int] = {}
        self._long_text: dict[int, str] = {}
        self._raws: list[pa.Array] = []
        self._keys: list[np.ndarray] = []
        self._profile_of: list[np.ndarray] = []
        self._index: dict[str, int] = {}  # raw text -> row of _known_keys / _known_profiles
        # raws written "+<digits>" (nearly all of a dialer's): their digits as int64, sorted, and their rows
        self._plain_digits = np.zeros(0, np.int64)
        self._plain_rows = np.zeros(0, np.int64)
        self._known_keys = np.zeros(0, np.int64)
        self._known_profiles = np.zeros(0, np.int32)
        self._lock = threading.Lock()

    def snapshot(self) -> list[tuple[str, tuple[str, ...], str, bool]]:
        """The profiles as they are now: the reader thread may add one while the caller goes through them
        (every profile id the caller holds is in the snapshot: it was added before the lookup returned)."""
        with self._lock:
            return list(self.profiles)

    def profile_id(self, profile: tuple[str, tuple[str, ...], str, bool]) -> int:
        hit = self._profile_ids.get(profile)
        if hit is None:
            with self._lock:
                hit = self._profile_ids.get(profile)
                if hit is None:
                    self.profiles.append(profile)
                    hit = self._profile_ids[profile] = len(self.profiles) - 1
        return hit

    def lookup(self, raws: pa.Array, split: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
        """(key, profile id) of every distinct raw in `raws`; key -1 where the raw is not a number
        (its PhoneError is in `errors`). Raws seen before are found again by their digits (sorted int64,
        for "+<digits>") or their text (the rest), and only new ones are described. `split`:
        plain_digits(raws), when it was computed already (the block reader does, on its thread)."""
        n = len(raws)
        plain, digits = split if split is not None else plain_digits(raws)
        plain_at = np.flatnonzero(plain)
        where = np.full(n, -1, np.int64)
        if len(self._plain_digits) and plain_at.size:
            at = np.minimum(np.searchsorted(self._plain_digits, digits), len(self._plain_digits) - 1)
            hit = self._plain_digits[at] == digits
            where[plain_at[hit]] = self._plain_rows[at[hit]]
        other = np.flatnonzero(~plain)
        texts = raws.take(pa.array(other)).to_pylist() if other.size else []
        if other.size:
            index = self._index
            where[other] = [index.get(raw, -1) for raw in texts]
        missing = np.flatnonzero(where < 0)
        if missing.size:
            start = len(self._known_keys)
            new_keys, new_profiles = self._describe(raws.take(pa.array(missing)))
            self._known_keys = np.concatenate([self._known_keys, new_keys])
            self._known_profiles = np.concatenate([self._known_profiles, new_profiles])
            rows = np.arange(start, start + len(missing))
            where[missing] = rows
            new_plain = plain[missing]
            if new_plain.any():
                position = np.searchsorted(plain_at, missing[new_plain])  # their place among the plain raws
                merged = np.concatenate([self._plain_digits, digits[position]])
                order = np.argsort(merged, kind="stable")
                self._plain_digits = merged[order]
                self._plain_rows = np.concatenate([self._plain_rows, rows[new_plain]])[order]
            other_missing = missing[~new_plain]
            if other_missing.size:
                text_of = dict(zip(other.tolist(), texts, strict=True))
                self._index.update(zip((text_of[i] for i in other_missing.tolist()), rows[~new_plain].tolist(),
                                       strict=True))
        return self._known_keys[where], self._known_profiles[where]

    def _describe(self, raws: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        n = len(raws)
        keys = np.full(n, -2, np.int64)
        profiles = np.zeros(n, np.int32)
        codes, nsn = _split(raws, self.phones.default_region)
        for code in np.unique(codes).tolist():
            region = _region_of_code(code) if code else None
            zones = _country_zones(code) if region else None
            if not region or zones is None:
                continue
            metadata = PhoneMetadata.metadata_for_region(region)
            if metadata is None:
                continue
            index = np.flatnonzero(codes == code)
            group = nsn.take(pa.array(index))
            kinds = number_types(group, metadata)
            valid = kinds != PhoneNumberType.UNKNOWN  # invalid numbers: the reference path says what they are
            digits = pc.cast(pc.binary_join_element_wise(str(code), group, ""), pa.int64()).to_numpy(
                zero_copy_only=False)
            valid &= digits < LONG_KEYS
            keys[index[valid]] = digits[valid]
            for kind in np.unique(kinds[valid]).tolist():
                profiles[index[valid & (kinds == kind)]] = self.profile_id((region, zones, _KINDS.get(kind, "unknown"),
                                                                            True))
        for i in np.flatnonzero(keys == -2).tolist():
            raw = raws[i].as_py()
            try:
                info = self.phones.lookup(raw)
            except PhoneError as error:
                keys[i] = -1
                self.errors[raw] = error
            else:
                keys[i] = self.key_of(info.e164)
                profiles[i] = self.profile_id((info.country, info.zones, info.kind, info.valid))
        return keys, profiles

    def key_of(self, e164: str) -> int:
        """Integer key of an E.164 text (numbers too long for int64 get a key of their own)."""
        digits = e164[1:]
        if digits.isdigit() and len(digits) <= 15 and not digits.startswith("0"):
            return int(digits)
        hit = self._long.get(e164)
        if hit is None:
            with self._lock:
                hit = self._long.get(e164)
                if hit is None:
                    hit = LONG_KEYS + len(self._long)
                    self._long_text[hit] = e164
                    self._long[e164] = hit
        return hit

    def texts(self, keys: np.ndarray) -> list[str]:
        """`e164` of many keys."""
        if not len(keys) or keys.max() < LONG_KEYS:
            return [f"+{k}" for k in keys.tolist()]
        return [self.e164(k) for k in keys.tolist()]

    def e164(self, key: int) -> str:
        return self._long_text[key] if key >= LONG_KEYS else f"+{key}"

    def info(self, key: int, profile: int) -> PhoneInfo:
        """PhoneInfo of a number (built only for the numbers a violation names)."""
        country, zones, kind, valid = self.profiles[profile]
        e164 = self.e164(key)
        return PhoneInfo(e164=e164, country=country, zones=zones, kind=kind, valid=valid,
                         zone_basis=self.phones.zone_bases.get(e164, "number"))
