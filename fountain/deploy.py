"""`fountain deploy`: the bundle and its secrets to a host over SSH, checked, rolled back on failure."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from provision import DeployError, deploy
from provision.envfiles import SECRETS_FORMAT, Secrets
from provision.gateway_tls import Tls
from provision.release import build_release

from .console import console
from .host_options import add_host_arguments, deploy_options, private_file, stdin_json


def register(sub: argparse._SubParsersAction) -> None:
    dep = sub.add_parser(
        "deploy",
        help="deploy the bundle to a host over SSH (atomic, checked, rolled back on failure)",
        epilog=f'The secrets (--secrets-file, or the stdin JSON\'s "secrets") are one JSON object: {SECRETS_FORMAT}',
    )
    add_host_arguments(dep)
    dep.add_argument("--bundle", type=Path, default=Path("."), help="folder holding compose/ and kong/")
    dep.add_argument("--secrets-file", type=Path, help="JSON file of the secrets, mode 0600 (format below)")
    dep.add_argument("--domain", help="the gateway's domain name: TLS by Let's Encrypt, HTTP redirected to HTTPS")
    dep.add_argument("--acme-email", help="Let's Encrypt account email (required with --domain)")
    dep.add_argument("--acme-staging", action="store_true", help="Let's Encrypt's staging directory (test certs)")
    dep.add_argument(
        "--image-timeout", type=float, default=600, help="seconds to wait for the images' tags in the registry"
    )
    dep.set_defaults(func=run)


def secrets(args: argparse.Namespace, given: dict) -> Secrets:
    """The secrets from the stdin JSON, else from --secrets-file."""
    raw, source = given.get("secrets"), "stdin: secrets"
    if raw is None and args.secrets_file:
        source = str(args.secrets_file)
        try:
            raw = json.loads(private_file(args.secrets_file))
        except json.JSONDecodeError as error:
            raise DeployError(
                f"{source}: not JSON ({error.msg} at line {error.lineno}); expected {SECRETS_FORMAT}"
            ) from None
    if raw is None:
        raise DeployError("no secrets: pass --secrets-file FILE or --secrets-stdin")
    try:
        return Secrets.from_json(raw, source)
    except ValueError as error:
        raise DeployError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    given = stdin_json(args)
    options = deploy_options(args, given)
    checked = secrets(args, given)  # a bad secrets file is one error line, before any warning
    tls = None
    if args.domain:
        if not args.acme_email:
            raise DeployError("--domain needs --acme-email (the Let's Encrypt account)")
        tls = Tls(args.domain, args.acme_email, args.acme_staging)
    else:
        console.print(
            "[yellow]warning[/] no --domain: the gateway serves plain HTTP and API keys cross the network in clear"
        )
    release = build_release(args.bundle, checked, tls)
    with console.status(f"deploying {release.name}", spinner="dots") as spinner:
        outcome = deploy(options, release, progress=lambda m: (spinner.update(m), console.print(f"  {m}")))
    console.print(f"[green]{outcome.message}[/]")
    return 0
