"""One row converter per dialer log format: fields -> Attempt, or RowError(field, reason).

Formats (reference section 8): `generic` (documented CSV with header), `vicidial` (vicidial_log
export with header), `asterisk` (cdr-csv Master.csv, no header), `freeswitch` (mod_cdr_csv
"example" template, no header). `detect` picks one from the first line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from campaigns.ingest.times import TimeError, to_epoch
from campaigns.model.phones import PhoneBook, PhoneError
from campaigns.model.records import DIAL_MODES, PURPOSES, Attempt, CampaignInfo
from mystery_core.validate import Invalid, number

GENERIC_REQUIRED = ("call_id", "start", "callee", "caller_id", "campaign", "purpose", "disposition",
                    "duration_s", "agent")
GENERIC_OPTIONAL = ("principal", "dial_mode", "ring_s", "talk_s", "region", "attempt_id", "lead")
VICIDIAL_COLUMNS = ("uniqueid", "lead_id", "list_id", "campaign_id", "call_date", "start_epoch", "end_epoch",
                    "length_in_sec", "status", "phone_code", "phone_number", "user", "comments", "processed",
                    "user_group", "term_reason", "alt_dial")
ASTERISK_COLUMNS = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
                    "start", "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid",
                    "userfield", "peeraccount", "linkedid", "sequence")
"""cdr_csv's columns: 16 always, then uniqueid and userfield (each unless turned off in cdr_csv.conf), then
peeraccount, linkedid and sequence with `newcdrcolumns`: 16 to 21 fields (15 read too, without amaflags)."""
ASTERISK_WIDTHS = range(15, 22)
FREESWITCH_COLUMNS = ("caller_id_name", "caller_id_number", "destination_number", "context", "start_stamp",
                      "answer_stamp", "end_stamp", "duration", "billsec", "hangup_cause", "uuid", "bleg_uuid",
                      "accountcode", "read_codec", "write_codec")
FORMATS = ("generic", "vicidial", "asterisk", "freeswitch")
NEEDS_SOURCE_TZ = {"asterisk", "freeswitch"}


class RowError(ValueError):
    """A row that cannot become an attempt."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


Convert = Callable[[int, list[str]], Attempt]
_new = tuple.__new__  # C-level NamedTuple construction for the per-row Attempt


ASSUMED_PRINCIPAL = "(one principal assumed)"
"""The principal of a row whose principal is known neither from the log nor from the campaigns registry: every
such campaign of the log counts as one principal (the most restrictive reading of per-principal limits such as
D223-9's four attempts in 30 days); findings say `principal_basis: assumed_single` and the summary warns."""


@dataclass(frozen=True, slots=True)
class Context:
    """What every converter needs: file name, zone for naive times, numbers, registry, code map;
    assumed: campaigns given ASSUMED_PRINCIPAL (filled while reading, by either engine)."""

    source: str
    zone: ZoneInfo | None
    phones: PhoneBook
    registry: Mapping[str, CampaignInfo]
    mapping: Mapping[str, str]
    format: str
    assumed: set[str] = field(default_factory=set)


def detect(first_fields: list[str]) -> str | None:
    """Guess the format from the first row; None if unknown."""
    lowered = [f.strip().lower() for f in first_fields]
    if tuple(lowered[:len(GENERIC_REQUIRED)]) == GENERIC_REQUIRED:
        return "generic"
    if "phone_number" in lowered and "status" in lowered:
        return "vicidial"
    if len(first_fields) in ASTERISK_WIDTHS and _looks_like_time(first_fields[9]):
        return "asterisk"
    if len(first_fields) >= 12 and _looks_like_time(first_fields[4]):
        return "freeswitch"
    return None


def _looks_like_time(text: str) -> bool:
    return len(text) >= 19 and text[4] == "-" and text[7] == "-" and text[13] == ":"


def _number(text: str, field: str) -> float | None:
    """A log's number of seconds through the house's one number parser (no NaN, no infinity); "" is absent."""
    if text == "":
        return None
    try:
        return number(text, "a number of seconds", minimum=0, text=True, out_of_range="a non-negative number")
    except Invalid as error:
        raise RowError(field, error.problem) from None


def _time(text: str, field: str, zone: ZoneInfo | None) -> float:
    try:
        return to_epoch(text, zone)
    except TimeError as error:
        raise RowError(field, str(error)) from None


def _phone(phones: PhoneBook, text: str, field: str) -> str:
    if not text.strip():
        raise RowError(field, "empty phone number")
    try:
        return phones.lookup(text).e164
    except PhoneError as error:
        raise RowError(field, str(error)) from None


def _disposition(ctx: Context, code: str, field: str) -> str:
    mapped = ctx.mapping.get(code)
    if mapped is None:
        raise RowError(field, f"unmapped {ctx.format} disposition code {code!r} (add `{code},<disposition>` to "
                              "a --dispositions file; codes are never guessed)")
    return mapped


def _campaign(ctx: Context, campaign: str, principal: str, purpose: str) -> tuple[str, str]:
    info = ctx.registry.get(campaign)
    principal = principal or (info.principal if info else "")
    if not principal:
        ctx.assumed.add(campaign)
        principal = ASSUMED_PRINCIPAL
    purpose = purpose or (info.purpose if info else "") or "unknown"
    return principal, purpose


def generic(header: list[str], ctx: Context) -> tuple[Convert, list[str]]:
    """Converter for the documented CSV; returns it and the header columns it ignores."""
    names = [h.strip().lower() for h in header]
    width = len(names)
    optional = {name: names.index(name) for name in GENERIC_OPTIONAL if name in names}
    ignored = [n for n in names[len(GENERIC_REQUIRED):] if n not in GENERIC_OPTIONAL]
    i_principal = optional.get("principal", -1)
    i_mode = optional.get("dial_mode", -1)
    i_ring = optional.get("ring_s", -1)
    i_talk = optional.get("talk_s", -1)
    i_region = optional.get("region", -1)
    i_lead = optional.get("lead", -1)
    zone, phones, mapping, registry = ctx.zone, ctx.phones, ctx.mapping, ctx.registry
    source = ctx.source
    purposes = frozenset(PURPOSES)
    modes = frozenset(DIAL_MODES)

    lookup = phones.lookup
    fromiso = datetime.fromisoformat
    assume = ctx.assumed.add

    def convert(line: int, f: list[str]) -> Attempt:
        # The hot path of a million-row audit: helpers are inlined on the common (valid) path.
        if len(f) != width:
            if len(f) < width:
                raise RowError("row", f"expected {width} fields, got {len(f)} (truncated line?)")
            raise RowError("row", f"expected {width} fields, got {len(f)} (unquoted comma?)")
        call_id = f[0]
        if not call_id:
            raise RowError("call_id", "empty")
        try:
            moment = fromiso(f[1])
        except ValueError:
            moment = None
        # naive times and bad ones take the shared path (source zone, error messages)
        ts = moment.timestamp() if moment is not None and moment.tzinfo is not None else _time(f[1], "start", zone)
        raw = f[2]
        try:
            phone = lookup(raw).e164
        except PhoneError as error:
            raise RowError("callee", str(error)) from None
        purpose = f[5]
        if purpose not in purposes:
            raise RowError("purpose", f"expected one of {', '.join(PURPOSES)}, got {purpose!r}")
        code = f[6]
        disposition = mapping.get(code)
        if disposition is None:
            raise RowError("disposition", f"unknown disposition {code!r}; expected one of "
                                          f"{', '.join(sorted(set(mapping.values())))} or a code from --dispositions")
        campaign = f[4]
        principal = f[i_principal] if i_principal >= 0 else ""
        if not principal:
            info = registry.get(campaign)
            if info and info.principal:
                principal = info.principal
            else:
                assume(campaign)
                principal = ASSUMED_PRINCIPAL
        mode = f[i_mode] if i_mode >= 0 else ""
        if mode and mode not in modes:
            raise RowError("dial_mode", f"expected one of {', '.join(DIAL_MODES)}, got {mode!r}")
        text = f[7]
        if not text:
            duration = None
        elif text.isdigit():
            duration = float(text)
        else:
            duration = _number(text, "duration_s")
        return _new(Attempt, (call_id, source, line, ts, phone, raw, f[3], campaign, principal,
                              purpose, disposition, code, duration,
                              _number(f[i_ring], "ring_s") if i_ring >= 0 else None,
                              _number(f[i_talk], "talk_s") if i_talk >= 0 else None, mode, f[8],
                              f[i_region] if i_region >= 0 else "", f[i_lead] if i_lead >= 0 else ""))

    return convert, ignored


def vicidial(header: list[str], ctx: Context) -> tuple[Convert, list[str]]:
    names = [h.strip().lower() for h in header]
    col = {name: i for i, name in enumerate(names)}
    if "start_epoch" not in col and "call_date" not in col:
        raise RowError("header", "a vicidial export needs start_epoch or call_date")
    if "start_epoch" not in col and ctx.zone is None:
        raise RowError("header", "call_date is server local time with no offset and there is no start_epoch "
                                 "column; pass --source-tz ZONE")
    ignored = [n for n in names if n not in VICIDIAL_COLUMNS]

    def get(f: list[str], name: str) -> str:
        i = col.get(name, -1)
        return f[i].strip() if 0 <= i < len(f) else ""

    def convert(line: int, f: list[str]) -> Attempt:
        if len(f) != len(names):
            raise RowError("row", f"expected {len(names)} fields, got {len(f)} (truncated line?)")
        epoch = get(f, "start_epoch")
        if epoch:
            try:
                ts = float(epoch)
            except ValueError:
                raise RowError("start_epoch", f"expected epoch seconds, got {epoch!r}") from None
        else:
            ts = _time(get(f, "call_date"), "call_date", ctx.zone)
        number, code = get(f, "phone_number"), get(f, "phone_code")
        raw = f"+{code}{number.lstrip('0')}" if code and not number.startswith("+") else number
        phone = _phone(ctx.phones, raw, "phone_number")
        status = get(f, "status")
        disposition = _disposition(ctx, status, "status")
        campaign = get(f, "campaign_id")
        principal, purpose = _campaign(ctx, campaign, "", "")
        call_id = get(f, "uniqueid") or f"{ctx.source}:{line}"
        return Attempt(call_id, ctx.source, line, ts, phone, number, "", campaign, principal, purpose, disposition,
                       status, _number(get(f, "length_in_sec"), "length_in_sec"), None, None, "", get(f, "user"), "",
                       get(f, "lead_id"))

    return convert, ignored


def asterisk_call_id(f: list[str]) -> str:
    """The record's uniqueid (field 17 when it has the uniqueid's `[system-]epoch.sequence` shape: with
    `loguniqueid = no` that field is the userfield), with `/sequence` when `newcdrcolumns` wrote one
    (the legs of a forked Dial share a uniqueid; each leg is a record of its own); "" if none."""
    if len(f) <= 16 or not _UNIQUEID.search(f[16]):
        return ""
    return f"{f[16]}/{f[20]}" if len(f) == 21 and f[20] else f[16]


UNIQUEID_PATTERN = r"^(.*-)?[0-9]+\.[0-9]+$"
"""An Asterisk uniqueid: `[system name-]epoch.sequence`."""
_UNIQUEID = re.compile(UNIQUEID_PATTERN)


def asterisk(ctx: Context) -> Convert:
    def convert(line: int, f: list[str]) -> Attempt:
        if len(f) not in ASTERISK_WIDTHS:
            raise RowError("row", f"expected 15 to 21 Master.csv fields, got {len(f)} (truncated line?)")
        callee = f[2]
        if not callee or not any(ch.isdigit() for ch in callee):
            # originate-based dialers leave dst empty: the number is the last part of Dial(...)'s argument
            callee = f[8].split(",")[0].rsplit("/", 1)[-1]
        phone = _phone(ctx.phones, callee, "dst")
        ts = _time(f[9], "start", ctx.zone)
        disposition = _disposition(ctx, f[14].strip(), "disposition")
        duration = _number(f[12], "duration")
        billsec = _number(f[13], "billsec")
        ring = duration - billsec if duration is not None and billsec is not None else None
        campaign = f[0]
        principal, purpose = _campaign(ctx, campaign, "", "")
        call_id = asterisk_call_id(f) or f"{ctx.source}:{line}"
        return Attempt(call_id, ctx.source, line, ts, phone, callee, f[1], campaign, principal, purpose, disposition,
                       f[14], duration, ring, billsec, "", "", "", "")

    return convert


def freeswitch(ctx: Context) -> Convert:
    def convert(line: int, f: list[str]) -> Attempt:
        if len(f) < 13:
            raise RowError("row", f"expected 15 mod_cdr_csv fields, got {len(f)} (truncated line?)")
        phone = _phone(ctx.phones, f[2], "destination_number")
        ts = _time(f[4], "start_stamp", ctx.zone)
        cause = f[9].strip()
        if cause == "NORMAL_CLEARING" and cause not in ctx.mapping:
            disposition = "answered" if f[5].strip() else "no_answer"
        else:
            disposition = _disposition(ctx, cause, "hangup_cause")
        duration = _number(f[7], "duration")
        billsec = _number(f[8], "billsec")
        ring = duration - billsec if duration is not None and billsec is not None else None
        campaign = f[12]
        principal, purpose = _campaign(ctx, campaign, "", "")
        return Attempt(f[10] or f"{ctx.source}:{line}", ctx.source, line, ts, phone, f[2], f[1], campaign, principal,
                       purpose, disposition, cause, duration, ring, billsec, "", "", "", "")

    return convert
