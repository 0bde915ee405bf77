"""The compliance officer's HTML report: the audit's tables, each finding's reasoning, and its charts.

Findings per rule, per campaign and per day come from the findings themselves. The hour x weekday heatmap and
the per-person timeline need every call, not only the flagged ones, and the audit keeps no call in memory (a
million-row log never sits there), so the report reads the log once more through the ingest layer (the same
attempts the audit judged) and keeps only a 7 x 24 grid and the attempts of the persons shown. Each call is
placed at its callee's local time in the first candidate zone of its number. The legal windows drawn are those
of the run's first `time_of_day` rule and its first `closed_days` rule, as the packs define them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from campaigns.model.records import Attempt, Violation
from campaigns.output_charts import WEEKDAYS, bar_chart, heatmap, timeline
from campaigns.output_explain import rules_by_id
from campaigns.output_lang import reason, rule_title, translator, warning
from campaigns.rules.model import Pack

TIMELINE_PERSONS = 12
HTML_FINDINGS = 2000
"""Findings shown in the HTML report's table. Each costs about 1.8 KB of page (its reasoning and evidence): a
200,000-row audit's 56,651 findings made a 101 MB page no browser opens; the charts and counts still cover every
finding, and the JSON and CSV outputs hold them all."""
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def legal_windows(packs: Iterable[Pack]) -> list[list[tuple[int, int]]]:
    """Per weekday (Monday first), the windows in minutes of the first `time_of_day` rule with a list of
    "HH:MM-HH:MM" windows; none on the days of the first `closed_days` rule."""
    rules = [rule for pack in packs for rule in pack.rules]
    windows: list[tuple[int, int]] = []
    for rule in rules:
        if rule.check == "time_of_day" and isinstance(rule.params.get("windows"), list | tuple):
            for text in rule.params["windows"]:
                start, _, end = str(text).partition("-")
                h0, m0 = start.split(":")
                h1, m1 = end.split(":")
                windows.append((int(h0) * 60 + int(m0), int(h1) * 60 + int(m1)))
            break
    closed: set[int] = set()
    for rule in rules:
        if rule.check == "closed_days":
            closed = {DAY_KEYS.index(d) for d in rule.params.get("days", ()) if d in DAY_KEYS}
            break
    return [[] if day in closed else list(windows) for day in range(7)]


class CallGrid:
    """Calls per weekday and local hour, and the attempts of chosen numbers, gathered from the log's attempts."""

    def __init__(self, zone_of: Callable[[str], str | None], watched: dict[str, str],
                 display: Callable[[str], str] = lambda phone: phone) -> None:
        self.grid = [[0] * 24 for _ in range(7)]
        self.no_zone = 0
        self._zone_of = zone_of
        self._zones: dict[str, ZoneInfo | None] = {}
        self.watched = watched  # phone as shown in the findings -> person label
        self.display = display  # the log's phone -> as shown (pseudonymised or not)
        self.attempts: dict[str, list[tuple[float, str]]] = defaultdict(list)

    def add(self, attempt: Attempt) -> None:
        zone = self._zones.get(attempt.phone, ...)
        if zone is ...:
            name = self._zone_of(attempt.phone)
            zone = self._zones[attempt.phone] = ZoneInfo(name) if name else None
        if zone is None:
            self.no_zone += 1
        else:
            local = datetime.fromtimestamp(attempt.ts, zone)
            self.grid[local.weekday()][local.hour] += 1
        label = self.watched.get(self.display(attempt.phone))
        if label is not None:
            self.attempts[label].append((attempt.ts, attempt.call_id))


def watched_persons(rows: list[Violation]) -> dict[str, str]:
    """The numbers (as shown in the findings) of the persons with the most findings (at most TIMELINE_PERSONS
    persons) -> person label (person id, else the number)."""
    per_person = Counter(v.person_id or v.phone for v in rows if v.phone)
    chosen = {label for label, _ in per_person.most_common(TIMELINE_PERSONS)}
    return {v.phone: v.person_id or v.phone for v in rows if v.phone and (v.person_id or v.phone) in chosen}


def findings_charts(per_rule: list[tuple[str, int]], per_campaign: list[tuple[str, int]],
                    per_day: list[tuple[str, int]], lang: str) -> list[tuple[str, str]]:
    """(heading, svg) of the findings per rule, per campaign (most first) and per callee local day (in order)."""
    t = translator(lang)
    return [(t("Findings per rule"), bar_chart(t("Findings per rule"), per_rule, t("no data"))),
            (t("Findings per campaign"), bar_chart(t("Findings per campaign"), per_campaign, t("no data"))),
            (t("Findings per day"), bar_chart(t("Findings per day"), per_day, t("no data")))]


def calls_charts(grid: CallGrid, packs: list[Pack], flagged: set[str], lang: str) -> list[tuple[str, str]]:
    """(heading, svg) of the hour x weekday heatmap with the legal windows and of the per-person timeline;
    `flagged`: the call ids with a finding."""
    t = translator(lang)
    title = t("Calls by hour and weekday (callee local time); legal windows outlined")
    out = [(title, heatmap(title, grid.grid, legal_windows(packs), [t(d) for d in WEEKDAYS]))]
    persons = [(label, [(ts, call_id in flagged, call_id) for ts, call_id in sorted(attempts)])
               for label, attempts in sorted(grid.attempts.items())]
    title = t("Attempts per person (persons with findings)")
    out.append((title, timeline(title, persons, (t("attempt"), t("attempt with a finding")), t("no data"))))
    return out


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most frequent first, ties by name (the order the store's counts come in: repo.count_violations_by)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def charts(rows: list[Violation], packs: list[Pack], grid: CallGrid | None, lang: str) -> list[tuple[str, str]]:
    """(heading, svg) for each chart of the report (the dashboard draws the same from the store)."""
    out = findings_charts(_ranked(Counter(v.rule for v in rows)), _ranked(Counter(v.campaign for v in rows)),
                          sorted(Counter(v.local_time[:10] for v in rows if v.local_time).items()), lang)
    if grid is not None:
        out += calls_charts(grid, packs, {v.call_id for v in rows}, lang)
    return out


def read_call_grid(log: Path, log_format: str, watched: dict[str, str], *, source_tz: str | None = None,
                   encoding: str = "utf-8", default_region: str = "FR", dispositions: Path | None = None,
                   display: Callable[[str], str] = lambda phone: phone) -> CallGrid:
    """Every attempt of the log read again (the same ingest layer the audit used, no judging) into a CallGrid;
    `watched`: the numbers of the persons whose attempts the timeline draws (watched_persons)."""
    from campaigns.ingest.dispositions import load_mapping
    from campaigns.ingest.reader import LogReader
    from campaigns.model.phones import PhoneBook

    phones = PhoneBook(default_region)

    def zone_of(phone: str) -> str | None:
        zones = phones.lookup(phone).zones
        return zones[0] if zones else None

    grid = CallGrid(zone_of, watched, display)
    mapping = load_mapping(dispositions) if dispositions else None
    reader = LogReader(log, log_format, source_tz=source_tz, phones=phones, mapping=mapping, encoding=encoding)
    for item in reader:
        if isinstance(item, Attempt):
            grid.add(item)
    return grid


def shown_findings(rows: list[Violation], cap: int) -> list[Violation]:
    """At most `cap` findings, in their order, every rule represented: each rule's first ones up to an equal
    share, then the next ones in order until the cap."""
    if len(rows) <= cap:
        return rows
    share = max(1, cap // len({v.rule for v in rows}))
    taken: Counter[str] = Counter()
    chosen: list[int] = []
    for i, v in enumerate(rows):
        if taken[v.rule] < share and len(chosen) < cap:
            taken[v.rule] += 1
            chosen.append(i)
    picked = set(chosen)
    chosen += [i for i in range(len(rows)) if i not in picked][:cap - len(chosen)]
    return [rows[i] for i in sorted(chosen)]


def render_html(rows: list[Violation], data: dict[str, Any], packs: list[Pack], grid: CallGrid | None,
                lang: str = "en", max_rows: int = HTML_FINDINGS) -> str:
    """The report page: summary, coverage, charts, rules (in `lang`), findings with their reasoning (at most
    `max_rows` of them; the charts and counts cover all)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from campaigns.output_explain import explained

    env = Environment(loader=PackageLoader("campaigns", "templates"), autoescape=select_autoescape(["html", "j2"]))
    rules = rules_by_id(packs)
    findings = [explained(v, rules.get(v.rule), lang) for v in shown_findings(rows, max_rows)]
    titles = {r["rule"]: rule_title(r["rule"], r["title"], lang) for r in data["rules"]}
    return env.get_template("audit.html.j2").render(
        rows=findings, total=len(rows), summary=data, json=json, escape=escape, t=translator(lang), lang=lang,
        titles=titles, charts=charts(rows, packs, grid, lang), reason=lambda text: reason(text, lang),
        warning=lambda text: warning(text, lang))
