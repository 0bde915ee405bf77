"""`mystery config show`: every setting, its value and where it came from (secrets masked)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from console.commands.context import settings_from


@click.group()
def config() -> None:
    """Inspect settings."""


@config.command("show")
@click.pass_context
def show(ctx: click.Context) -> None:
    """Print each setting with its value and source."""
    settings = settings_from(ctx)
    table = Table("setting", "value", "source", "meaning")
    for row in settings.describe():
        table.add_row(*row)
    Console().print(table)
