"""YAML rule packs -> Pack/Rule records. Errors name the file, the line and the field.

Built-in packs live in campaigns/rules/packs/NAME.yaml; `--rules` also accepts a path to a YAML
file of the same shape (a client's own `policy` pack, for instance). Parameters can be overridden
from the command line with `RULE_ID.PARAM=VALUE` (YAML syntax for the value).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainValidator

from campaigns.checks.registry import AGGREGATE_CHECKS, CHECKS
from campaigns.model.records import InForce
from campaigns.rules.model import Fine, Pack, Rule
from mystery_core.errors import InputError
from mystery_core.validate import AtLeast, Invalid, Schema, validate
from mystery_core.yamlfile import load_located_yaml, parse_located_yaml

PACKS_DIR = Path(__file__).parent / "packs"
CERTAINTIES = {"V", "S", "U", "V/S", "S/U", "V/U"}


def _date(value: Any) -> date | None:
    if value in (None, "") or isinstance(value, date):
        return value or None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _check(value: Any) -> str:
    if str(value) not in CHECKS and str(value) not in AGGREGATE_CHECKS:
        raise Invalid(f"unknown check {value!r} (known: {', '.join(sorted([*CHECKS, *AGGREGATE_CHECKS]))})")
    return str(value)


def _certainty(value: Any) -> str:
    if str(value) not in CERTAINTIES:
        raise Invalid(f"expected V, S or U, got {value!r}")
    return str(value)


Names = Annotated[tuple[str, ...], BeforeValidator(lambda value: value or ())]


class _Fine(Schema):
    low: Annotated[float, AtLeast(0)]
    high: Annotated[float, AtLeast(0)]
    currency: str
    per: str = "breach"
    citation: str
    basis: Literal["breach_type", "call"] = "breach_type"
    cap: Literal["", "gravest"] = ""


class _InForce(Schema):
    start: Annotated[date | None, PlainValidator(_date)] = Field(None, alias="from")
    end: Annotated[date | None, PlainValidator(_date)] = Field(None, alias="until")


class _Rule(Schema):
    id: str
    title: str | None = None
    check: Annotated[str, PlainValidator(_check)]
    citation: str
    certainty: Annotated[str, PlainValidator(_certainty)]
    in_force: Annotated[_InForce, BeforeValidator(lambda value: value or {})] = _InForce.model_validate({})
    purposes: Names | None = None
    countries: Names | None = None
    needs: Names = ()
    params: Annotated[dict[str, Any], BeforeValidator(lambda value: value or {})] = {}
    fine: _Fine | None = None


class _Pack(Schema):
    pack: str
    title: str | None = None
    version: str = ""
    includes: Names = ()
    enabled_by_default: bool = True
    purposes: Names = ()
    countries: Names = ()
    fine: _Fine | None = None
    rules: Annotated[list[_Rule], BeforeValidator(lambda value: value or [])] = []


def available_packs() -> list[str]:
    return sorted(p.stem for p in PACKS_DIR.glob("*.yaml"))


def _pack_path(name: str) -> Path:
    path = PACKS_DIR / f"{name}.yaml"
    if path.exists():
        return path
    candidate = Path(name)
    if candidate.suffix in {".yaml", ".yml"} and candidate.exists():
        return candidate
    raise InputError("--rules", None, f"unknown rule pack {name!r} (built-in: {', '.join(available_packs())}; "
                                      "or give a path to a .yaml pack)")


def load_pack_file(path: Path) -> Pack:
    doc = load_located_yaml(path)
    if not isinstance(doc.data, dict) or "pack" not in doc.data:
        raise InputError(str(path), "pack", "expected a mapping with `pack`, `rules`")
    data = validate(_Pack, doc, missing="missing")
    rules = []
    for index, item in enumerate(data.rules):
        if not item.id.startswith(data.pack + "."):
            raise doc.error(("rules", index, "id"),
                            f"expected an id starting with {data.pack + '.'!r}, got {item.id!r}")
        given = item.model_fields_set  # a key written as null still overrides the pack's default
        fine = item.fine if "fine" in given else data.fine
        rule = Rule(
            id=item.id, pack=data.pack, title=item.title or item.id, check=item.check, citation=item.citation,
            certainty=item.certainty, in_force=InForce(item.in_force.start, item.in_force.end),
            purposes=frozenset((item.purposes or ()) if "purposes" in given else data.purposes),
            countries=frozenset((item.countries or ()) if "countries" in given else data.countries),
            needs=item.needs, params=item.params,
            fine=None if fine is None else Fine(fine.low, fine.high, fine.currency, fine.per, fine.citation,
                                                       fine.basis, fine.cap),
        )
        rules.append(prepare(rule, doc.where("rules", index), f"rules[{index}].params"))
    return Pack(name=data.pack, title=data.title or data.pack, version=data.version, source_file=str(path),
                rules=tuple(rules), includes=data.includes, enabled_by_default=data.enabled_by_default)


def prepare(rule: Rule, where: str, field: str) -> Rule:
    """Parse the rule's params with its check's `prepare`; errors name the rule."""
    check = CHECKS.get(rule.check) or AGGREGATE_CHECKS[rule.check]
    try:
        prepared = check.prepare(rule.params)
    except (KeyError, TypeError, ValueError) as error:
        detail = f"missing parameter {error}" if isinstance(error, KeyError) else str(error)
        raise InputError(where, field, f"{rule.id}: {detail}") from None
    return dataclasses.replace(rule, prepared=prepared)


def load_packs(names: Iterable[str], overrides: Mapping[str, str] | None = None) -> list[Pack]:
    """Packs by name, with their `includes`, each once, in order; then parameter overrides applied."""
    seen: dict[str, Pack] = {}

    def visit(name: str) -> None:
        if name in seen:
            return
        pack = load_pack_file(_pack_path(name))
        seen[name] = pack
        for included in pack.includes:
            visit(included)

    for name in names:
        if name.strip():
            visit(name.strip())
    packs = list(seen.values())
    return apply_overrides(packs, overrides or {})


def apply_overrides(packs: list[Pack], overrides: Mapping[str, str]) -> list[Pack]:
    """`fr-2023.frequency.max_attempts=5`: replace one parameter of one rule."""
    by_rule = {rule.id: (pack, rule) for pack in packs for rule in pack.rules}
    pending = dict(overrides)
    for key in list(pending):
        rule_id, _, param = key.rpartition(".")
        if rule_id not in by_rule:
            raise InputError("--param", key, f"no rule {rule_id!r} in the selected packs")
    out = []
    for pack in packs:
        rules = []
        for rule in pack.rules:
            params = dict(rule.params)
            changed = False
            for key, raw in pending.items():
                rule_id, _, param = key.rpartition(".")
                if rule_id == rule.id:
                    params[param] = parse_located_yaml(raw, "--param").data if isinstance(raw, str) else raw
                    changed = True
            rules.append(prepare(dataclasses.replace(rule, params=params), "--param", "") if changed else rule)
        out.append(dataclasses.replace(pack, rules=tuple(rules)))
    return out
