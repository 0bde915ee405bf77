"""The callee's clock for a judged block: each row's zones and its local day, minute, weekday and offset in
each, and the evidence texts of those moments formatted at once."""

from __future__ import annotations

from typing import Any

import numpy as np

from campaigns.engines.columnar.columns import Names, Rows
from campaigns.model.localtime import FAST_FROM, FAST_UNTIL, remember_texts, utc_offset, wall_texts

DAY = 86400.0


def local_clocks(rows: Rows, names: Names) -> dict[str, Any]:
    """Zones of each row and its local clock in each (day, minute, weekday, offset per zone slot), and its
    `call_day` (the local day in the first zone, the UTC day without one)."""
    profiles = names.numbers.snapshot()
    width = max([len(p[1]) for p in profiles] or [0])
    zone_of_profile = np.full((max(len(profiles), 1), max(width, 1)), -1, np.int32)
    for i, (_, zones, _, _) in enumerate(profiles):
        for s, zone in enumerate(zones):
            zone_of_profile[i, s] = names.zones.id(zone)
    zone = zone_of_profile[rows.profile]
    ts = rows.ts
    whole = np.trunc(ts).astype(np.int64)
    quarter = np.floor_divide(ts, 900).astype(np.int64)
    offset = np.zeros(zone.shape, np.int64)
    for s in range(zone.shape[1]):
        present = (np.flatnonzero(np.bincount(zone[:, s] + 1)) - 1).tolist()  # zone ids are small
        for z in present:
            if z < 0:
                continue
            rows_z = np.arange(len(zone)) if len(present) == 1 else np.flatnonzero(zone[:, s] == z)
            name = names.zones.names[z]
            their = quarter[rows_z]
            low, high = int(their.min()), int(their.max())
            if high - low < 4 * len(their) + 1000:  # a block spans a few days: a table over that span
                table = np.array([utc_offset(name, q * 900.0) for q in range(low, high + 1)], np.int64)
                offset[rows_z, s] = table[their - low]
            else:
                quarters, inverse = np.unique(their, return_inverse=True)
                table = np.array([utc_offset(name, q * 900.0) for q in quarters.tolist()], np.int64)
                offset[rows_z, s] = table[inverse.reshape(-1)]
    seconds = whole[:, None] + offset
    day = np.floor_divide(seconds, 86400)
    minute = (seconds - day * 86400) // 60
    weekday = (day + 3) % 7
    has = zone >= 0
    call_day = np.where(has[:, 0], day[:, 0], np.floor_divide(ts, DAY).astype(np.int64))
    return {"zone": zone, "has": has, "day": day, "minute": minute, "weekday": weekday, "offset": offset,
            "call_day": call_day}


def format_times(rows: Rows, local: dict[str, Any], which: np.ndarray, pasts_ts: np.ndarray | None,
                 names: Names) -> None:
    """Format at once the moments the evidence of these rows names (their start in UTC and in each zone,
    the earlier attempts in their histories, `pasts_ts`) into localtime's text caches."""
    moments = [rows.ts[which]]
    if pasts_ts is not None:
        moments.append(pasts_ts)
    utc = np.unique(np.concatenate(moments))
    whole = utc[(utc == np.trunc(utc)) & (utc >= 0) & (utc < FAST_UNTIL)]
    utc_texts = {t: text + "Z" for t, text in zip(whole.tolist(), wall_texts(whole), strict=True)}
    local_texts: dict[tuple[str, float], str] = {}
    ts = rows.ts[which]
    for s in range(local["zone"].shape[1]):
        zone = local["zone"][which, s]
        offset = local["offset"][which, s]
        ok = (zone >= 0) & (ts == np.trunc(ts)) & (ts >= FAST_FROM) & (ts < FAST_UNTIL) & (offset % 60 == 0)
        if not ok.any():
            continue
        wall = wall_texts(ts[ok].astype(np.int64) + offset[ok])
        minutes = np.abs(offset[ok]) // 60
        zone_names = names.zones.names
        for z, t, text, off, m in zip(zone[ok].tolist(), ts[ok].tolist(), wall, offset[ok].tolist(),
                                      minutes.tolist(), strict=True):
            local_texts[(zone_names[z], t)] = f"{text}{'-' if off < 0 else '+'}{m // 60:02d}:{m % 60:02d}"
    remember_texts(utc_texts, local_texts)
