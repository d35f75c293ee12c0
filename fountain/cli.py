"""fountain: generate FountainAI's services and bundle from OpenAPI specs, run them locally, deploy them over SSH."""

from __future__ import annotations

import argparse
import sys

from generator import SpecError
from provision import DeployError

from . import check_bundle, deploy, dev, generate, prepare, rollback, status
from .console import console

# In the order `fountain --help` lists them: generation first, then the host.
COMMANDS = (generate, check_bundle, dev, prepare, deploy, rollback, status)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="fountain", description=__doc__)
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
        console.print(f"[red]error[/] {error}")
        return 2
    except DeployError as error:
        first, _, rest = str(error).partition("\n")
        console.print(f"[red]error[/] {first}")
        if rest:
            console.print(rest)
        return 1
    except KeyboardInterrupt:
        if not getattr(args, "on_host", False):
            raise
        console.print("[red]interrupted[/]; the host keeps its current release (an unfinished upload is discarded)")
        return 130


if __name__ == "__main__":
    sys.exit(main())
