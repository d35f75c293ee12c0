"""`fountain deploy`: the bundle and its secrets to a host over SSH, checked, rolled back on failure."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from provision import DeployError, deploy
from provision.envfiles import Secrets
from provision.release import build_release

from .console import console
from .host_options import add_host_arguments, deploy_options, private_file, stdin_json


def register(sub: argparse._SubParsersAction) -> None:
    dep = sub.add_parser(
        "deploy", help="deploy the bundle to a host over SSH (atomic, checked, rolled back on failure)"
    )
    add_host_arguments(dep)
    dep.add_argument("--bundle", type=Path, default=Path("."), help="folder holding compose/ and kong/")
    dep.add_argument("--secrets-file", type=Path, help="JSON file of the secrets (mode 0600)")
    dep.set_defaults(func=run)


def secrets(args: argparse.Namespace, given: dict) -> Secrets:
    """The secrets from the stdin JSON, else from --secrets-file."""
    raw = given.get("secrets")
    if raw is None and args.secrets_file:
        raw = json.loads(private_file(args.secrets_file))
    if raw is None:
        raise DeployError("no secrets: pass --secrets-file FILE or --secrets-stdin")
    try:
        return Secrets.from_json(raw)
    except ValueError as error:
        raise DeployError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    given = stdin_json(args)
    options = deploy_options(args, given)
    release = build_release(args.bundle, secrets(args, given))
    with console.status(f"deploying {release.name}", spinner="dots") as spinner:
        outcome = deploy(options, release, progress=lambda m: (spinner.update(m), console.print(f"  {m}")))
    console.print(f"[green]{outcome.message}[/]")
    return 0
