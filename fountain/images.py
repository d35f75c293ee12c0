"""`fountain images`: build and push each service image the registry does not hold yet (CI, before `pulumi up`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .console import console


def register(sub: argparse._SubParsersAction) -> None:
    images = sub.add_parser(
        "images",
        help="build and push the service images the registry lacks, tagged by content hash",
        description="Registry credentials come from DOCKER_USERNAME and DOCKER_PASSWORD, the image names from "
        "FOUNTAIN_IMAGE_PREFIX; the engine from DOCKER_HOST (default: the local socket).",
    )
    images.add_argument("path", nargs="?", type=Path, default=Path("specs"), help="the specs (default: specs/)")
    images.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import docker
    import docker.errors

    from generator import build
    from generator.contract import load_settings
    from provision.images import auth_from_env, publish

    settings = load_settings()
    trees = build(args.path, Path.cwd(), settings=settings).trees
    auth = auth_from_env(settings.image_prefix)
    try:
        client = docker.from_env()
        publish(client, trees, settings.image_prefix, auth, report=console.print)
    except docker.errors.DockerException as error:
        console.print(f"[red]error[/] container engine: {error}")
        return 1
    return 0
