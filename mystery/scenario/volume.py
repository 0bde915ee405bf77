"""The call-volume table by hour of week: one format for the planner and the lost-revenue model.

The revenue model re-weights the mystery calls with the share of real calls in each hour of the
week (`revenue.hourly_profile`); a schedule with `distribution: volume` samples the calls with
the same table, so the sample already looks like the traffic it is weighed against. The table
lives here, below both (the scenario is the first stage of the pipeline), so the two read it the
same way: 168 non-negative numbers, Monday 00:00 local time first, scaled to shares summing to 1.
"""

from __future__ import annotations

import math
from typing import Any

from mystery_core.validate import Invalid, number, under

HOURS_PER_WEEK = 168


def default_hotel_profile() -> tuple[float, ...]:
    """Share of real booking calls per hour of week (Monday 00:00 local time = index 0).

    Office-hours weighted: peaks late morning and mid-afternoon, a lunch dip, quiet nights,
    weekends at 60 % (Saturday) and 50 % (Sunday) of a weekday. Replace it with the client's
    PBX hourly statistics when they exist.
    """
    by_hour = [0.2] * 7 + [0.6, 1.5, 2.5, 2.5, 2.5, 1.8, 1.8, 2.4, 2.4, 2.4, 2.4, 1.5, 1.5, 0.8, 0.8, 0.4, 0.4]
    day_factor = [1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.5]
    raw = [day_factor[h // 24] * by_hour[h % 24] for h in range(HOURS_PER_WEEK)]
    total = sum(raw)
    return tuple(x / total for x in raw)


def volume_table(raw: Any) -> tuple[float, ...]:
    """168 non-negative weights (Monday 00:00 first) -> shares summing to 1; raises `Invalid`."""
    if not isinstance(raw, list | tuple) or len(raw) != HOURS_PER_WEEK:
        raise Invalid(f"expected {HOURS_PER_WEEK} numbers (Monday 00:00 first)")
    values = [under(i, number, x) for i, x in enumerate(raw)]
    total = math.fsum(values)
    if any(v < 0 for v in values) or total <= 0:
        raise Invalid("expected non-negative weights with a positive sum")
    return tuple(v / total for v in values)
