"""`fountain status`: what runs on a host, as JSON on stdout; exit 1 when something is unhealthy."""

from __future__ import annotations

import argparse
import json

from provision import status

from .host_options import add_host_arguments, deploy_options, stdin_json


def register(sub: argparse._SubParsersAction) -> None:
    stat_ = sub.add_parser("status", help="current release, releases on the host, lock, health")
    add_host_arguments(stat_)
    stat_.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report = status(deploy_options(args, stdin_json(args)))
    print(json.dumps(report, indent=2))
    return 0 if report["healthy"] else 1
