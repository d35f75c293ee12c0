"""`fountain check-bundle`: compose/ and kong/ against our rules and the real validators."""

from __future__ import annotations

import argparse
from pathlib import Path

from .console import console, print_error


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check-bundle", help="check compose/ and kong/ with our rules and the real validators")
    check.add_argument("root", nargs="?", type=Path, default=Path("."), help="folder holding compose/ and kong/")
    check.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from generator.bundle import BUNDLE_FILES, load_settings
    from generator.bundle.checks import bundle_problems
    from generator.bundle.tools import validate_bundle

    missing = [rel for rel in BUNDLE_FILES if not (args.root / rel).is_file()]
    if missing:
        print_error(f"{args.root / missing[0]}: not found; run `fountain generate`")
        return 2
    files = {rel: (args.root / rel).read_text() for rel in BUNDLE_FILES}
    problems = bundle_problems(files, load_settings())
    with console.status("running docker-compose config, check-jsonschema and deck validate", spinner="dots"):
        results = validate_bundle(files)
    problems += [f"{r.tool}: {r.output}" for r in results if not r.ok]
    for problem in problems:
        console.print(f"[red]problem[/] {problem}")
    if problems:
        return 1
    console.print(f"[green]bundle ok[/]: our checks and {', '.join(r.tool for r in results)}")
    return 0
