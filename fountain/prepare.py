"""`fountain prepare`: check a host (Docker, Compose, disk) and create the release layout; idempotent."""

from __future__ import annotations

import argparse
import json

from provision import prepare

from .host_options import add_host_arguments, deploy_options, stdin_json


def register(sub: argparse._SubParsersAction) -> None:
    prep = sub.add_parser("prepare", help="check the host (Docker, Compose, disk) and create the release layout")
    add_host_arguments(prep)
    prep.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(prepare(deploy_options(args, stdin_json(args))), indent=2))
    return 0
