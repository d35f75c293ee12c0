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
    gen.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="where the trees go (default: build/services; with --check, trees are compared only when given)",
    )
    gen.add_argument(
        "--handlers",
        type=Path,
        default=None,
        help="folder of hand-written handlers, one subfolder per service (default: services/ for the project's "
        "own specs, else a handlers/ folder beside the output)",
    )
    gen.add_argument(
        "--bundle",
        type=Path,
        default=None,
        help="where compose/ and kong/ go (default: the project for its own specs/, else not written)",
    )
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 listing every file that differs")
    gen.add_argument(
        "--allow-destructive",
        action="store_true",
        help="write a migration that drops or narrows columns (refused otherwise, naming the field)",
    )
    gen.set_defaults(func=run)


def report(result: Result) -> None:
    """Warnings, new stubs and changed stub signatures, one line each."""
    for warning in result.warnings:
        console.print(f"[yellow]warning[/] {warning}")
    for stub in result.new_stubs:
        kind = "new revision" if "/migrations/versions/" in stub else "new stub"
        console.print(f"[cyan]{kind}[/] {_shown(result.stub_file(stub))}")
    for changed in result.changed_signatures:
        console.print(f"[red]signature changed[/] {changed}")


def _shown(path: Path) -> Path:
    """A path relative to the current folder when it lies inside it, else absolute."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def _is_project_specs(path: Path) -> bool:
    return path.resolve() == (Path.cwd() / "specs").resolve()


def bundle_dir(path: Path, bundle: Path | None) -> Path | None:
    """The project's own specs/ bundle into the project (compose/, kong/); other specs only when asked."""
    if bundle is not None:
        return bundle
    return Path.cwd() if _is_project_specs(path) else None


def handlers_dir(path: Path, out: Path | None, handlers: Path | None) -> Path:
    """The project's handlers are its services/; another spec's go beside the output, never into this project."""
    if handlers is not None:
        return handlers
    if _is_project_specs(path) or out is None:
        return Path.cwd() / "services"
    return out.parent / "handlers"


def generate_with_progress(
    path: Path,
    out: Path | None,
    check: bool,
    bundle: Path | None = None,
    handlers: Path | None = None,
    allow_destructive: bool = False,
) -> Result:
    """Generate from the current project, showing which service is being worked on."""
    with console.status("generating", spinner="dots") as status:
        return generate_trees(
            path,
            out,
            project_root=Path.cwd(),
            bundle_dir=bundle_dir(path, bundle),
            check=check,
            progress=lambda m: status.update(m),
            handlers_dir=handlers_dir(path, out, handlers),
            allow_destructive=allow_destructive,
        )


def run(args: argparse.Namespace) -> int:
    # --check compares what a project commits (bundle, handler stubs); the trees only when -o names them,
    # since the default build/ is ignored by git and absent on a fresh clone.
    out = args.output if args.output is not None or args.check else Path("build/services")
    result = generate_with_progress(args.path, out, args.check, args.bundle, args.handlers, args.allow_destructive)
    report(result)
    if args.check:
        for difference in result.differences:
            console.print(f"[red]differs[/] {difference}")
        if result.differences or result.changed_signatures:
            console.print(
                f"{len(result.differences)} file(s) differ from what the specs produce; run `fountain generate`"
            )
            return 1
        compared = ["the bundle"] if bundle_dir(args.path, args.bundle) else []
        compared.append(f"the handlers in {_shown(result.handlers)}")
        if out is not None:
            compared.append(f"the trees in {out}")
        console.print(f"[green]up to date[/]: {len(result.services)} service(s); compared {', '.join(compared)}")
        return 0
    where = bundle_dir(args.path, args.bundle)
    console.print(f"[green]generated[/] {len(result.services)} service(s) into {out}")
    console.print(f"[green]handlers[/] in {_shown(result.handlers)} ({len(result.new_stubs)} new stub(s))")
    if where is not None:
        console.print(f"[green]bundle[/] {', '.join(str(where / rel) for rel in result.bundle)}")
    return 0
