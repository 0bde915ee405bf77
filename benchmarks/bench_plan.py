"""Calendar planning at the size of issue 16's chain: 40 hotels x 2 lines x 20 calls over 4 weeks.

Prints the time to plan (scenario already loaded) for 1 hotel (the baseline, same run) and for 40,
the ratio per call, the largest gap between an hour of week's share of the calls and the volume
table's, and the peak calls at once per site and on the trunk (each must stay within its cap).
Run: .venv/bin/python benchmarks/bench_plan.py [--hotels 40] [--seed 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from mystery.scenario.load import Scenario, load_scenario
from mystery.scenario.volume import default_hotel_profile
from mystery.schedule.calendar import CalendarPlan, plan_calendar

ZONES = ("Europe/Paris", "Europe/London", "Europe/Madrid", "America/New_York", "America/Chicago")


def chain(hotels: int, folder: Path) -> Scenario:
    sites = "\n".join(f"  h{i}: {{timezone: {ZONES[i % len(ZONES)]}}}" for i in range(hotels))
    lines = "\n".join(f"  h{i}-{k}: {{uri: \"sip:h{i}-{k}@trunk.example.net\", site: h{i}}}"
                      for i in range(hotels) for k in (1, 2))
    calls = "\n".join(f"  - {{line: h{i}-{k}, count: 20, max_seconds: 300}}" for i in range(hotels) for k in (1, 2))
    path = folder / f"chain{hotels}.yaml"
    path.write_text(f"""name: chain
concurrency: 30
trunk: {{channels: 30, calls_per_second: 2}}
schedule:
  start: 2026-03-16
  end: 2026-04-12
  windows: [{{days: mon-fri, hours: "08:00-21:00"}}, {{days: sat-sun, hours: "09:00-18:00"}}]
  distribution: volume
sites:
{sites}
lines:
{lines}
calls:
{calls}
""")
    return load_scenario(path)


def timed(scenario: Scenario, seed: int) -> tuple[float, CalendarPlan]:
    began = time.perf_counter()
    plan = plan_calendar(scenario, datetime(2026, 3, 1, tzinfo=UTC), seed)
    return time.perf_counter() - began, plan


def most_at_once(spans: list[tuple[float, float]]) -> int:
    live = peak = 0
    for _, step in sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans]):
        live += step
        peak = max(peak, live)
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hotels", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        one_s, _ = timed(chain(1, Path(folder)), args.seed)
        many_s, plan = timed(chain(args.hotels, Path(folder)), args.seed)
    calls = len(plan.calls)
    spans: dict[str, list[tuple[float, float]]] = {}
    for c in plan.calls:
        assert c.at is not None
        spans.setdefault(c.site, []).append((c.at.timestamp(), c.at.timestamp() + c.hold_s))
    site_peak = max(most_at_once(s) for s in spans.values())
    trunk_peak = most_at_once([x for s in spans.values() for x in s])
    cps = max(Counter(int(c.at.timestamp()) for c in plan.calls if c.at).values())
    table = default_hotel_profile()
    open_hours = {c.hour_of_week for c in plan.calls}
    weekday = [h for h in range(168) if (h // 24 < 5 and 8 <= h % 24 < 21) or (h // 24 >= 5 and 9 <= h % 24 < 18)]
    total = sum(table[h] for h in weekday)
    shares = Counter(c.hour_of_week for c in plan.calls)
    gap = max(abs(shares.get(h, 0) / calls - table[h] / total) for h in weekday)
    print(f"1 hotel (40 calls): {one_s * 1000:.0f} ms; {args.hotels} hotels ({calls} calls): {many_s * 1000:.0f} ms; "
          f"per call: {many_s / calls * 1000:.2f} ms = {many_s / calls / (one_s / 40):.2f} x the 1-hotel baseline")
    print(f"hours of week used: {len(open_hours)} of {len(weekday)} open; largest share gap to the volume table: "
          f"{gap * 100:.2f} points")
    print(f"peak calls at once: per site {site_peak} (cap 1), trunk {trunk_peak} (cap 30); most starts in one "
          f"second: {cps} (cap 2)")


if __name__ == "__main__":
    main()
