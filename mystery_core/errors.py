"""One error shape for bad input: `file:line: field: problem`, shown as one line, exit 2.

How both command lines report: `--verbose` shows the traceback instead of the one line and the
project's DEBUG log lines; the flag travels in the click context (the group's `ctx.obj.verbose`),
never through the environment. Log lines go to stderr, one line each.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TextIO, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

EXIT_BAD_INPUT = 2
PROJECT_LOGGERS = ("mystery_core", "mystery", "campaigns", "console", "switchboard")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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


def verbose_requested() -> bool:
    """Whether the running command's group was given `--verbose` (its context object's `verbose`)."""
    import click

    ctx = click.get_current_context(silent=True)
    return ctx is not None and bool(getattr(ctx.find_root().obj, "verbose", False))


def exit_on_input_error(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a click command: an InputError becomes one line on stderr and exit code 2.

    With the group's `--verbose` the traceback is shown too.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except InputError as error:
            if verbose_requested():
                raise
            print(f"error: {error}", file=sys.stderr)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


class _CurrentStderr(logging.StreamHandler[TextIO]):
    """A handler writing to whatever `sys.stderr` is when a record is emitted (a test runner or a progress
    bar may swap it after the handler was made)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(verbose: bool = False) -> None:
    """The command lines' logging, set once per process: one line per record on stderr; the project's
    loggers at INFO (DEBUG with `--verbose`); other libraries' at WARNING, as Python's default."""
    root = logging.getLogger()
    if not any(isinstance(handler, _CurrentStderr) for handler in root.handlers):
        handler = _CurrentStderr()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
