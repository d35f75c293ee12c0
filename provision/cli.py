"""`fountain deploy | rollback | status`: the provisioning step from a terminal or from Pulumi."""

from __future__ import annotations

import argparse
import json
import stat
import sys
from pathlib import Path

from rich.console import Console

from generator.bundle.envfiles import Secrets

from .connection import Target
from .deploy import DeployOptions, deploy, prepare, rollback, status
from .errors import DeployError
from .lightsail import host_keys
from .registry import Credentials
from .release import build_release

console = Console(stderr=True, soft_wrap=True, highlight=False)


def _host_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("host", help="host name or address")
    parser.add_argument("--port", type=int, default=22)
    parser.add_argument("--user", default="deploy", help="the deploy user on the host (default: deploy)")
    parser.add_argument("--root", default="/srv/fountainai", help="release root on the host")
    parser.add_argument("--identity", type=Path, help="private key file (else the key in the stdin JSON)")
    parser.add_argument("--secrets-stdin", action="store_true", help="read {ssh_private_key, secrets} JSON on stdin")
    parser.add_argument("--known-hosts", type=Path, default=Path.home() / ".ssh" / "known_hosts")
    parser.add_argument("--accept-new-host-key", action="store_true", help="trust a host seen for the first time")
    parser.add_argument("--lightsail-instance", help="pin the host key Lightsail reports for this instance")
    parser.add_argument("--lightsail-region", help="AWS region of --lightsail-instance (else the AWS default)")
    parser.add_argument("--keep", type=int, default=5, help="releases kept on the host")
    parser.add_argument("--lock-ttl", type=float, default=900, help="seconds after which a lock is stale")
    parser.add_argument("--health-timeout", type=float, default=120, help="seconds to wait for healthy services")
    parser.add_argument("--min-free-mb", type=int, default=512, help="refuse to deploy with less free disk")
    parser.add_argument("--wait-ready", type=float, default=0, help="seconds to wait for a booting host (SSH, Docker)")


def register(sub: argparse._SubParsersAction) -> None:
    dep = sub.add_parser(
        "deploy", help="deploy the bundle to a host over SSH (atomic, checked, rolled back on failure)"
    )
    _host_arguments(dep)
    dep.add_argument("--bundle", type=Path, default=Path("."), help="folder holding compose/ and kong/")
    dep.add_argument("--secrets-file", type=Path, help="JSON file of the secrets (mode 0600)")
    dep.add_argument(
        "--image-timeout", type=float, default=600, help="seconds to wait for the images' tags in the registry"
    )
    dep.set_defaults(func=cmd_deploy)
    back = sub.add_parser("rollback", help="switch the host back to the previous (or a named) release")
    _host_arguments(back)
    back.add_argument("--to", help="release name (see `fountain status`)")
    back.set_defaults(func=cmd_rollback)
    stat_ = sub.add_parser("status", help="current release, releases on the host, lock, health")
    _host_arguments(stat_)
    stat_.set_defaults(func=cmd_status)
    prep = sub.add_parser("prepare", help="check the host (Docker, Compose, disk) and create the release layout")
    _host_arguments(prep)
    prep.set_defaults(func=cmd_prepare)


def _stdin_json(args: argparse.Namespace) -> dict:
    if not args.secrets_stdin:
        return {}
    try:
        return json.loads(sys.stdin.read())
    except json.JSONDecodeError as error:
        raise DeployError(f"stdin: not JSON ({error.msg} at line {error.lineno})") from None


def _private_file(path: Path) -> str:
    if not path.is_file():
        raise DeployError(f"{path}: not found")
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise DeployError(f"{path}: readable by others; chmod 600 it")
    return path.read_text()


def _options(args: argparse.Namespace, given: dict) -> DeployOptions:
    key = given.get("ssh_private_key") or (_private_file(args.identity) if args.identity else None)
    if not key:
        raise DeployError("no SSH key: pass --identity FILE or ssh_private_key in the --secrets-stdin JSON")
    pinned = (
        host_keys(args.lightsail_instance, args.lightsail_region, args.wait_ready) if args.lightsail_instance else ()
    )
    target = Target(args.host, args.user, args.port, args.known_hosts, args.accept_new_host_key, host_keys=pinned)
    registry = given.get("registry")
    return DeployOptions(
        target,
        key,
        args.root,
        args.keep,
        args.lock_ttl,
        args.health_timeout,
        args.min_free_mb,
        args.wait_ready,
        # {"username", "password"} in the stdin JSON: wait for the images and log the host in.
        registry=Credentials(str(registry["username"]), str(registry["password"])) if registry else None,
        image_timeout=getattr(args, "image_timeout", 600),
    )


def _secrets(args: argparse.Namespace, given: dict) -> Secrets:
    raw = given.get("secrets")
    if raw is None and args.secrets_file:
        raw = json.loads(_private_file(args.secrets_file))
    if raw is None:
        raise DeployError("no secrets: pass --secrets-file FILE or --secrets-stdin")
    try:
        return Secrets.from_json(raw)
    except ValueError as error:
        raise DeployError(str(error)) from None


def cmd_deploy(args: argparse.Namespace) -> int:
    given = _stdin_json(args)
    options = _options(args, given)
    release = build_release(args.bundle, _secrets(args, given))
    with console.status(f"deploying {release.name}", spinner="dots") as spinner:
        outcome = deploy(options, release, progress=lambda m: (spinner.update(m), console.print(f"  {m}")))
    console.print(f"[green]{outcome.message}[/]")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    options = _options(args, _stdin_json(args))
    outcome = rollback(options, args.to, progress=lambda m: console.print(f"  {m}"))
    console.print(f"[green]{outcome.message}[/]")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    print(json.dumps(prepare(_options(args, _stdin_json(args))), indent=2))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    report = status(_options(args, _stdin_json(args)))
    print(json.dumps(report, indent=2))
    return 0 if report["healthy"] else 1


def run(args: argparse.Namespace) -> int:
    """Run a provisioning command; a DeployError is one message (first line) plus any log tail, exit 1."""
    try:
        return args.func(args)
    except DeployError as error:
        first, _, rest = str(error).partition("\n")
        console.print(f"[red]error[/] {first}")
        if rest:
            console.print(rest)
        return 1
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]; the host keeps its current release (an unfinished upload is discarded)")
        return 130
