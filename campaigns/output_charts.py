"""Charts for the compliance officer's report as inline SVG, written by hand: bars, an hour x weekday heatmap
with the legal windows drawn, and a per-person timeline of attempts.

Why not a plotting library: matplotlib is in the venv (audio extra), but the compliance product must not load it
(import contract "campaigns loads no SIP or audio code"), and a JavaScript library would make the report depend
on a script running in the reader's browser, or on the network. Three chart kinds in plain SVG elements are a
few dozen lines each, render in any browser and print, and stay inside the one HTML file that the evidence pack
signs. Every function is pure: data in, SVG text out; labels are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

FONT = 'font-family="system-ui, sans-serif" font-size="11"'
BAR = "#c0392b"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def bar_chart(title: str, items: Sequence[tuple[str, int]], empty: str = "no data", width: int = 640) -> str:
    """Horizontal bars, one per (label, count), in the order given; the count written at the end of each bar."""
    label_w, row_h, top = 230, 20, 6
    if not items:
        return _svg(width, 30, [f'<text x="4" y="18">{escape(empty)}</text>'], title)
    peak = max(count for _, count in items) or 1
    span = width - label_w - 50
    body = []
    for i, (label, count) in enumerate(items):
        y = top + i * row_h
        w = max(1, round(span * count / peak)) if count else 0
        body.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(label[:38])}</text>'
                    f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 6}" fill="{BAR}"/>'
                    f'<text x="{label_w + w + 4}" y="{y + 14}">{count}</text>')
    return _svg(width, top * 2 + row_h * len(items), body, title)


def _shade(count: int, peak: int) -> str:
    if not count:
        return "#f4f4f4"
    level = count / peak
    return f"rgb({round(255 - 200 * level)},{round(255 - 170 * level)},{round(255 - 60 * level)})"


def heatmap(title: str, grid: Sequence[Sequence[int]], windows: Sequence[Sequence[tuple[int, int]]],
            day_names: Sequence[str] = WEEKDAYS) -> str:
    """Calls per weekday (7 rows, Monday first) and local hour (24 columns); each weekday's legal windows
    (minutes from midnight, start inclusive, end exclusive) drawn as green outlines over the cells. A closed
    day has no window."""
    left, top, cell_w, cell_h = 40, 20, 24, 22
    peak = max((n for row in grid for n in row), default=0) or 1
    body = [f'<text x="{left + h * cell_w}" y="{top - 6}" text-anchor="middle">{h}</text>'
            for h in range(0, 24, 2)]
    for d, row in enumerate(grid):
        y = top + d * cell_h
        body.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(day_names[d])}</text>')
        for h, count in enumerate(row):
            x = left + h * cell_w
            body.append(f'<rect x="{x}" y="{y}" width="{cell_w - 1}" height="{cell_h - 1}" '
                        f'fill="{_shade(count, peak)}"><title>{escape(day_names[d])} {h:02d}h: {count}</title></rect>')
            if count:
                body.append(f'<text x="{x + cell_w / 2}" y="{y + 15}" text-anchor="middle" font-size="9">{count}</text>')
        for start, end in windows[d]:
            x0 = left + start / 60 * cell_w
            body.append(f'<rect x="{x0:.1f}" y="{y + 1}" width="{(end - start) / 60 * cell_w - 1:.1f}" '
                        f'height="{cell_h - 3}" fill="none" stroke="#1e8449" stroke-width="2.5"/>')
    return _svg(left + 24 * cell_w + 10, top + 7 * cell_h + 6, body, title)


def timeline(title: str, persons: Sequence[tuple[str, Sequence[tuple[float, bool, str]]]], legend: tuple[str, str],
             empty: str = "no data", width: int = 760) -> str:
    """One line per person: a dot per attempt at its UTC time (`(epoch, flagged, label)`), red when the
    attempt has a finding; dates along the bottom."""
    label_w, row_h, top = 170, 22, 8
    stamps = [ts for _, attempts in persons for ts, _, _ in attempts]
    if not stamps:
        return _svg(width, 30, [f'<text x="4" y="18">{escape(empty)}</text>'], title)
    first, last = min(stamps), max(stamps)
    span = (last - first) or 86400.0
    plot = width - label_w - 20

    def x(ts: float) -> float:
        return label_w + (ts - first) / span * plot

    body = []
    for i, (label, attempts) in enumerate(persons):
        y = top + i * row_h + row_h / 2
        body.append(f'<text x="{label_w - 8}" y="{y + 4}" text-anchor="end">{escape(label[:28])}</text>'
                    f'<line x1="{label_w}" y1="{y}" x2="{label_w + plot}" y2="{y}" stroke="#ddd"/>')
        for ts, flagged, name in attempts:
            colour = BAR if flagged else "#2e86c1"
            body.append(f'<circle cx="{x(ts):.1f}" cy="{y}" r="5" fill="{colour}" fill-opacity="0.8">'
                        f'<title>{escape(name)}</title></circle>')
    base = top + len(persons) * row_h + 4
    for k in range(5):
        ts = first + span * k / 4
        anchor = ("start", "middle", "middle", "middle", "end")[k]
        body.append(f'<text x="{x(ts):.1f}" y="{base + 12}" text-anchor="{anchor}">'
                    f'{datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")}</text>')
    body.append(f'<circle cx="{label_w + 6}" cy="{base + 28}" r="5" fill="#2e86c1"/>'
                f'<text x="{label_w + 16}" y="{base + 32}">{escape(legend[0])}</text>'
                f'<circle cx="{label_w + 156}" cy="{base + 28}" r="5" fill="{BAR}"/>'
                f'<text x="{label_w + 166}" y="{base + 32}">{escape(legend[1])}</text>')
    return _svg(width, base + 40, body, title)
