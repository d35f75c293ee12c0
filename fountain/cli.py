"""fountain: FountainAI from OpenAPI specs to services, bundle and a deployed host."""

from __future__ import annotations

import argparse
import sys

from generator import SpecError
from provision import DeployError

from . import check_bundle, deploy, dev, generate, images, implement, prepare, rollback, status
from .console import console, print_error

# In the order `fountain --help` lists them: generation first, then the host.
COMMANDS = (generate, implement, check_bundle, dev, images, prepare, deploy, rollback, status)


class _OneLineHelp(argparse.HelpFormatter):
    """Help wide enough that every sub-command gets exactly one line."""

    def __init__(self, prog: str):
        super().__init__(prog, max_help_position=24, width=110)

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        # argparse measures sub-command names two columns left of where it prints them, so the longest wraps.
        if isinstance(action, argparse._SubParsersAction):
            self._action_max_length += 2


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="fountain", description=__doc__, formatter_class=_OneLineHelp)
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return root


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; a user's mistake is one message and an exit code, never a traceback."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SpecError as error:
        print_error(error)
        return 2
    except DeployError as error:
        first, _, rest = str(error).partition("\n")
        print_error(first)
        if rest:
            console.print(rest, markup=False)
        return 1
    except KeyboardInterrupt:
        if not getattr(args, "on_host", False):
            raise
        console.print("[red]interrupted[/]; the host keeps its current release (an unfinished upload is discarded)")
        return 130


if __name__ == "__main__":
    sys.exit(main())
