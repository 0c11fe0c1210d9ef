"""``python -m rtc_egress``: without a subcommand it is ``rtc-egress serve`` (flags included)."""

import sys

from rtc_egress.cli import cli


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help", "--version")):
        args = ["serve", *args]
    cli(args, prog_name="rtc-egress")


if __name__ == "__main__":
    main()
