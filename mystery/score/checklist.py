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

A rule is one of `keywords` (exact words; a singular matches its plural in s, digits match however
grouped), `phrases` (fuzzy), `regex` (Python syntax, on the
normalised transcript: lower case, no accents or punctuation, numbers as digits) or `names` (any of
the names, matched by sound and spelling; `{staff}` gives the scenario's comma-separated list). `speaker` is agent (default),
caller or any. `{name}` inserts a variable (the hotel's name, set per line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, PlainValidator, model_validator

from mystery_core.errors import InputError
from mystery_core.validate import Invalid, Schema, number, validate
from mystery_core.yamlfile import LocatedYaml, load_located_yaml

RULE_KINDS = ("keywords", "phrases", "regex", "names")
SPEAKERS = ("agent", "caller", "any")
DEFAULT_MIN_SCORE = 85.0


@dataclass(frozen=True, slots=True)
class Rule:
    """One way an item can be satisfied.

    kind: "keywords" (any of the exact words or word sequences), "phrases" (fuzzy, any of them),
        "regex" (one pattern) or "names" (any of the names, by sound and spelling).
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


def _str_list(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise Invalid(f"expected a non-empty list of strings, got {value!r}")
    for i, v in enumerate(value):
        if not isinstance(v, str | int | float) or isinstance(v, bool) or not str(v).strip():
            raise Invalid(f"expected a non-empty string, got {v!r}", i)
    return tuple(str(v) for v in value)


VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")  # `{hotel}`; regex quantifiers like {2,3} never match


def _variables_in(pattern: str) -> set[str]:
    return set(VARIABLE.findall(pattern))


def _regexes(value: Any) -> tuple[str, ...] | None:
    # Variables may also come per line at scoring time, so only their syntax is checked here.
    patterns = _str_list(value)
    for i, pattern in enumerate(patterns or ()):
        try:
            re.compile(_fill(pattern, {n: "x" for n in _variables_in(pattern)}, regex=True))
        except re.error as error:
            raise Invalid(f"invalid regular expression: {error}", i) from None
    return patterns


def _one_of(choices: tuple[str, ...], wording: str) -> Any:
    def check(value: Any) -> str:
        if value not in choices:
            raise Invalid(f"expected {wording}, got {value!r}")
        return str(value)

    return PlainValidator(check)


def _text(wording: str, pattern: str = r".+") -> Any:
    def check(value: Any) -> str | None:
        if value is not None and (not isinstance(value, str) or not re.fullmatch(pattern, value)):
            raise Invalid(f"expected {wording}, got {value!r}")
        return value

    return PlainValidator(check)


def _variables(value: Any) -> dict[str, str]:
    if not isinstance(value or {}, dict):
        raise Invalid(f"expected a mapping of name: text, got {value!r}")
    for key, text in (value or {}).items():
        if not isinstance(text, str | int | float) or isinstance(text, bool):
            raise Invalid(f"expected text, got {text!r}", key)
    return {str(k): str(v) for k, v in (value or {}).items()}


def _non_empty_list(wording: str) -> Any:
    def check(value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise Invalid(f"expected a non-empty list of {wording}, got {value!r}")
        return value

    return BeforeValidator(check)


Patterns = Annotated[tuple[str, ...] | None, PlainValidator(_str_list)]


class _Fields(Schema):
    unknown_key: ClassVar[str] = "unknown field (expected {known})"


class _Rule(_Fields):
    not_mapping: ClassVar[str] = f"expected a mapping with one of {', '.join(RULE_KINDS)}, got {{value!r}}"
    keywords: Patterns = None
    phrases: Patterns = None
    regex: Annotated[tuple[str, ...] | None, PlainValidator(_regexes)] = None
    names: Patterns = None
    min_score: Annotated[float, PlainValidator(
        lambda v: number(v, "a number in (0, 100]", above=0, maximum=100))] = DEFAULT_MIN_SCORE

    @model_validator(mode="after")
    def _one_kind(self) -> _Rule:
        kinds = [k for k in RULE_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise Invalid(f"expected exactly one of {', '.join(RULE_KINDS)}, got {kinds or 'none'}")
        if kinds[0] != "phrases" and "min_score" in self.model_fields_set:
            raise Invalid("only phrases are fuzzy; remove min_score or use phrases", "min_score")
        if kinds[0] == "regex" and len(self.regex or ()) != 1:
            raise Invalid("expected one pattern (use | inside it for alternatives)", "regex")
        return self

    def record(self, where: str) -> Rule:
        kind = next(k for k in RULE_KINDS if getattr(self, k) is not None)
        return Rule(kind, getattr(self, kind), self.min_score, where)


class _Item(_Fields):
    not_mapping: ClassVar[str] = "expected a mapping with id, title and rules, got {value!r}"
    id: Annotated[str, _text("a snake_case identifier", r"[a-z][a-z0-9_]*")]
    rules: Annotated[list[_Rule], _non_empty_list("rules")]
    match: Annotated[str, _one_of(("any", "all"), "any or all")] = "any"
    speaker: Annotated[str, _one_of(SPEAKERS, f"one of {', '.join(SPEAKERS)}")] = "agent"
    within_s: Annotated[float | None, PlainValidator(
        lambda v: None if v is None else number(v, "a positive number of seconds", above=0))] = None
    weight: Annotated[float, PlainValidator(lambda v: number(v, "a positive number", above=0))] = 1.0
    title: Annotated[str | None, _text("text", r"(?s).*")] = None


class _Checklist(_Fields):
    not_mapping: ClassVar[str] = "expected a mapping with checklist, language, variables and items"
    checklist: Annotated[str | None, _text("a name")] = None
    language: Annotated[str, _text("a language code such as fr or en", r"[a-z]{2,3}")] = "en"
    variables: Annotated[dict[str, str], PlainValidator(_variables)] = {}
    items: Annotated[list[_Item], _non_empty_list("items")] = Field(None, validate_default=True)  # required


def checklist_from_yaml(doc: LocatedYaml) -> Checklist:
    """Validate a parsed checklist; the first problem raises InputError("file:line", field, problem)."""
    data = validate(_Checklist, doc, missing="missing")
    items = []
    seen: dict[str, int] = {}
    for i, item in enumerate(data.items):
        if item.id in seen:
            raise doc.error(("items", i, "id"), f"duplicate id {item.id!r} (first at items[{seen[item.id]}])")
        seen[item.id] = i
        rules = tuple(rule.record(doc.where("items", i, "rules", j)) for j, rule in enumerate(item.rules))
        title = item.id if item.title is None else item.title
        items.append(ChecklistItem(item.id, title, rules, item.match, item.speaker, item.within_s,
                                   item.weight))
    name = data.checklist if data.checklist is not None else Path(doc.path).stem
    return Checklist(name, data.language, tuple(items), tuple(data.variables.items()), doc.path)


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
        filled = _fill(pattern, variables, regex=rule.kind == "regex")
        if rule.kind == "names":  # "{staff}" holds a list: "Sophie, Marc, Julia"
            out += [n.strip() for n in filled.replace(";", ",").split(",") if n.strip()]
        else:
            out.append(filled)
    return tuple(out)
