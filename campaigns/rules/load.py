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
from typing import Any

import yaml

from campaigns.checks.registry import AGGREGATE_CHECKS, CHECKS
from campaigns.model.records import InForce
from campaigns.rules.model import Fine, Pack, Rule
from mystery_core.errors import InputError

PACKS_DIR = Path(__file__).parent / "packs"
CERTAINTIES = {"V", "S", "U", "V/S", "S/U", "V/U"}


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping as key `__line__`."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


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


def _date(value: Any, where: str, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(where, field, f"expected a date YYYY-MM-DD, got {value!r}") from None


def load_pack_file(path: Path) -> Pack:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InputError(f"{path}:{mark.line + 1}" if mark else str(path), None,
                         f"invalid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(data, dict) or "pack" not in data:
        raise InputError(str(path), "pack", "expected a mapping with `pack`, `rules`")
    name = str(data["pack"])
    rules = []
    for index, item in enumerate(data.get("rules") or []):
        where = f"{path}:{item.get('__line__', '?')}"
        rules.append(_rule(item, name, where, index, data))
    return Pack(name=name, title=str(data.get("title", name)), version=str(data.get("version", "")),
                source_file=str(path), rules=tuple(rules), includes=tuple(data.get("includes", ())),
                enabled_by_default=bool(data.get("enabled_by_default", True)))


def _rule(item: Mapping[str, Any], pack: str, where: str, index: int, defaults: Mapping[str, Any]) -> Rule:
    field_prefix = f"rules[{index}]"
    for key in ("id", "check", "citation", "certainty"):
        if key not in item:
            raise InputError(where, f"{field_prefix}.{key}", "missing")
    rule_id = str(item["id"])
    if not rule_id.startswith(pack + "."):
        raise InputError(where, f"{field_prefix}.id", f"expected an id starting with {pack + '.'!r}, got {rule_id!r}")
    check = str(item["check"])
    if check not in CHECKS and check not in AGGREGATE_CHECKS:
        raise InputError(where, f"{field_prefix}.check", f"unknown check {check!r} (known: "
                                                         f"{', '.join(sorted([*CHECKS, *AGGREGATE_CHECKS]))})")
    certainty = str(item["certainty"])
    if certainty not in CERTAINTIES:
        raise InputError(where, f"{field_prefix}.certainty", f"expected V, S or U, got {certainty!r}")
    in_force = item.get("in_force") or {}
    fine = item.get("fine", defaults.get("fine"))
    rule = Rule(
        id=rule_id, pack=pack, title=str(item.get("title", rule_id)), check=check,
        citation=str(item["citation"]), certainty=certainty,
        in_force=InForce(_date(in_force.get("from"), where, f"{field_prefix}.in_force.from"),
                         _date(in_force.get("until"), where, f"{field_prefix}.in_force.until")),
        purposes=frozenset(item.get("purposes", defaults.get("purposes", ())) or ()),
        countries=frozenset(item.get("countries", defaults.get("countries", ())) or ()),
        needs=tuple(item.get("needs", ())), params=_strip(item.get("params") or {}),
        fine=Fine(float(fine["low"]), float(fine["high"]), str(fine["currency"]), str(fine.get("per", "breach")),
                  str(fine["citation"])) if fine else None,
    )
    return prepare(rule, where, f"{field_prefix}.params")


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
                    params[param] = yaml.safe_load(raw) if isinstance(raw, str) else raw
                    changed = True
            rules.append(prepare(dataclasses.replace(rule, params=params), "--param", "") if changed else rule)
        out.append(dataclasses.replace(pack, rules=tuple(rules)))
    return out
