"""YAML that remembers where each value came from, so errors can say `file:line: field: problem`.

The one YAML reader of the project: safe tags only, every mapping key and sequence item keeps its
line, and aliases are bounded (a "billion laughs" file is refused instead of eating the memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mystery_core.errors import InputError

MAX_ALIASES = 100
"""Alias uses (`*name`) allowed in one document; real configs use a handful."""
MAX_VALUES = 100_000
"""Values a document may expand to once its aliases are resolved."""

Keys = tuple[str | int, ...]
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass(frozen=True)
class LocatedYaml:
    """Parsed YAML plus the line (1-based) of every mapping key and sequence item, by path."""

    path: str
    data: Any
    lines: dict[Keys, int]

    def where(self, *keys: str | int) -> str:
        """`file:line` of the deepest known prefix of `keys` (the file alone if none)."""
        for end in range(len(keys), -1, -1):
            line = self.lines.get(tuple(keys[:end]))
            if line is not None:
                return f"{self.path}:{line}"
        return self.path

    def error(self, keys: Keys, problem: str, field_keys: Keys | None = None,
              root: str | None = None) -> InputError:
        """InputError at the line of `keys`, naming `field_keys` (default `keys`; `root` when empty)."""
        shown = keys if field_keys is None else field_keys
        field = ".".join(f"[{k}]" if isinstance(k, int) else str(k) for k in shown).replace(".[", "[")
        return InputError(self.where(*keys), field or root, problem)


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses more than MAX_ALIASES alias uses."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.current_event.start_mark  # the alias event check_event just read
                raise yaml.composer.ComposerError(None, None, f"more than {MAX_ALIASES} aliases", mark)
        return super().compose_node(parent, index)


class _Builder:
    """Node graph -> plain Python values, recording lines; counts values to bound alias expansion."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: dict[Keys, int] = {}
        self.count = 0
        self.scalars = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, keys: Keys) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise InputError(f"{self.path}:{node.start_mark.line + 1}", None,
                             f"the document expands to more than {MAX_VALUES} values (nested aliases?)")
        self.lines.setdefault(keys, node.start_mark.line + 1)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
            raise InputError(f"{self.path}:{node.start_mark.line + 1}", None,
                             f"invalid YAML: unsupported tag {node.tag}")
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                # Keys stay text: YAML 1.1 would turn `on:` (a step trigger) into True.
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else str(
                    self.build(key_node, (*keys, "(key)")))
                self.lines[(*keys, key)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, (*keys, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*keys, i)) for i, item in enumerate(node.value)]
        return self.scalars.construct_object(node, deep=True)


def _invalid(error: yaml.YAMLError, path: str) -> InputError:
    mark = getattr(error, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark else path
    return InputError(where, None, f"invalid YAML: {getattr(error, 'problem', None) or error}")


def parse_located_yaml(text: str, path: str) -> LocatedYaml:
    """Parse YAML text read from `path`; invalid YAML raises InputError with file and line."""
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as error:
        raise _invalid(error, path) from None
    finally:
        loader.dispose()
    builder = _Builder(path)
    try:
        data = None if node is None else builder.build(node, ())
    except yaml.YAMLError as error:  # a scalar that its tag cannot construct, e.g. a bad !!timestamp
        raise _invalid(error, path) from None
    return LocatedYaml(path, data, builder.lines)


def load_located_yaml(path: str | Path) -> LocatedYaml:
    """Read a YAML file; unreadable or invalid files raise InputError with file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(str(path), None, f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(str(path), None, "not UTF-8 text") from None
    return parse_located_yaml(text, str(path))
