"""YAML that remembers where each value came from, so errors can say `file:line: field: problem`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mystery_core.errors import InputError


@dataclass(frozen=True)
class LocatedYaml:
    """Parsed YAML plus the line (1-based) of every mapping key and sequence item, by path."""

    path: str
    data: Any
    lines: dict[tuple[str | int, ...], int]

    def where(self, *keys: str | int) -> str:
        """`file:line` of the deepest known prefix of `keys` (the file alone if none)."""
        for end in range(len(keys), -1, -1):
            line = self.lines.get(tuple(keys[:end]))
            if line is not None:
                return f"{self.path}:{line}"
        return self.path

    def error(self, keys: tuple[str | int, ...], problem: str) -> InputError:
        field = ".".join(f"[{k}]" if isinstance(k, int) else str(k) for k in keys).replace(".[", "[")
        return InputError(self.where(*keys), field or None, problem)


def _to_python(node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            # Keys stay text: YAML 1.1 would turn `on:` (a step trigger) into True.
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else str(
                yaml.safe_load(yaml.serialize(key_node)))
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _to_python(value_node, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def load_located_yaml(path: str | Path) -> LocatedYaml:
    """Read a YAML file; unreadable or invalid files raise InputError with file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(str(path), None, f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(str(path), None, "not UTF-8 text") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(where, None, f"invalid YAML: {getattr(error, 'problem', None) or error}") from None
    lines: dict[tuple[str | int, ...], int] = {}
    data = None if node is None else _to_python(node, (), lines)
    return LocatedYaml(str(path), data, lines)
