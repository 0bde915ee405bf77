"""Dialer outcome codes -> normalized dispositions.

Only each dialer's documented system codes are mapped here; campaign-specific codes come from a
mapping file (`--dispositions FILE`, CSV `code,disposition`). An unmapped code is reported on its
row, never guessed.
"""

from __future__ import annotations

from pathlib import Path

from campaigns.ingest.text import CsvRows
from campaigns.model.records import DISPOSITIONS
from mystery_core.errors import InputError

GENERIC = {d: d for d in DISPOSITIONS}

VICIDIAL = {
    # vicidial_log.status system statuses (reference section 8)
    "NA": "no_answer", "N": "no_answer", "B": "busy", "AB": "busy", "DC": "failed", "ADC": "failed",
    "DROP": "abandoned", "PDROP": "abandoned", "AA": "voicemail", "AM": "voicemail", "AL": "voicemail",
    "AFAX": "failed", "NI": "refused", "DNC": "opt_out", "DNCL": "opt_out", "SALE": "answered",
    "CALLBK": "answered", "CBHOLD": "answered", "XFER": "answered", "A": "answered", "NP": "answered",
    "PU": "answered", "PM": "voicemail", "INCALL": "answered",
}

ASTERISK = {"ANSWERED": "answered", "NO ANSWER": "no_answer", "BUSY": "busy", "FAILED": "failed",
            "CONGESTION": "failed"}

FREESWITCH = {
    # Q.850 hangup causes; NORMAL_CLEARING is split on answer_stamp by the parser.
    "NO_ANSWER": "no_answer", "NO_USER_RESPONSE": "no_answer", "ORIGINATOR_CANCEL": "no_answer",
    "USER_BUSY": "busy", "UNALLOCATED_NUMBER": "failed", "NO_ROUTE_DESTINATION": "failed",
    "NORMAL_TEMPORARY_FAILURE": "failed", "RECOVERY_ON_TIMER_EXPIRE": "failed", "INVALID_NUMBER_FORMAT": "failed",
    "NETWORK_OUT_OF_ORDER": "failed", "DESTINATION_OUT_OF_ORDER": "failed", "SUBSCRIBER_ABSENT": "failed",
}

BUILT_IN = {"generic": GENERIC, "vicidial": VICIDIAL, "asterisk": ASTERISK, "freeswitch": FREESWITCH}


def load_mapping(path: Path) -> dict[str, str]:
    """CSV `code,disposition`; a bad row is an input error (the mapping must be exact)."""
    mapping: dict[str, str] = {}
    rows = iter(CsvRows(path))
    for line, fields, problem in rows:
        if problem:
            raise InputError(f"{path}:{line}", None, problem)
        if line == 1 and [f.strip().lower() for f in fields[:2]] == ["code", "disposition"]:
            continue
        if not fields or not "".join(fields).strip():
            continue
        if len(fields) < 2:
            raise InputError(f"{path}:{line}", "disposition", "expected `code,disposition`")
        code, disposition = fields[0].strip(), fields[1].strip()
        if disposition not in DISPOSITIONS:
            raise InputError(f"{path}:{line}", "disposition",
                             f"expected one of {', '.join(DISPOSITIONS)}, got {disposition!r}")
        mapping[code] = disposition
    return mapping
