"""The one YAML loader and validation helper: lines for every key and item, aliases bounded, one error
shape."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest

from mystery_core.errors import InputError
from mystery_core.validate import AtLeast, Invalid, Schema, number, validate
from mystery_core.yamlfile import MAX_ALIASES, load_located_yaml, parse_located_yaml


def test_every_mapping_key_and_sequence_item_keeps_its_line() -> None:
    text = "name: x\nitems:\n  - id: a\n    rules:\n      - {keywords: [b, c]}\n  - id: d\n"
    doc = parse_located_yaml(text, "f.yaml")
    assert {"name": "x", "items": [{"id": "a", "rules": [{"keywords": ["b", "c"]}]}, {"id": "d"}]} == doc.data
    assert 1 == doc.lines[("name",)]
    assert 3 == doc.lines[("items", 0)]
    assert 4 == doc.lines[("items", 0, "rules")]
    assert 5 == doc.lines[("items", 0, "rules", 0, "keywords", 1)]
    assert 6 == doc.lines[("items", 1, "id")]
    assert "f.yaml:6" == doc.where("items", 1, "id", "unknown", "deeper")


def test_keys_stay_text() -> None:
    assert {"on": "prompt_ended", "1": "busy"} == parse_located_yaml("on: prompt_ended\n1: busy\n", "f").data


def test_a_few_aliases_are_fine() -> None:
    doc = parse_located_yaml("base: &b {a: 1}\none: *b\ntwo: *b\n", "f.yaml")
    assert {"a": 1} == doc.data["two"]


def test_a_billion_laughs_is_refused_with_its_line() -> None:
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, 9):
        prev = chr(ord("a") + n - 1)
        levels.append(f"{chr(ord('a') + n)}: &{chr(ord('a') + n)} [{', '.join(['*' + prev] * 10)}]")
    with pytest.raises(InputError) as error:
        parse_located_yaml("\n".join(levels) + "\n", "laughs.yaml")
    assert error.value.where.startswith("laughs.yaml:")
    assert "more than" in error.value.problem


def test_too_many_aliases_are_refused() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(InputError) as error:
        parse_located_yaml(text, "many.yaml")
    assert f"many.yaml:2: invalid YAML: more than {MAX_ALIASES} aliases" == str(error.value)


def test_unsafe_tags_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("x: !!python/object/apply:os.system [echo hi]\n")
    with pytest.raises(InputError) as error:
        load_located_yaml(path)
    assert str(error.value).startswith(f"{path}:1: invalid YAML")


class _Item(Schema):
    id: str
    weight: Annotated[float, AtLeast(1)] = 1


class _Doc(Schema):
    items: list[_Item]


def test_a_pydantic_error_becomes_file_line_field_problem() -> None:
    doc = parse_located_yaml("items:\n  - id: a\n  - id: b\n    weight: 0\n", "w.yaml")
    with pytest.raises(InputError) as error:
        validate(_Doc, doc)
    assert "w.yaml:4: items[1].weight: expected a number >= 1, got 0" == str(error.value)
    doc = parse_located_yaml("items:\n  - id: a\n    colour: red\n", "w.yaml")
    with pytest.raises(InputError) as error:
        validate(_Doc, doc)
    assert "w.yaml:3: items[0].colour: unknown key (expected one of: id, weight)" == str(error.value)
    doc = parse_located_yaml("items:\n  - weight: 2\n", "w.yaml")
    with pytest.raises(InputError) as error:
        validate(_Doc, doc, missing="missing")
    assert "w.yaml:2: items[0].id: missing" == str(error.value)


def test_one_number_parser() -> None:
    assert 2.5 == number(2.5)
    assert 3 == number("3", whole=True, text=True)
    with pytest.raises(Invalid, match=r"^expected a number, got True$"):
        number(True)
    with pytest.raises(Invalid, match=r"^expected a number, got nan$"):
        number(float("nan"))
    with pytest.raises(Invalid, match=r"^expected a whole number from 1 to 9, got 2.5$"):
        number(2.5, "a whole number from 1 to 9", minimum=1, maximum=9, whole=True)
    with pytest.raises(Invalid, match=r"^expected a number >= 1, got 0$"):
        number(0, "a number", minimum=1, out_of_range="a number >= 1")
    with pytest.raises(InputError, match=r"^f.yaml: x: expected a positive number, got -1$"):
        number(-1, "a positive number", above=0, where="f.yaml", field="x")
