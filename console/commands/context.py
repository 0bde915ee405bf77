"""What every `mystery` subcommand gets from the group: the settings file, the flags that override
settings, and `--verbose`, as one typed object in the click context (never in the environment)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from mystery_core.settings import Settings


@dataclass(frozen=True)
class CommandContext:
    """config_file: --config (or MYSTERY_CONFIG); overrides: the group's setting flags (--database-url);
    verbose: tracebacks and DEBUG log lines."""

    config_file: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    verbose: bool = False

    def settings(self, **overrides: Any) -> Settings:
        """Settings for a subcommand: the group's --config/--database-url plus the command's own flags.

        A bad settings file or value is a click error (exit 1), before the command starts its work."""
        from mystery_core.errors import InputError
        from mystery_core.settings import load_settings

        try:
            return load_settings(self.config_file, overrides={**self.overrides, **overrides})
        except InputError as error:
            raise click.ClickException(str(error)) from None


def command_context(ctx: click.Context) -> CommandContext:
    """The group's CommandContext (a default one when a subcommand runs on its own, as in some tests)."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CommandContext) else CommandContext()


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    """The typed settings of the running subcommand (see CommandContext.settings)."""
    return command_context(ctx).settings(**overrides)
