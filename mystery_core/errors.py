"""One error shape for bad input: `file:line: field: problem`, shown as one line, exit 2."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

EXIT_BAD_INPUT = 2


class MysteryError(Exception):
    """Base class of the errors this project raises on purpose."""


class InputError(MysteryError):
    """Input that cannot be used. `where` is "file:line" (or just "file", or a CLI option)."""

    def __init__(self, where: str, field: str | None, problem: str) -> None:
        self.where = where
        self.field = field
        self.problem = problem
        parts = [p for p in (where, field) if p]
        super().__init__(": ".join([*parts, problem]))


def exit_on_input_error(func: F) -> F:
    """Wrap a click command: an InputError becomes one line on stderr and exit code 2.

    With MYSTERY_VERBOSE=1 (set by `--verbose`) the traceback is shown too.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as error:
            import os

            if os.environ.get("MYSTERY_VERBOSE") == "1":
                raise
            print(f"error: {error}", file=sys.stderr)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper  # type: ignore[return-value]
