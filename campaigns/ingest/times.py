"""Timestamps from logs -> UTC epoch seconds. A time without offset needs the log's zone (--source-tz)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mystery_core.errors import InputError


class TimeError(ValueError):
    """A timestamp that cannot be read."""


def source_zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("--source-tz", None, f"unknown time zone {name!r} (use an IANA name such as "
                                              "Europe/Paris)") from None


def to_epoch(text: str, zone: ZoneInfo | None) -> float:
    """ISO 8601 (with 'T' or a space) -> epoch; naive times are read in `zone`."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TimeError(f"not an ISO 8601 date-time: {text!r}") from None
    if moment.tzinfo is None:
        if zone is None:
            raise TimeError(f"{text!r} has no UTC offset; pass --source-tz ZONE")
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


def to_datetime(text: str, zone: ZoneInfo | None = None) -> datetime:
    """Date or date-time for list and consent files; a bare date is midnight in `zone` (UTC if none)."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TimeError(f"not an ISO 8601 date: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or UTC)
    return moment
