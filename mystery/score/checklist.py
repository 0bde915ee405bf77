"""The client's script checklist ("bible de discours"), read from YAML with exact error locations.

    checklist: hotel_booking
    language: en
    variables: {hotel: Grand Hotel}
    items:
      - id: greeting
        title: Greeting with the hotel's name
        within_s: 15          # must happen within 15 s of the answer
        match: all            # every rule must match (default: any)
        rules:
          - phrases: ["thank you for calling", "good morning", "hello"]
          - phrases: ["{hotel}"]
            min_score: 80     # fuzzy phrases: rapidfuzz ratio 0-100 (default 85)

A rule is one of `keywords` (exact words), `phrases` (fuzzy) or `regex` (Python syntax, on the
normalised transcript: lower case, no accents or punctuation). `speaker` is agent (default),
caller or any. `{name}` inserts a variable (the hotel's name, set per line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mystery_core.errors import InputError
from mystery_core.yamlfile import LocatedYaml, load_located_yaml

RULE_KINDS = ("keywords", "phrases", "regex")
SPEAKERS = ("agent", "caller", "any")
DEFAULT_MIN_SCORE = 85.0
TOP_KEYS = {"checklist", "language", "variables", "items"}
ITEM_KEYS = {"id", "title", "rules", "match", "speaker", "within_s", "weight"}
RULE_KEYS = {*RULE_KINDS, "min_score"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One way an item can be satisfied.

    kind: "keywords" (any of the exact words or word sequences), "phrases" (fuzzy, any of them)
        or "regex" (one pattern).
    patterns: the keywords / phrases / the regex; may contain `{variable}`.
    min_score: for phrases, the rapidfuzz ratio (0-100) a window of words must reach.
    where: "file:line" of the rule, for errors found at scoring time (an unknown variable).
    """

    kind: str
    patterns: tuple[str, ...]
    min_score: float = DEFAULT_MIN_SCORE
    where: str = ""

    def describe(self, patterns: tuple[str, ...] | None = None) -> str:
        """`phrase 'a | b'`; pass the filled patterns to show variables' values."""
        shown = " | ".join(self.patterns if patterns is None else patterns)
        return f"{self.kind[:-1] if self.kind != 'regex' else 'regex'} {shown!r}"


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One thing the agent must do.

    id: short stable key (used in the store and the report). title: what the client wrote.
    rules: ways to satisfy it; `require` says whether "any" or "all" must match.
    speaker: whose words count: "agent" (callee channel), "caller" or "any".
    within_s: the match must start at most this many seconds after the answer (None: any time).
    weight: share of the call's score (default 1).
    """

    id: str
    title: str
    rules: tuple[Rule, ...]
    require: str = "any"
    speaker: str = "agent"
    within_s: float | None = None
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Checklist:
    """A client's checklist: items in the order of the script, plus variables such as the hotel's name."""

    name: str
    language: str
    items: tuple[ChecklistItem, ...]
    variables: tuple[tuple[str, str], ...] = ()
    path: str = ""


def _str_list(doc: LocatedYaml, keys: tuple[str | int, ...], value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise doc.error(keys, f"expected a non-empty list of strings, got {value!r}")
    for i, v in enumerate(value):
        if not isinstance(v, str | int | float) or isinstance(v, bool) or not str(v).strip():
            raise doc.error((*keys, i), f"expected a non-empty string, got {v!r}")
    return tuple(str(v) for v in value)


VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")  # `{hotel}`; regex quantifiers like {2,3} never match


def _variables_in(pattern: str) -> set[str]:
    return set(VARIABLE.findall(pattern))


def _rule(doc: LocatedYaml, keys: tuple[str | int, ...], raw: Any) -> Rule:
    # Variables may also come per line at scoring time, so only their syntax is checked here.
    if not isinstance(raw, dict):
        raise doc.error(keys, f"expected a mapping with one of {', '.join(RULE_KINDS)}, got {raw!r}")
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise doc.error((*keys, sorted(unknown)[0]), f"unknown field (expected {', '.join(sorted(RULE_KEYS))})")
    kinds = [k for k in RULE_KINDS if k in raw]
    if len(kinds) != 1:
        raise doc.error(keys, f"expected exactly one of {', '.join(RULE_KINDS)}, got {kinds or 'none'}")
    kind = kinds[0]
    patterns = _str_list(doc, (*keys, kind), raw[kind])
    for i, pattern in enumerate(patterns):
        names = _variables_in(pattern)
        if kind == "regex":
            try:
                re.compile(_fill(pattern, {n: "x" for n in names}, regex=True))
            except re.error as error:
                raise doc.error((*keys, kind, i), f"invalid regular expression: {error}") from None
    min_score = raw.get("min_score", DEFAULT_MIN_SCORE)
    if kind != "phrases" and "min_score" in raw:
        raise doc.error((*keys, "min_score"), "only phrases are fuzzy; remove min_score or use phrases")
    if isinstance(min_score, bool) or not isinstance(min_score, int | float) or not 0 < min_score <= 100:
        raise doc.error((*keys, "min_score"), f"expected a number in (0, 100], got {min_score!r}")
    if kind == "regex" and len(patterns) != 1:
        raise doc.error((*keys, kind), "expected one pattern (use | inside it for alternatives)")
    return Rule(kind, patterns, float(min_score), doc.where(*keys))


def _item(doc: LocatedYaml, keys: tuple[str | int, ...], raw: Any) -> ChecklistItem:
    if not isinstance(raw, dict):
        raise doc.error(keys, f"expected a mapping with id, title and rules, got {raw!r}")
    unknown = set(raw) - ITEM_KEYS
    if unknown:
        raise doc.error((*keys, sorted(unknown)[0]), f"unknown field (expected {', '.join(sorted(ITEM_KEYS))})")
    for required in ("id", "rules"):
        if required not in raw:
            raise doc.error((*keys, required), "missing")
    item_id = raw["id"]
    if not isinstance(item_id, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", item_id):
        raise doc.error((*keys, "id"), f"expected a snake_case identifier, got {item_id!r}")
    rules_raw = raw["rules"]
    if not isinstance(rules_raw, list) or not rules_raw:
        raise doc.error((*keys, "rules"), f"expected a non-empty list of rules, got {rules_raw!r}")
    rules = tuple(_rule(doc, (*keys, "rules", i), r) for i, r in enumerate(rules_raw))
    require = raw.get("match", "any")
    if require not in ("any", "all"):
        raise doc.error((*keys, "match"), f"expected any or all, got {require!r}")
    speaker = raw.get("speaker", "agent")
    if speaker not in SPEAKERS:
        raise doc.error((*keys, "speaker"), f"expected one of {', '.join(SPEAKERS)}, got {speaker!r}")
    within = raw.get("within_s")
    if within is not None and (isinstance(within, bool) or not isinstance(within, int | float) or within <= 0):
        raise doc.error((*keys, "within_s"), f"expected a positive number of seconds, got {within!r}")
    weight = raw.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        raise doc.error((*keys, "weight"), f"expected a positive number, got {weight!r}")
    title = raw.get("title", item_id)
    if not isinstance(title, str):
        raise doc.error((*keys, "title"), f"expected text, got {title!r}")
    return ChecklistItem(item_id, title, rules, require, speaker,
                         None if within is None else float(within), float(weight))


def checklist_from_yaml(doc: LocatedYaml) -> Checklist:
    """Validate a parsed checklist; the first problem raises InputError("file:line", field, problem)."""
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "expected a mapping with checklist, language, variables and items")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise doc.error((sorted(unknown)[0],), f"unknown field (expected {', '.join(sorted(TOP_KEYS))})")
    name = data.get("checklist", Path(doc.path).stem)
    if not isinstance(name, str) or not name:
        raise doc.error(("checklist",), f"expected a name, got {name!r}")
    language = data.get("language", "en")
    if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2,3}", language):
        raise doc.error(("language",), f"expected a language code such as fr or en, got {language!r}")
    variables = data.get("variables", {}) or {}
    if not isinstance(variables, dict):
        raise doc.error(("variables",), f"expected a mapping of name: text, got {variables!r}")
    for key, value in variables.items():
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise doc.error(("variables", key), f"expected text, got {value!r}")
    items_raw = data.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise doc.error(("items",), f"expected a non-empty list of items, got {items_raw!r}")
    items = tuple(_item(doc, ("items", i), raw) for i, raw in enumerate(items_raw))
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in seen:
            raise doc.error(("items", i, "id"), f"duplicate id {item.id!r} (first at items[{seen[item.id]}])")
        seen[item.id] = i
    return Checklist(name, language, items, tuple((str(k), str(v)) for k, v in variables.items()), doc.path)


def load_checklist(path: str | Path) -> Checklist:
    """Read and validate a checklist YAML file."""
    return checklist_from_yaml(load_located_yaml(path))


CHECKLISTS_DIR = Path(__file__).parent / "checklists"


def find_checklist(name_or_path: str, base_dir: Path | None = None) -> Path:
    """A checklist file: a path (relative to `base_dir`, e.g. the scenario's folder, or the current
    one) or the name of a checklist shipped in mystery/score/checklists (`hotel_booking`)."""
    relative = [base_dir / name_or_path] if base_dir is not None else []
    for candidate in (*relative, Path(name_or_path), CHECKLISTS_DIR / f"{name_or_path}.yaml"):
        if candidate.is_file():
            return candidate
    shipped = ", ".join(sorted(p.stem for p in CHECKLISTS_DIR.glob("*.yaml")))
    raise InputError(name_or_path, "checklist", f"no such file, and not a shipped checklist ({shipped})")


def parse_variables(pairs: Iterable[str]) -> dict[str, str]:
    """`NAME=VALUE` strings (from `--var`) as a mapping."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError("--var", None, f"expected NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


def _fill(pattern: str, variables: Mapping[str, str], regex: bool = False) -> str:
    def value(m: re.Match[str]) -> str:
        text = str(variables[m.group(1)])
        return re.escape(text) if regex else text

    return VARIABLE.sub(value, pattern)


def fill_rule(rule: Rule, variables: Mapping[str, str]) -> tuple[str, ...]:
    """The rule's patterns with `{variables}` filled in (regex-escaped inside a regex)."""
    out = []
    for pattern in rule.patterns:
        missing = _variables_in(pattern) - set(variables)
        if missing:
            raise InputError(rule.where, rule.kind, f"unknown variable {{{sorted(missing)[0]}}}: define it under "
                             f"variables: or pass it for the line (--var {sorted(missing)[0]}=...)")
        out.append(_fill(pattern, variables, regex=rule.kind == "regex"))
    return tuple(out)
