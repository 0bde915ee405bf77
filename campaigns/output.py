"""Audit output: violations as table / json lines / csv / html, the summary, the suppression list."""

from __future__ import annotations

import csv
import html
import json
from typing import Any, TextIO

from campaigns.engines.audit import AuditOutcome
from campaigns.model.records import Violation
from mystery_core import jsontext
from mystery_core.csvcell import safe_cell, safe_row

FORMATS = ("table", "json", "csv", "html")
CSV_COLUMNS = ("call_id", "rule", "phone", "person_id", "person_key_basis", "campaign", "principal", "local_time",
               "zones", "message", "evidence", "source", "line", "started_at_utc")


class ViolationWriter:
    """Streams violations in one format; html and table keep rows until `close` (they need widths / a page)."""

    def __init__(self, fmt: str, stream: TextIO) -> None:
        self.fmt = fmt
        self.stream = stream
        self.rows: list[Violation] = []
        self._csv: Any = None
        if fmt == "csv":
            self._csv = csv.writer(stream)
            self._csv.writerow(CSV_COLUMNS)

    def write(self, v: Violation, evidence_json: str | None = None) -> None:
        """Write one finding; `evidence_json`: its evidence already serialized (else it is serialized here)."""
        if self.fmt == "json":
            row = v.as_json()
            if evidence_json is not None:
                row["evidence"] = jsontext.already(evidence_json)
            self.stream.write(jsontext.dumps(row) + "\n")
        elif self.fmt == "csv":
            row = v.as_json()
            row["zones"] = " ".join(v.zones)
            row["evidence"] = evidence_json if evidence_json is not None else jsontext.dumps(v.evidence)
            self._csv.writerow(safe_row(row[c] for c in CSV_COLUMNS))
        else:
            self.rows.append(v)

    def close(self, outcome: AuditOutcome) -> None:
        if self.fmt == "table":
            self.stream.write(render_table(self.rows))
        elif self.fmt == "html":
            self.stream.write(render_html(self.rows, summary(outcome)))


def render_table(rows: list[Violation]) -> str:
    if not rows:
        return "no violations\n"
    header = ("call_id", "rule", "phone", "local time", "finding")
    cells = [(v.call_id or "-", v.rule, v.phone or v.campaign, v.local_time[:19] or "-", v.message) for v in rows]
    widths = [max(len(header[i]), *(len(c[i]) for c in cells)) for i in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header[:4], widths, strict=True)) + "  " + header[4]]
    for c in cells:
        lines.append("  ".join(x.ljust(w) for x, w in zip(c[:4], widths, strict=True)) + "  " + c[4])
    return "\n".join(lines) + "\n"


def summary(outcome: AuditOutcome) -> dict[str, Any]:
    """JSON-ready summary: counts that reconcile, per-rule results with citations and fines, parameters."""
    rules = []
    for pack in outcome.packs:
        for rule in pack.rules:
            stats = outcome.stats[rule.id]
            fine = None
            if rule.fine:
                fine = {**rule.fine.as_json(), "exposure_low": stats.violations * rule.fine.low,
                        "exposure_high": stats.violations * rule.fine.high}
            rules.append({"rule": rule.id, "title": rule.title, "citation": rule.citation, "certainty": rule.certainty,
                          "evaluated": stats.evaluated, "violations": stats.violations,
                          "not_evaluated": dict(stats.not_evaluated), "out_of_scope": dict(stats.out_of_scope),
                          "params": dict(rule.params), "fine": fine})
    campaigns: dict[str, dict[str, int]] = {}
    for (campaign, rule_id), count in sorted(outcome.by_campaign.items()):
        campaigns.setdefault(campaign, {})[rule_id] = count
    return {"log_format": outcome.log_format, "engine": outcome.engine, "engine_note": outcome.engine_note,
            "reconciliation": outcome.reconciliation,
            "rows": outcome.rows, "attempts": outcome.attempts, "rejected": outcome.rejected,
            "input_rejected": outcome.input_rejected, "violations": outcome.violations,
            "late_rows": outcome.late, "unmapped_dispositions": outcome.unmapped,
            "ignored_columns": outcome.ignored_columns, "packs": [p.name for p in outcome.packs],
            "rules": rules, "campaigns": campaigns, "exit_code": outcome.exit_code}


def render_summary(data: dict[str, Any]) -> str:
    engine = data.get("engine", "row")
    note = f" (columnar not used: {data['engine_note']})" if data.get("engine_note") else ""
    out = ["campaigns audit summary", f"engine: {engine}{note}", "", "inputs (rows read = kept + rejected):"]
    out += [f"  {line}" for line in data["reconciliation"]]
    if data["unmapped_dispositions"]:
        out.append("  unmapped disposition codes: " + ", ".join(f"{k} ({v})" for k, v in
                                                               sorted(data["unmapped_dispositions"].items())))
    if data["ignored_columns"]:
        out.append("  ignored columns: " + ", ".join(data["ignored_columns"]))
    if data["late_rows"]:
        out.append(f"  {data['late_rows']} attempts arrived more than the reorder window out of time order: "
                   "sort the log by start time for exact counts")
    out += ["", f"packs: {', '.join(data['packs'])}", "", "rules (which applied, and why the others did not):"]
    for rule in data["rules"]:
        out.append(f"  {rule['rule']} [{rule['certainty']}] {rule['violations']} violation(s) in "
                   f"{rule['evaluated']} evaluated attempts - {rule['title']}")
        out.append(f"      citation: {rule['citation']}")
        for reason, count in sorted(rule["not_evaluated"].items()):
            out.append(f"      not evaluated: {reason} ({count} attempts)")
        for reason, count in sorted(rule["out_of_scope"].items()):
            out.append(f"      out of scope: {reason} ({count} attempts)")
        if rule["params"]:
            out.append("      parameters: " + "; ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                                                         for k, v in rule["params"].items()))
        if rule["fine"] and rule["violations"]:
            fine = rule["fine"]
            out.append(f"      fine exposure: {rule['violations']} x {fine['currency']} {fine['low']:,.0f}-"
                       f"{fine['high']:,.0f} per {fine['per']} = {fine['currency']} {fine['exposure_low']:,.0f}-"
                       f"{fine['exposure_high']:,.0f} ({fine['citation']})")
    if data["campaigns"]:
        out += ["", "violations per campaign:"]
        for campaign, per_rule in data["campaigns"].items():
            out.append(f"  {campaign}: " + ", ".join(f"{rule} {count}" for rule, count in per_rule.items()))
    out += ["", f"total: {data['violations']} violation(s), {data['rejected']} rejected log row(s), "
                f"{data['input_rejected']} rejected input row(s); exit code {data['exit_code']}"]
    return "\n".join(out) + "\n"


def render_html(rows: list[Violation], data: dict[str, Any]) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("campaigns", "templates"), autoescape=select_autoescape(["html", "j2"]))
    template = env.get_template("audit.html.j2")
    return template.render(rows=rows, summary=data, json=json, escape=html.escape)


def write_suppression(rows: list[dict[str, str]], stream: TextIO) -> None:
    """The suppression list as CSV; text from the logs never reaches a spreadsheet as a formula."""
    writer = csv.DictWriter(stream, fieldnames=["phone", "person_id", "principal", "reason", "since", "until"])
    writer.writeheader()
    writer.writerows({name: safe_cell(value) for name, value in row.items()} for row in rows)
