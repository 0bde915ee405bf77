"""The callee's wall clock: UTC epoch -> local day, minute and weekday in an IANA zone.

Offsets come from `zoneinfo` (never fixed offsets, so DST days are right) and are cached per
zone and quarter hour of UTC: every real transition falls on a quarter hour, and a million
rows then cost one dict lookup each instead of a `datetime.astimezone`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import numpy as np

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_offsets: dict[tuple[str, int], int] = {}
_new = tuple.__new__  # builds NamedTuples in C, skipping their Python-level __new__ on hot paths


class Local(NamedTuple):
    """A moment in one zone. day: days since 1970-01-01 (local); minute: of the local day;
    weekday: 0 = Monday; offset: seconds east of UTC."""

    zone: str
    day: int
    minute: int
    weekday: int
    offset: int


@cache
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def utc_offset(zone: str, ts: float) -> int:
    """Seconds east of UTC in `zone` at epoch `ts`."""
    key = (zone, int(ts // 900))
    offset = _offsets.get(key)
    if offset is None:
        moment = datetime.fromtimestamp(key[1] * 900, UTC).astimezone(zone_info(zone))
        delta = moment.utcoffset()
        assert delta is not None  # astimezone made it aware
        offset = int(delta.total_seconds())
        _offsets[key] = offset
    return offset


def local(zone: str, ts: float) -> Local:
    offset = utc_offset(zone, ts)
    seconds = int(ts) + offset
    day, second_of_day = divmod(seconds, 86400)
    return _new(Local, (zone, day, second_of_day // 60, (day + 3) % 7, offset))


def day_to_date(day: int) -> date:
    return date.fromordinal(day + EPOCH_ORDINAL)


def date_to_day(value: date) -> int:
    return value.toordinal() - EPOCH_ORDINAL


FAST_FROM = 631152000  # 1990-01-01: from here on every offset change of tzdata falls on a quarter hour
FAST_UNTIL = 4102444800  # 2100-01-01
_dates: dict[int, str] = {}


def wall_text(seconds: int) -> str:
    """'YYYY-MM-DDTHH:MM:SS' of whole epoch-like `seconds` (dates cached per day: evidence of a
    million-row audit formats a few hundred thousand times, over a few dozen days)."""
    day, second = divmod(seconds, 86400)
    text = _dates.get(day)
    if text is None:
        text = _dates[day] = day_to_date(day).isoformat()
    hours, rest = divmod(second, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{text}T{hours:02d}:{minutes:02d}:{secs:02d}"


TEXT_CACHE = 100_000
"""Texts kept per moment: evidence names the same earlier attempts again and again (a person's fifth
call lists the four before it), so each moment is formatted about once; the caches are emptied when full."""
_utc_texts: dict[float, str] = {}
_local_texts: dict[tuple[str, float], str] = {}


def remember_texts(utc: dict[float, str], local: dict[tuple[str, float], str]) -> None:
    """Add texts formatted elsewhere (the columnar engine formats a block's moments at once, and a test
    checks its texts against these functions) to the caches below."""
    if len(_utc_texts) + len(utc) > TEXT_CACHE:
        _utc_texts.clear()
    _utc_texts.update(utc)
    if len(_local_texts) + len(local) > TEXT_CACHE:
        _local_texts.clear()
    _local_texts.update(local)


def local_iso(zone: str, ts: float) -> str:
    """ISO 8601 local time with its offset, for evidence. Whole seconds between 1990 and 2100 are
    formatted from the cached offset (the one every rule uses); the rest go through zoneinfo."""
    key = (zone, ts)
    hit = _local_texts.get(key)
    if hit is None:
        if len(_local_texts) >= TEXT_CACHE:
            _local_texts.clear()
        hit = _local_texts[key] = _local_iso(zone, ts)
    return hit


def _local_iso(zone: str, ts: float) -> str:
    whole = int(ts)
    if whole == ts and FAST_FROM <= whole < FAST_UNTIL:
        offset = utc_offset(zone, whole)
        if offset % 60 == 0:
            sign = "-" if offset < 0 else "+"
            hours, minutes = divmod(abs(offset) // 60, 60)
            return f"{wall_text(whole + offset)}{sign}{hours:02d}:{minutes:02d}"
    return local_iso_reference(zone, ts)


def local_iso_reference(zone: str, ts: float) -> str:
    """The zoneinfo path `local_iso` must agree with (tests compare them)."""
    return datetime.fromtimestamp(ts, zone_info(zone)).isoformat(timespec="seconds")


def utc_iso(ts: float) -> str:
    """ISO 8601 UTC with 'Z'; whole seconds after 1970 skip datetime."""
    hit = _utc_texts.get(ts)
    if hit is None:
        whole = int(ts)
        hit = wall_text(whole) + "Z" if whole == ts and 0 <= whole < FAST_UNTIL else utc_iso_reference(ts)
        if len(_utc_texts) >= TEXT_CACHE:
            _utc_texts.clear()
        _utc_texts[ts] = hit
    return hit


def utc_iso_reference(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def wall_texts(seconds: np.ndarray, tail: np.ndarray | None = None) -> list[str]:
    """'YYYY-MM-DDTHH:MM:SS' of whole epoch-like seconds (years 1000-9999), what localtime's wall_text
    writes, for a whole array at once (a test compares them); `tail`: ASCII bytes to append, a row each."""
    import numpy as np  # not at module level: the guard and the row engine never load numpy
    seconds = seconds.astype(np.int64)
    days = np.floor_divide(seconds, 86400)
    second = seconds - days * 86400
    z = days + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    hour, rest = np.divmod(second, 3600)
    minute, sec = np.divmod(rest, 60)
    size = 19 + (0 if tail is None else tail.shape[1])
    out = np.full((len(seconds), size), ord("-"), np.uint8)
    if tail is not None:
        out[:, 19:] = tail
    for at, value, width in ((0, year, 4), (5, month, 2), (8, day, 2), (11, hour, 2), (14, minute, 2), (17, sec, 2)):
        for k in range(width):
            out[:, at + width - 1 - k] = 48 + (value // 10 ** k) % 10
    out[:, 10] = ord("T")
    out[:, 13] = out[:, 16] = ord(":")
    return out.view(f"S{size}").ravel().astype(f"U{size}").tolist()


def offset_tails(offsets: np.ndarray) -> np.ndarray:
    """'+HH:MM' / '-HH:MM' of UTC offsets in seconds, as a (rows, 6) byte matrix for `wall_texts`."""
    import numpy as np

    minutes = np.abs(offsets.astype(np.int64)) // 60
    out = np.empty((len(offsets), 6), np.uint8)
    out[:, 0] = np.where(offsets < 0, ord("-"), ord("+"))
    for at, value in ((1, minutes // 60), (4, minutes % 60)):
        out[:, at] = 48 + value // 10 % 10
        out[:, at + 1] = 48 + value % 10
    out[:, 3] = ord(":")
    return out


def utc_tails(count: int) -> np.ndarray:
    """'Z' for `count` rows, as a byte matrix for `wall_texts`."""
    import numpy as np

    return np.full((count, 1), ord("Z"), np.uint8)


def utc_isos(ts: np.ndarray | list[float]) -> list[str]:
    """`utc_iso` of many moments: whole seconds after 1970 formatted at once (`wall_texts`)."""
    import numpy as np
    ts = np.asarray(ts, np.float64)
    whole = (ts == np.trunc(ts)) & (ts >= 0) & (ts < FAST_UNTIL)
    texts = wall_texts(np.where(whole, ts, 0), utc_tails(len(ts)))
    for k in np.flatnonzero(~whole).tolist():
        texts[k] = utc_iso(float(ts[k]))
    return texts


def local_isos(zones: list[str], ts: np.ndarray) -> list[str]:
    """`local_iso` of many (zone, moment) pairs: whole seconds between FAST_FROM and FAST_UNTIL in a
    whole-minute offset are written at once (`wall_texts`), the others one at a time."""
    import numpy as np
    ts = np.asarray(ts, np.float64)
    offsets = np.array([utc_offset(zone, moment) for zone, moment in zip(zones, ts.tolist(), strict=True)], np.int64)
    fast = (ts == np.trunc(ts)) & (ts >= FAST_FROM) & (ts < FAST_UNTIL) & (offsets % 60 == 0)
    texts = wall_texts(np.where(fast, ts, 0).astype(np.int64) + offsets, offset_tails(offsets))
    for k in np.flatnonzero(~fast).tolist():
        texts[k] = local_iso(zones[k], float(ts[k]))
    return texts


@lru_cache(maxsize=1 << 16)
def wall_to_utc(zone: str, day: int, minute: int) -> float:
    """Epoch of local wall-clock `minute` on local `day`; a time skipped by DST maps past the gap."""
    start = datetime.combine(day_to_date(day), datetime.min.time()) + timedelta(minutes=minute)
    aware = start.replace(tzinfo=zone_info(zone))
    ts = aware.timestamp()
    # In a spring-forward gap zoneinfo uses the earlier offset, which lands after the gap: that is
    # the first real instant at or after the wall time, which is what "next allowed" needs.
    return ts


def parse_hhmm(text: str) -> int:
    """'10:00' -> 600; '24:00' allowed as the end of a day."""
    hours, _, minutes = text.strip().partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= value <= 1440:
        raise ValueError(f"expected HH:MM between 00:00 and 24:00, got {text!r}")
    return value


def parse_windows(items: list[str]) -> tuple[tuple[int, int], ...]:
    """['10:00-13:00', '14:00-20:00'] -> ((600, 780), (840, 1200)); start inclusive, end exclusive."""
    windows = []
    for item in items:
        start, _, end = str(item).partition("-")
        if not end:
            raise ValueError(f"expected HH:MM-HH:MM, got {item!r}")
        windows.append((parse_hhmm(start), parse_hhmm(end)))
    return tuple(windows)
