"""The ``rtc-egress`` command: ``serve``, ``config show`` and the ``task`` client.

Subcommands are imported when they are run: the task client then starts without loading the server's modules
(aiohttp's server, pydantic models, the store), which used to double its start-up time.
"""

from __future__ import annotations

import importlib

import click

from rtc_egress import __version__

#: name -> "module:attribute" of the click command.
_COMMANDS = {
    "serve": "rtc_egress.runtime.cli:serve",
    "config": "rtc_egress.runtime.cli:config_group",
    "task": "rtc_egress.client.cli:task_group",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rtc-egress")
def cli() -> None:
    """Self-hosted recording of real-time channels and web pages."""


def main() -> None:
    cli(prog_name="rtc-egress")
