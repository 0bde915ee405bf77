"""`mystery` command line: a thin layer; each command builds Settings, makes one call, prints.

Subcommands are imported lazily so that `mystery --help` and `mystery config show` start fast
and do not need the SIP or audio extras. The group's options reach them as one typed
`console.commands.context.CommandContext` in the click context.
"""

from __future__ import annotations

import importlib

import click

from console.commands.context import CommandContext
from mystery_core.errors import configure_logging

# name -> "module:attribute" of a click command; one entry per command.
SUBCOMMANDS: dict[str, str] = {
    "call": "console.commands.call:call",
    "campaign": "console.commands.campaign:campaign",
    "config": "console.commands.config:config",
    "demo": "console.commands.demo:demo",
    "report": "console.commands.report:report",
    "switchboard": "switchboard.cli:switchboard",
    "transcribe": "console.commands.transcribe:transcribe",
    "models": "console.commands.transcribe:models",
    "analyse": "console.commands.analyse:analyse",
    "web": "console.commands.web:web",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            missing = getattr(error, "name", None) or str(error)
            raise click.ClickException(
                f"`mystery {name}` needs a module that is not installed ({missing}); "
                "install the extras: pip install 'mystery[all]'") from error
        command: click.Command = getattr(module, attribute)
        return command


@click.group(cls=LazyGroup)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), envvar="MYSTERY_CONFIG",
              help="Settings file (YAML); default ./mystery.yaml if present.")
@click.option("--database-url", help="SQLAlchemy URL of the store (overrides MYSTERY_DATABASE_URL).")
@click.option("--verbose", is_flag=True, help="Show details and tracebacks on errors.")
@click.version_option(package_name="mystery")
@click.pass_context
def main(ctx: click.Context, config_file: str | None, database_url: str | None, verbose: bool) -> None:
    """Mystery calls to a client's phone lines: dial, record, measure, value, report."""
    configure_logging(verbose)
    ctx.obj = CommandContext(config_file=config_file, overrides={"database_url": database_url}, verbose=verbose)
