"""One way to validate YAML and settings: pydantic models fed by `yamlfile`, one number parser, and
pydantic's errors turned into the project's one error shape `file:line: field: problem`.

Validators raise `Invalid(problem, *below)`; `below` continues the path under the value being
validated (a key, an index), so the error points at the exact line. Pydantic's own errors (a
required key, a wrong type) are worded here once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    PlainValidator,
    ValidationError,
    model_validator,
)
from pydantic_core import core_schema

from mystery_core.errors import InputError
from mystery_core.yamlfile import Keys, LocatedYaml

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class Invalid(ValueError):
    """A problem found by a validator. `below` extends the path (keys, indexes) under the value;
    with `key=True` the last of them is a mapping key that gives the line but not the field."""

    def __init__(self, problem: str, *below: str | int, key: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.below = below
        self.key = key


def number(
    raw: Any,
    expected: str = "a number",
    *,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    whole: bool = False,
    text: bool = False,
    out_of_range: str | None = None,
    where: str | None = None,
    field: str | None = None,
) -> float:
    """The number `raw` within bounds, or `expected {expected}, got {raw!r}`.

    Bounds: `minimum <= value`, `above < value`, `value <= maximum`; a value out of them says
    `expected {out_of_range}` when given. `whole` accepts integers only (returned as int), `text`
    also parses strings (environment variables, the command line). Booleans, NaN and infinities are
    never numbers. Raises `Invalid`, or `InputError(where, field, ...)` when `where` is given.
    """
    value = raw
    if text and isinstance(raw, str):
        try:
            value = int(raw.strip()) if whole else float(raw.strip())
        except ValueError:
            value = None
    problem = None
    kinds = int if whole else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
        problem = f"expected {expected}, got {raw!r}"
    elif ((minimum is not None and value < minimum) or (above is not None and value <= above)
          or (maximum is not None and value > maximum)):
        problem = f"expected {out_of_range or expected}, got {raw!r}"
    if problem is None:
        return value if whole else float(value)
    if where is not None:
        raise InputError(where, field, problem)
    raise Invalid(problem)


def whole_number(raw: Any, expected: str, **bounds: Any) -> int:
    """`number(raw, expected, whole=True, ...)` typed as an int."""
    return int(number(raw, expected, whole=True, **bounds))


class Schema(BaseModel):
    """Base of the YAML schemas: frozen, defaults validated like given values, unknown keys refused
    (worded by `unknown_key`, with `{known}` the accepted keys), numbers accepted where text is."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, coerce_numbers_to_str=True,
                              arbitrary_types_allowed=True, populate_by_name=True)
    unknown_key: ClassVar[str] = "unknown key (expected one of: {known})"
    internal: ClassVar[frozenset[str]] = frozenset()
    """Fields filled after validation (a name taken from the enclosing mapping's key), not from the file."""
    not_mapping: ClassVar[str] = "expected a mapping, got {value!r}"

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise Invalid(cls.not_mapping.format(value=data))
        known = sorted(f.alias or name for name, f in cls.model_fields.items() if name not in cls.internal)
        unknown = sorted(str(k) for k in data if str(k) not in known)
        if unknown:
            raise Invalid(cls.unknown_key.format(known=", ".join(known)), unknown[0])
        return data


def error_path(error: ValidationError, missing: str = "required") -> tuple[Keys, Keys, str]:
    """(keys of the line, keys of the field, problem) of the first error pydantic found."""
    first = error.errors()[0]
    loc: Keys = tuple(first["loc"])
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, Invalid):
        keys = (*loc, *cause.below)
        return keys, keys[:-1] if cause.key else keys, cause.problem
    if loc and loc[-1] == "[key]":
        return loc[:-1], loc[:-2], f"{first['msg'][0].lower()}{first['msg'][1:]}, got {first['input']!r}"
    if first["type"] == "missing":  # `missing` may name the key itself: "missing field {key}"
        if "{key}" in missing:
            return loc, loc[:-1], missing.format(key=repr(loc[-1]))
        return loc, loc, missing
    return loc, loc, f"{first['msg'][0].lower()}{first['msg'][1:]}, got {first['input']!r}"


def validate(model: type[M], doc: LocatedYaml, *, context: Any = None, root: str | None = None,
             missing: str = "required") -> M:
    """`model` validated from a located YAML document; the first problem raises InputError at its line.

    `root` names the field of a problem with the whole document; `missing` words a required key
    (with `{key}` in it, the problem names the key and the field is its parent).
    """
    if doc.data is None and issubclass(model, Schema):  # an empty file is not an empty mapping
        raise doc.error((), model.not_mapping.format(value=None), root=root)
    try:
        return model.model_validate(doc.data, context=context)
    except ValidationError as error:
        keys, field_keys, problem = error_path(error, missing)
        raise doc.error(keys, problem, field_keys, root) from None


def validate_data(model: type[M], data: Any, where: str, *, missing: str = "required") -> M:
    """`model` validated from data without lines (JSON, the environment, flags); errors name `where`."""
    return validate(model, LocatedYaml(where, data, {}), missing=missing)


def under(below: str | int, check: Callable[..., T], *args: Any) -> T:
    """`check(*args)`, with a problem it finds moved one step down the path (under `below`)."""
    try:
        return check(*args)
    except Invalid as error:
        raise Invalid(error.problem, below, *error.below, key=error.key) from None


def nested(model: type[M], data: Any, context: Any, *below: str | int) -> M:
    """`model` validated inside another validator; its first problem becomes an `Invalid` under `below`."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        keys, field_keys, problem = error_path(error)
        raise Invalid(problem, *below, *keys, key=len(field_keys) < len(keys)) from None


# Building blocks for schemas (`Annotated[..., PlainValidator(...)]` types), each with its own wording.


def text(value: Any) -> str:
    """A non-empty text (a number is taken as its text)."""
    if not isinstance(value, str | int | float) or isinstance(value, bool) or str(value) == "":
        raise Invalid(f"expected a non-empty text, got {value!r}")
    return str(value)


def texts(value: Any) -> tuple[str, ...]:
    """One text or a non-empty list of texts."""
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple) or not value:
        raise Invalid(f"expected a text or a non-empty list of texts, got {value!r}")
    return tuple(under(i, text, item) for i, item in enumerate(value))


def flag(value: Any) -> bool:
    """`true` or `false`, nothing else (YAML's yes/no/on/off are already booleans)."""
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {value!r}")
    return value


def time_zone(value: Any) -> str:
    """An IANA time zone name such as Europe/Paris."""
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {value!r}") from None
    return str(value)


def directory(value: Any) -> Path:
    """An existing directory."""
    if not Path(str(value)).is_dir():
        raise Invalid(f"no such directory {str(value)!r}")
    return Path(str(value))


def mapping_of(problem: str, nonempty: bool = False) -> BeforeValidator:
    """Check that a value is a mapping (None counts as empty unless `nonempty`) before its items are."""

    def check(value: Any) -> Any:
        if value is None and not nonempty:
            return {}
        if not isinstance(value, Mapping) or (nonempty and not value):
            raise Invalid(problem)
        return value

    return BeforeValidator(check)


@dataclass(frozen=True)
class AtLeast:
    """Schema metadata: `Annotated[float, AtLeast(1)]`, a number >= 1 (with int, an integer >= 1)."""

    minimum: float

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        whole = source is int
        expected = f"an integer >= {self.minimum:g}" if whole else f"a number >= {self.minimum:g}"

        def check(value: Any) -> float:
            return number(value, expected if whole else "a number", minimum=self.minimum, whole=whole,
                          out_of_range=expected)

        return core_schema.no_info_plain_validator_function(check)


Texts = Annotated[tuple[str, ...], PlainValidator(texts)]
Flag = Annotated[bool, PlainValidator(flag)]
