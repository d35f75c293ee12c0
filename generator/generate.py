"""The generator's entry point: specs in, service trees (and new handler stubs) out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .bundle import BundleSettings, build_bundle, load_settings
from .errors import SpecError
from .formatting import format_trees
from .migrations import VERSIONS, next_revision
from .model import Service
from .render import handler_tree_path, render_revision, render_service
from .specs import Progress, load_services
from .stubs import async_hooks, defines, domain_operations, domain_path, recorded_signature, stub_spec
from .writer import diff_files, diff_tree, existing_files, write_files, write_new_file, write_tree

# What `fountain implement` keeps beside a domain module: its acceptance checks, provenance records and
# proposals. They describe the code; the service does not run them, so they stay out of its tree and image.
_NOT_SHIPPED = {"checks", "provenance", "proposals"}


@dataclass
class Result:
    services: list[Service]
    warnings: list[str] = field(default_factory=list)
    new_stubs: list[str] = field(default_factory=list)
    changed_signatures: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    bundle: dict[str, str] = field(default_factory=dict)
    handlers: Path = Path("services")

    def stub_file(self, stub: str) -> Path:
        """Where a new stub (named services/<slug>/... in the trees) lives on disk."""
        return self.handlers / Path(stub).relative_to("services")


def build(
    path: Path,
    project_root: Path,
    progress: Progress | None = None,
    settings: BundleSettings | None = None,
    handlers_dir: Path | None = None,
    *,
    allow_destructive: bool = False,
) -> Result:
    """Everything in memory: load, render, merge hand-written handlers, format, bundle. Writes nothing.

    Hand-written handlers live in handlers_dir/<slug>/ (default: the project's services/).
    """
    settings = settings or load_settings()
    services = load_services(path, progress)
    result = Result(services, handlers=handlers_dir or project_root / "services")
    trees: dict[str, dict[str, str]] = {}
    keep: dict[str, set[str]] = {}
    stub_locations: dict[str, dict[str, str]] = {}
    for service in services:
        result.warnings.extend(service.warnings)
        if progress:
            progress(f"{service.slug}: render")
        files, stubs = render_service(service, services)
        written = existing_files(result.handlers / service.slug)
        keep[service.slug] = set()
        stub_locations[service.slug] = {}
        for rel, data in written.items():
            if rel.split("/", 1)[0] in _NOT_SHIPPED:
                continue
            tree_rel = handler_tree_path(service, f"services/{service.slug}/{rel}")
            files[tree_rel] = data.decode("utf-8")
            keep[service.slug].add(tree_rel)
        history = {
            Path(rel).name: data.decode("utf-8")
            for rel, data in written.items()
            if rel.startswith(VERSIONS + "/") and rel.endswith(".py")
        }
        revision = next_revision(service.tables, history, service.latest.file, allow_destructive=allow_destructive)
        if revision is not None:
            # A new revision is written into services/ once, like a stub, and never rewritten.
            stubs[f"services/{service.slug}/{VERSIONS}/{revision['file']}"] = render_revision(service, revision)
        for stub, text in stubs.items():
            tree_rel = handler_tree_path(service, stub)
            if tree_rel not in files:
                files[tree_rel] = text
                stub_locations[service.slug][stub] = tree_rel
        _check_signatures(service, project_root, files, keep[service.slug], result)
        trees[service.slug] = files
    if progress:
        progress("format")
    result.trees = format_trees(trees, keep)
    for slug, locations in stub_locations.items():
        for stub, tree_rel in locations.items():
            result.new_stubs.append(stub)
            # Stubs are kept as formatted text so the tree and services/ hold the same bytes.
            trees[slug][tree_rel] = result.trees[slug][tree_rel]
    if progress:
        progress("bundle: compose and kong")
    result.bundle = build_bundle(services, result.trees, settings)
    return result


def _check_signatures(service: Service, root: Path, files: dict[str, str], kept: set[str], result: Result) -> None:
    """A kept domain module is never rewritten: report each function the spec added or changed."""
    path = domain_path(service)
    tree_rel = handler_tree_path(service, path)
    if tree_rel not in kept:
        return
    source = files[tree_rel]
    for hook in async_hooks(service, source):
        result.warnings.append(f"{path}: {hook} is an async def; CRUD hooks run with the generated CRUD: make it a def")
    for version, op in domain_operations(service):
        spec = stub_spec(service, version, op)
        wanted = spec.signature.split(" ", 1)
        if not defines(source, op.func):
            result.warnings.append(
                f"{path}: no function {op.func} for {op.operation_id} (it answers 501 until you add "
                f"`def {wanted[1]}` with ctx first, marked `# fountain-signature: {spec.signature}`)"
            )
            continue
        recorded = recorded_signature(source, op.func)
        if recorded is not None and recorded != wanted[0]:
            result.changed_signatures.append(
                f"{path}: the spec changed {op.operation_id}'s signature; it is now {wanted[1]} "
                f"(update the function, then its fountain-signature line to {wanted[0]})"
            )


def generate(
    path: Path,
    out_dir: Path | None,
    *,
    project_root: Path,
    bundle_dir: Path | None = None,
    check: bool = False,
    progress: Progress | None = None,
    settings: BundleSettings | None = None,
    handlers_dir: Path | None = None,
    allow_destructive: bool = False,
) -> Result:
    """Generate every service into out_dir/<slug> and the bundle into bundle_dir; check mode only lists differences.

    In check mode out_dir may be None: then only what a project commits (bundle, stubs) is compared.
    """
    if out_dir is None and not check:
        raise ValueError("out_dir is required unless check is set")
    result = build(path, project_root, progress, settings, handlers_dir, allow_destructive=allow_destructive)
    clash = {s.slug for s in result.services} & {Path(rel).parts[0] for rel in result.bundle}
    if bundle_dir is not None and out_dir is not None and bundle_dir.resolve() == out_dir.resolve() and clash:
        raise SpecError(out_dir, f"service {sorted(clash)[0]!r} and the bundle's folder of that name would collide")
    if bundle_dir is not None:
        if check:
            result.differences.extend(diff_files(bundle_dir, result.bundle))
        else:
            write_files(bundle_dir, result.bundle)
    for slug, files in result.trees.items() if out_dir is not None else ():
        if check:
            result.differences.extend(diff_tree(out_dir / slug, files))
        else:
            write_tree(out_dir / slug, files)
    for stub in result.new_stubs:
        if check:
            result.differences.append(f"{result.stub_file(stub)} (missing)")
        else:
            slug = Path(stub).parts[1]
            service = next(s for s in result.services if s.slug == slug)
            write_new_file(result.stub_file(stub), result.trees[slug][handler_tree_path(service, stub)])
    return result
