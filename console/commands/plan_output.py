"""How `mystery campaign plan` shows a plan: a rich table on the terminal, or CSV / ICS to a file or stdout."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from rich.table import Table

from mystery.schedule.calendar import CalendarPlan
from mystery.schedule.export import plan_csv, plan_ics


def plan_table(plan: CalendarPlan) -> Table:
    """One row per call: local start with its zone's abbreviation, UTC start, site, line, group."""
    table = Table(title=f"Plan of {plan.scenario} (seed {plan.seed}, made {plan.made_at:%Y-%m-%d %H:%M} UTC)",
                  title_justify="left")
    for header in ("#", "local start", "UTC", "site", "line", "group", "held s"):
        table.add_column(header, justify="right" if header in ("#", "held s") else "left", no_wrap=True)
    for call in plan.calls:
        local = call.local
        group = f"{call.group}" + (f" {call.label}" if call.label else "")
        table.add_row(str(call.number), "right away" if local is None else f"{local:%a %Y-%m-%d %H:%M:%S %Z}",
                      "" if call.at is None else f"{call.at:%Y-%m-%d %H:%M:%S}", call.site, call.line, group,
                      f"{call.hold_s:g}")
    per_site = Counter(call.site for call in plan.calls)
    table.caption = (f"{len(plan.calls)} calls; " + ", ".join(f"{site or '(no site)'}: {n}"
                                                            for site, n in sorted(per_site.items())))
    return table


def write_plan(plan: CalendarPlan, output_format: str, output: str | None) -> None:
    """CSV, ICS or the table as text, to `output` or stdout."""
    if output_format == "ics":
        data = plan_ics(plan)
    elif output_format == "csv":
        data = plan_csv(plan).encode()
    else:
        from io import StringIO

        from rich.console import Console

        buffer = StringIO()
        Console(file=buffer, width=140).print(plan_table(plan))
        data = buffer.getvalue().encode()
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(output).write_bytes(data)
