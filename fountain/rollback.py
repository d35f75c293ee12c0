"""`fountain rollback`: the host back to its previous (or a named) release."""

from __future__ import annotations

import argparse

from provision import rollback

from .console import console
from .host_options import add_host_arguments, deploy_options, stdin_json


def register(sub: argparse._SubParsersAction) -> None:
    back = sub.add_parser("rollback", help="switch the host back to the previous (or a named) release")
    add_host_arguments(back)
    back.add_argument("--to", help="release name (see `fountain status`)")
    back.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = deploy_options(args, stdin_json(args))
    outcome = rollback(options, args.to, progress=lambda m: console.print(f"  {m}"))
    console.print(f"[green]{outcome.message}[/]")
    return 0
