"""Each finding made self-contained for a regulator: the rule's text, citation and certainty, and the reasoning.

A finding written by a check says what happened on one call (`message`) and carries the facts it rests on
(`evidence`); the rule's text, its citation and how sure we are of it (V verified, S secondary source, U
unverified) live in the rule definitions and used to reach only the summary. A page handed to the DGCCRF or the
CNIL is read alone, so every finding now repeats them, and `reasoning` spells out in order why the call breaks
the rule: the rule, the facts of the call (its local time), the facts from the evidence (each earlier attempt
counted, with its purpose when the check recorded it; which holiday, in which calendar; the refusal or list
entry), and what the audit assumed. Pure functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from campaigns.model.records import Violation
from campaigns.output_lang import holiday_name, rule_title, translator
from campaigns.output_lang import message as translated_message
from campaigns.rules.model import Pack, Rule

CERTAINTY = {"V": "verified against the text", "S": "from a secondary source", "U": "unverified"}



def rules_by_id(packs: Iterable[Pack]) -> dict[str, Rule]:
    """Every rule of the packs by id."""
    return {rule.id: rule for pack in packs for rule in pack.rules}


ATTEMPT_KEYS = ("campaign", "purpose", "disposition", "phone")
"""The facts of an earlier attempt a reasoning sentence names after its call id and time, in this order."""
EVIDENCE_KEYS = ("previous_attempt", "refusal", "opt_out", "entry", "list_entry", "consents_seen", "contracts_seen")
"""Evidence entries a reasoning sentence each, when present."""


class _Phrases:
    """The fixed words of the reasoning in one language, translated once: a large audit explains a few hundred
    thousand findings, and looking each word up again per finding cost more than writing the finding."""

    __slots__ = ("t", "started", "finding", "also", "holiday", "earlier", "labels", "evidence", "assumed_single",
                 "zone_basis")

    def __init__(self, lang: str) -> None:
        t = self.t = translator(lang)
        self.started = t("the call started at {local} callee time ({zones}), {utc} UTC")
        self.finding = t("finding: {message}")
        self.also = t("the same act also breaches {rules}: one finding, counted under this rule")
        self.holiday = t("{date} is {holiday}, a public holiday in the calendar {calendar} (holidays package)")
        self.earlier = t("earlier attempts counted ({n}):")
        self.labels = tuple((key, t(key)) for key in ATTEMPT_KEYS)
        self.evidence = tuple((key, t(key)) for key in EVIDENCE_KEYS)
        self.assumed_single = t("assumed: no principal known, every campaign of the log counted as one principal")
        self.zone_basis = t("assumed: time zone from the {basis}")

    def attempt(self, item: Mapping[str, Any]) -> str:
        """An earlier attempt (or refusal, list entry) in words: call id, time, then its labelled facts; the
        empty ones left out. Built by appending (half the time of a list of parts joined: a frequency finding
        words several attempts)."""
        get = item.get
        call_id = get("call_id", "?")
        when = item["started_at_utc"] if "started_at_utc" in item else get("started_at", "")
        if type(call_id) is not str:
            call_id = str(call_id)
        if type(when) is not str:
            when = str(when)
        text = f"{call_id} {when}" if call_id and when else call_id or when
        for key, label in self.labels:
            value = get(key)
            if value:
                text = f"{text} {label} {value}" if text else f"{label} {value}"
        return text


@lru_cache(maxsize=8)
def _phrases(lang: str) -> _Phrases:
    return _Phrases(lang)


@lru_cache(maxsize=1024)
def _rule_sentence(rule_id: str, title: str, citation: str, certainty: str, lang: str) -> str:
    t = translator(lang)
    return t("rule {id}: {title} ({citation}; certainty {certainty}: {meaning})").format(
        id=rule_id, title=rule_title(rule_id, title, lang), citation=citation, certainty=certainty,
        meaning=t(CERTAINTY.get(certainty, certainty)))


@lru_cache(maxsize=4096)
def _holiday_sentence(calendar: str, day: str, holiday: str, lang: str) -> str:
    """The holiday sentence, made once per calendar and day: a log has a handful of holidays and thousands of
    findings on each (7,473 on 2 days in 200,000 rows of bench_audit.py's log)."""
    return _phrases(lang).holiday.format(date=day, calendar=calendar,
                                         holiday=holiday_name(calendar, day, holiday, lang))


def reasoning(v: Violation, rule: Rule | None, lang: str = "en") -> list[str]:
    """Why this call breaks the rule, as sentences in order: the rule, the call, the evidence, the assumptions."""
    words = _phrases(lang)
    out = []
    if rule is not None:
        out.append(_rule_sentence(rule.id, rule.title, rule.citation, rule.certainty, lang))
    if v.local_time:
        out.append(words.started.format(local=v.local_time, zones=", ".join(v.zones) or "-", utc=v.started_at_utc))
    out.append(words.finding.format(message=v.message if lang == "en" else translated_message(v.message, lang)))
    if v.also_breaches:
        out.append(words.also.format(rules=", ".join(v.also_breaches)))
    ev = v.evidence
    get = ev.get
    if get("holiday"):
        out.append(_holiday_sentence(str(get("calendar", "")), str(get("date", "")), str(ev["holiday"]), lang))
    earlier = get("earlier_attempts")
    if isinstance(earlier, list) and earlier:
        attempt = words.attempt
        out.append(words.earlier.format(n=len(earlier)) + " "
                   + "; ".join([attempt(a) for a in earlier if isinstance(a, dict)]))
    for key, label in words.evidence:
        value = get(key)
        if not value:
            continue
        if isinstance(value, dict):
            out.append(f"{label}: {words.attempt(value)}")
        elif isinstance(value, list):
            out.append(f"{label}: " + "; ".join([words.attempt(item) if isinstance(item, dict) else str(item)
                                                 for item in value]))
        else:
            out.append(f"{label}: {value}")
    if get("principal_basis") == "assumed_single":
        out.append(words.assumed_single)
    if get("zone_basis"):
        out.append(words.zone_basis.format(basis=words.t(str(ev["zone_basis"]))))
    return out


def explained(v: Violation, rule: Rule | None, lang: str = "en") -> dict[str, Any]:
    """The finding as a JSON-ready dict with `rule_text`, `citation`, `certainty` and `reasoning` added (and the
    message in `lang`)."""
    row = v.as_json()
    row["message"] = translated_message(v.message, lang)
    row["rule_text"] = rule_title(rule.id, rule.title, lang) if rule else ""
    row["citation"] = rule.citation if rule else ""
    row["certainty"] = rule.certainty if rule else ""
    row["reasoning"] = reasoning(v, rule, lang)
    return row


class RuleLookup:
    """Rules by id for findings written while the audit runs: the requested packs loaded up front (with the
    run's parameter overrides), and a pack a campaign registry adds loaded when its first finding arrives."""

    def __init__(self, names: Iterable[str], params: Mapping[str, str]) -> None:
        from campaigns.rules.load import load_packs

        self._params = dict(params)
        self._rules = rules_by_id(load_packs(names, params))
        self._tried: set[str] = set()

    def __call__(self, rule_id: str) -> Rule | None:
        rule = self._rules.get(rule_id)
        if rule is not None:
            return rule
        pack = rule_id.rsplit(".", 1)[0]
        if pack not in self._tried:
            from campaigns.rules.load import load_packs
            from mystery_core.errors import InputError

            self._tried.add(pack)
            try:
                self._rules.update(rules_by_id(load_packs([pack], {k: v for k, v in self._params.items()
                                                                    if k.startswith(pack + ".")})))
            except InputError:
                return None
            rule = self._rules.get(rule_id)
        return rule
