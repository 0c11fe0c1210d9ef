"""The ``rtc-egress`` command: ``serve``, ``config show`` and the ``task`` client."""

from __future__ import annotations

import click

from rtc_egress import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rtc-egress")
def cli() -> None:
    """Self-hosted recording of real-time channels and web pages."""


def _register_commands() -> None:
    from rtc_egress.client.cli import task_group
    from rtc_egress.runtime.cli import config_group, serve

    cli.add_command(serve)
    cli.add_command(config_group)
    cli.add_command(task_group)


_register_commands()


def main() -> None:
    cli(prog_name="rtc-egress")
