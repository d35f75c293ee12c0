"""`fountain generate`: one service tree per spec plus the bundle, or with --check the files that differ."""

from __future__ import annotations

import argparse
from pathlib import Path

from generator import Result
from generator import generate as generate_trees

from .console import console


def register(sub: argparse._SubParsersAction) -> None:
    gen = sub.add_parser("generate", help="generate one service tree per spec (or check them)")
    gen.add_argument("path", nargs="?", type=Path, default=Path("specs"), help="spec file or folder (default: specs/)")
    gen.add_argument("-o", "--output", type=Path, default=Path("build/services"), help="where the trees go")
    gen.add_argument(
        "--bundle",
        type=Path,
        default=None,
        help="where compose/ and kong/ go (default: the project for its own specs/, else not written)",
    )
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 listing every file that differs")
    gen.set_defaults(func=run)


def report(result: Result) -> None:
    """Warnings, new stubs and changed stub signatures, one line each."""
    for warning in result.warnings:
        console.print(f"[yellow]warning[/] {warning}")
    for stub in result.new_stubs:
        console.print(f"[cyan]new stub[/] {stub}")
    for changed in result.changed_signatures:
        console.print(f"[red]signature changed[/] {changed}")


def bundle_dir(path: Path, bundle: Path | None) -> Path | None:
    """The project's own specs/ bundle into the project (compose/, kong/); other specs only when asked."""
    if bundle is not None:
        return bundle
    return Path.cwd() if path.resolve() == (Path.cwd() / "specs").resolve() else None


def generate_with_progress(path: Path, out: Path, check: bool, bundle: Path | None = None) -> Result:
    """Generate from the current project, showing which service is being worked on."""
    with console.status("generating", spinner="dots") as status:
        return generate_trees(
            path,
            out,
            project_root=Path.cwd(),
            bundle_dir=bundle_dir(path, bundle),
            check=check,
            progress=lambda m: status.update(m),
        )


def run(args: argparse.Namespace) -> int:
    result = generate_with_progress(args.path, args.output, args.check, args.bundle)
    report(result)
    if args.check:
        for difference in result.differences:
            console.print(f"[red]differs[/] {difference}")
        if result.differences or result.changed_signatures:
            console.print(
                f"{len(result.differences)} file(s) differ from what the specs produce; run `fountain generate`"
            )
            return 1
        console.print(f"[green]up to date[/]: {len(result.services)} service(s)")
        return 0
    where = bundle_dir(args.path, args.bundle)
    console.print(f"[green]generated[/] {len(result.services)} service(s) into {args.output}")
    if where is not None:
        console.print(f"[green]bundle[/] {', '.join(str(where / rel) for rel in result.bundle)}")
    return 0
