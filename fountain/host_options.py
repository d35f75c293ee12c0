"""What every host sub-command shares: the host arguments, the SSH key and the secrets they read."""

from __future__ import annotations

import argparse
import json
import stat
import sys
from pathlib import Path

from provision import DeployError, DeployOptions
from provision.connection import Target
from provision.layout import DEFAULT_ROOT
from provision.lightsail import host_keys
from provision.registry import Credentials


def add_host_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("host", help="host name or address")
    parser.add_argument("--port", type=int, default=22)
    parser.add_argument("--user", default="deploy", help="the deploy user on the host (default: deploy)")
    parser.add_argument("--root", default=DEFAULT_ROOT, help="release root on the host")
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
    parser.set_defaults(on_host=True)


def stdin_json(args: argparse.Namespace) -> dict:
    """The {ssh_private_key, secrets} JSON Pulumi sends on stdin, or {} without --secrets-stdin."""
    if not args.secrets_stdin:
        return {}
    try:
        return json.loads(sys.stdin.read())
    except json.JSONDecodeError as error:
        raise DeployError(f"stdin: not JSON ({error.msg} at line {error.lineno})") from None


def private_file(path: Path) -> str:
    """A file only its owner may read (a key or the secrets), as text."""
    if not path.is_file():
        raise DeployError(f"{path}: not found")
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise DeployError(f"{path}: readable by others; chmod 600 it")
    return path.read_text()


def deploy_options(args: argparse.Namespace, given: dict) -> DeployOptions:
    """The target and the knobs of a host command, with the SSH key from --identity or the stdin JSON."""
    key = given.get("ssh_private_key") or (private_file(args.identity) if args.identity else None)
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
