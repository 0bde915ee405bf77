"""Audit output: violations as table / json lines / csv / html, the summary, the suppression list.

Every format ends with the coverage of each rule (evaluated on how many attempts, not evaluated on how
many and why, out of scope), so that "no violations" is never read where nothing was judged.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from typing import Any, BinaryIO, TextIO

from campaigns.engines.audit import AuditOutcome
from campaigns.model.records import Violation
from campaigns.output_explain import explained
from campaigns.output_lang import message as translated_message
from campaigns.output_lang import reason as translated_reason
from campaigns.output_lang import rule_title, translator
from campaigns.output_lang import warning as translated_warning
from campaigns.output_report import CallGrid, render_html
from campaigns.rules.exposure import pack_exposure, rule_exposure
from campaigns.rules.model import Rule
from mystery_core import jsontext
from mystery_core.csvcell import csv_line, safe_cell, safe_csv_line

FORMATS = ("table", "json", "csv", "html")
CSV_COLUMNS = ("call_id", "rule", "phone", "person_id", "person_key_basis", "campaign", "principal", "local_time",
               "zones", "message", "evidence", "source", "line", "started_at_utc", "rule_text", "citation",
               "certainty", "reasoning", "record", "also_breaches")
"""`also_breaches`: the rules this finding stands for on the same call (engines/same_act.py), space-separated.
`rule_text`, `citation`, `certainty`: the rule's, from its pack; `reasoning`: why the call breaks it, as a JSON
list of sentences (campaigns/output_explain.py). `record` is `violation`, or `coverage` for the rows that end the file (one per rule: its coverage as JSON
in `evidence`, in words in `message`)."""


def rule_coverage(outcome: AuditOutcome) -> list[dict[str, Any]]:
    """Per rule: status (evaluated, partly evaluated, not evaluated, out of scope), attempts evaluated, violations,
    attempts not evaluated by reason, attempts out of scope by reason."""
    out = []
    for pack in outcome.packs:
        for rule in pack.rules:
            stats = outcome.stats[rule.id]
            missed = sum(stats.not_evaluated.values())
            if missed:
                status = "partly evaluated" if stats.evaluated else "not evaluated"
            else:
                status = "evaluated" if stats.evaluated or not stats.out_of_scope else "out of scope"
            out.append({"rule": rule.id, "status": status, "evaluated": stats.evaluated,
                        "violations": stats.violations, "not_evaluated": dict(stats.not_evaluated),
                        "out_of_scope": dict(stats.out_of_scope)})
    return out


def coverage_text(item: dict[str, Any], lang: str = "en") -> str:
    """One rule's coverage in words: `fr-2023.hours: partly evaluated: 3 evaluated; not evaluated on 1
    (reason)`."""
    t = translator(lang)
    parts = [t("{n} evaluated").format(n=item["evaluated"])]
    parts += [t("not evaluated on {n} ({reason})").format(n=n, reason=translated_reason(reason, lang))
              for reason, n in sorted(item["not_evaluated"].items())]
    parts += [t("out of scope on {n} ({reason})").format(n=n, reason=translated_reason(reason, lang))
              for reason, n in sorted(item["out_of_scope"].items())]
    return t("{rule}: {status}: {parts}").format(rule=item["rule"], status=t(item["status"]),
                                                 parts=(" ; " if lang == "fr" else "; ").join(parts))


JSON_LINES_BATCH = 256
"""JSON lines collected before one write to the byte stream under a JSON writer's text stream."""


class ViolationWriter:
    """Streams violations in one format; html and table keep rows until `close` (they need widths / a page).

    `binary`: the byte stream under `stream` (UTF-8, no newline translation: a file `campaigns.jobs.atomic_output`
    opened), or None. With it, JSON lines go to it as orjson's bytes, a batch at a time, the same bytes as
    through `stream`: decoding each line to `str` and the text layer encoding it back cost as much as the
    serializing."""

    def __init__(self, fmt: str, stream: TextIO, rule_of: Callable[[str], Rule | None] = lambda _: None,
                 lang: str = "en", binary: BinaryIO | None = None) -> None:
        self.fmt = fmt
        self.stream = stream
        self.rule_of = rule_of
        self.lang = lang
        self.rows: list[Violation] = []
        self._binary = binary if fmt == "json" else None
        self._lines: list[bytes] = []
        if fmt == "csv":
            stream.write(csv_line(CSV_COLUMNS))
        if self._binary is not None:
            stream.flush()  # whatever the text layer holds goes first

    def write(self, v: Violation, evidence_json: str | None = None) -> None:
        """Write one finding; `evidence_json`: its evidence already serialized (else it is serialized here)."""
        if self.fmt == "json":
            row = explained(v, self.rule_of(v.rule), self.lang)
            if evidence_json is not None:
                row["evidence"] = jsontext.already(evidence_json)
            if self._binary is None:
                self.stream.write(jsontext.dumps(row) + "\n")
                return
            lines = self._lines
            lines.append(jsontext.dumps_line(row))
            if len(lines) >= JSON_LINES_BATCH:
                self._binary.write(b"".join(lines))
                lines.clear()
        elif self.fmt == "csv":
            row = explained(v, self.rule_of(v.rule), self.lang)
            row["reasoning"] = jsontext.dumps(row["reasoning"])
            row["zones"] = " ".join(v.zones)
            row["evidence"] = evidence_json if evidence_json is not None else jsontext.dumps(v.evidence)
            row["record"] = "violation"
            row["also_breaches"] = " ".join(v.also_breaches)
            self.stream.write(safe_csv_line([row[c] for c in CSV_COLUMNS]))
        else:
            self.rows.append(v)

    def close(self, outcome: AuditOutcome, grid: CallGrid | None = None) -> None:
        """Finish the file: the table or page (with the calls' `grid` for its charts), and in every format the
        coverage of each rule."""
        if self._binary is not None and self._lines:
            self._binary.write(b"".join(self._lines))
            self._lines.clear()
        coverage = rule_coverage(outcome)
        if self.fmt == "table":
            self.stream.write(render_table(self.rows, self.lang))
            self.stream.write(render_coverage(coverage, outcome.exit_code, self.lang))
        elif self.fmt == "html":
            self.stream.write(render_html(self.rows, summary(outcome), list(outcome.packs), grid, self.lang))
        elif self.fmt == "json":
            for item in coverage:
                self.stream.write(jsontext.dumps({"record": "coverage", **item}) + "\n")
        elif self.fmt == "csv":
            for item in coverage:
                cells = {"rule": item["rule"], "message": coverage_text(item, self.lang), "record": "coverage",
                         "evidence": jsontext.dumps(item)}
                self.stream.write(safe_csv_line([cells.get(c, "") for c in CSV_COLUMNS]))


def render_coverage(coverage: list[dict[str, Any]], exit_code: int, lang: str = "en") -> str:
    """The table format's coverage block: a line per rule, and whether every rule in scope was evaluated."""
    t = translator(lang)
    gaps = [item for item in coverage if item["not_evaluated"]]
    head = t("coverage: full (every rule in scope evaluated on every attempt)") if not gaps and exit_code != 3 else \
        t("coverage: GAPS ({n} rule(s) not evaluated on some attempts; exit code 3)").format(n=len(gaps))
    return "\n".join(["", head, *(f"  {coverage_text(item, lang)}" for item in coverage)]) + "\n"


def render_table(rows: list[Violation], lang: str = "en") -> str:
    t = translator(lang)
    if not rows:
        return t("no violations") + "\n"
    header = tuple(t(name) for name in ("call_id", "rule", "phone", "local time", "finding"))
    cells = [(v.call_id or "-", v.rule, v.phone or v.campaign, v.local_time[:19] or "-",
              translated_message(v.message, lang)) for v in rows]
    widths = [max(len(header[i]), *(len(c[i]) for c in cells)) for i in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header[:4], widths, strict=True)) + "  " + header[4]]
    for c in cells:
        lines.append("  ".join(x.ljust(w) for x, w in zip(c[:4], widths, strict=True)) + "  " + c[4])
    return "\n".join(lines) + "\n"


def summary(outcome: AuditOutcome) -> dict[str, Any]:
    """JSON-ready summary: counts that reconcile, per-rule results with citations and fines, parameters."""
    rules = []
    status = {item["rule"]: item["status"] for item in rule_coverage(outcome)}
    for pack in outcome.packs:
        for rule in pack.rules:
            stats = outcome.stats[rule.id]
            fine = None
            if rule.fine:
                low, high = rule_exposure(rule.fine, stats.violations)
                fine = {**rule.fine.as_json(), "exposure_low": low, "exposure_high": high}
            rules.append({"rule": rule.id, "title": rule.title, "citation": rule.citation, "certainty": rule.certainty,
                          "status": status[rule.id], "evaluated": stats.evaluated, "violations": stats.violations,
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
            "rules": rules, "campaigns": campaigns,
            "fine_exposure": pack_exposure(outcome.packs, {k: s.violations for k, s in outcome.stats.items()}),
            "coverage": "gaps" if outcome.gaps() else "full",
            "warnings": list(outcome.warnings), "exit_code": outcome.exit_code}


def render_summary(data: dict[str, Any], lang: str = "en") -> str:
    """The summary as text, in `lang` (campaigns/output_lang.py)."""
    t = translator(lang)
    engine = data.get("engine", "row")
    note = t(" (columnar not used: {why})").format(why=data["engine_note"]) if data.get("engine_note") else ""
    out = [t("campaigns audit summary"), t("engine: {engine}{note}").format(engine=engine, note=note), "",
           t("inputs (rows read = kept + rejected):")]
    out += [f"  {translated_warning(line, lang)}" for line in data["reconciliation"]]
    if data["unmapped_dispositions"]:
        out.append("  " + t("unmapped disposition codes: ") + ", ".join(
            f"{k} ({v})" for k, v in sorted(data["unmapped_dispositions"].items())))
    if data["ignored_columns"]:
        out.append("  " + t("ignored columns: ") + ", ".join(data["ignored_columns"]))
    for warning in data.get("warnings", ()):
        out.append("  " + t("warning: {w}").format(w=translated_warning(warning, lang)))
    if data["late_rows"]:
        out.append("  " + t("{n} attempts arrived more than the reorder window out of time order: sort the log by "
                            "start time for exact counts").format(n=data["late_rows"]))
    out += ["", t("packs: {packs}").format(packs=", ".join(data["packs"])), "",
            t("rules (which applied, and why the others did not):")]
    for rule in data["rules"]:
        title = rule_title(rule["rule"], rule["title"], lang)
        out.append(f"  {rule['rule']} [{rule['certainty']}] " + t(
            "{status}: {n} violation(s) in {evaluated} evaluated attempts - {title}").format(
            status=t(rule.get("status", "evaluated")), n=rule["violations"], evaluated=rule["evaluated"],
            title=title))
        out.append("      " + t("citation: {c}").format(c=rule["citation"]))
        for reason, count in sorted(rule["not_evaluated"].items()):
            out.append("      " + t("not evaluated: {reason} ({n} attempts)").format(
                reason=translated_reason(reason, lang), n=count))
        for reason, count in sorted(rule["out_of_scope"].items()):
            out.append("      " + t("out of scope: {reason} ({n} attempts)").format(
                reason=translated_reason(reason, lang), n=count))
        if rule["params"]:
            out.append("      " + t("parameters: ") + "; ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                                                              for k, v in rule["params"].items()))
        if rule["fine"] and rule["violations"]:
            fine = rule["fine"]
            out.append("      " + t("fine exposure: ") + f"{rule['violations']} x {fine['currency']} {fine['low']:,.0f}-"
                       f"{fine['high']:,.0f} {t('per')} {fine['per']} = {fine['currency']} {fine['exposure_low']:,.0f}-"
                       f"{fine['exposure_high']:,.0f} ({fine['citation']})")
    if data["campaigns"]:
        out += ["", t("violations per campaign:")]
        for campaign, per_rule in data["campaigns"].items():
            out.append(f"  {campaign}: " + ", ".join(f"{rule} {count}" for rule, count in per_rule.items()))
    out += ["", t("total: {v} violation(s), {r} rejected log row(s), {ir} rejected input row(s); coverage {c}; "
                  "exit code {e}").format(v=data["violations"], r=data["rejected"], ir=data["input_rejected"],
                                          c=t(data.get("coverage", "full")), e=data["exit_code"])]
    return "\n".join(out) + "\n"


SUPPRESSION_COLUMNS = ("phone", "person_id", "principal", "purpose", "reason", "since", "until")
"""The scope of each entry: `principal` (empty: every principal, e.g. a national list), `purpose` (the purposes
the entry bars, space-separated; `all` for an objection, which binds any purpose), `until` (empty: no end)."""


def suppression_scope(rows: list[dict[str, str]], rules: list[Rule]) -> list[dict[str, str]]:
    """Each suppression row with its `purpose`: every purpose for an objection; for a refusal, the purposes of the
    run's cooling-off rules; for a list entry, those of its opposition-list rules (`all` when a rule covers every
    purpose)."""
    def purposes(check: str) -> str:
        chosen = [rule for rule in rules if rule.check == check]
        if not chosen or any(not rule.purposes for rule in chosen):
            return "all"
        return " ".join(sorted({p for rule in chosen for p in rule.purposes}))

    by_reason = {"objection": "all", "refusal": purposes("cooling_off")}
    listed = purposes("opposition_list")
    return [{**row, "purpose": by_reason.get(row["reason"].split(" ", 1)[0], listed)} for row in rows]


def write_suppression(rows: list[dict[str, str]], stream: TextIO) -> None:
    """The suppression list as CSV; text from the logs never reaches a spreadsheet as a formula."""
    writer = csv.DictWriter(stream, fieldnames=list(SUPPRESSION_COLUMNS), restval="")
    writer.writeheader()
    writer.writerows({name: safe_cell(value) for name, value in row.items()} for row in rows)
