"""A run over a project: what each domain function needs (plan), then the sessions, at most N at once."""

from __future__ import annotations

import ast
import difflib
import importlib.util
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generator import build
from generator.specs import load_services
from generator.stubs import domain_operations, stub_spec

from . import dependencies, failures, prompt, provenance, transcripts
from .checks import Target
from .cost import Tokens, usd
from .provenance import Record
from .session import Job, Outcome, run_session
from .settings import Settings, SettingsError, missing_key_message
from .source import code_hash, function_source, is_stub
from .spec_slice import sha256, slice_from_sources, sources, spec_slice, versions_of

__all__ = ["Item", "Outcome", "RunResult", "plan", "run"]

_MARK = "# fountain-signature: "


@dataclass
class Item:
    """One domain function and what a run should do with it."""

    slug: str
    func: str
    state: str  # todo | current | stale | edited | edited-stale | hand-written | failed-before
    record: Record | None = None
    detail: str = ""


@dataclass
class RunResult:
    items: list[Item]
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    tokens: Tokens = field(default_factory=Tokens)
    cost_usd: float = 0.0
    diffs: list[str] = field(default_factory=list)


def _marked(source: str) -> list[str]:
    """The functions the generator wrote into the module, by their signature comments."""
    names = []
    for line in source.splitlines():
        if line.startswith(_MARK):
            parts = line[len(_MARK) :].split(" ", 1)
            if len(parts) == 2:
                names.append(parts[1].split("(", 1)[0])
    return names


def _failed_before(project_root: Path, slug: str, func: str) -> bool:
    """The last session for this stub failed on the spec slice it still has (recorded in .fountain/, ignored)."""
    memo = failures.read(project_root, slug, func)
    if memo is None:
        return False
    current = slice_from_sources(memo["sources"], project_root)
    return current is not None and sha256(current) == memo["spec_slice_sha256"]


def _quick_plan(
    handlers: Path, project_root: Path, services: list[str] | None, retry_failed: bool = False
) -> list[Item] | None:
    """The plan from the records and raw spec files alone, when no function needs a session; else None."""
    items = []
    for module in sorted(handlers.glob("*/domain.py")):
        slug = module.parent.name
        if services and slug not in services:
            continue
        source = module.read_text(encoding="utf-8")
        for func in _marked(source):
            if is_stub(source, func):
                if retry_failed or not _failed_before(project_root, slug, func):
                    return None
                items.append(
                    Item(slug, func, "failed-before", detail=failures.read(project_root, slug, func)["reason"])
                )
                continue
            record = provenance.read(handlers, slug, func)
            if record is None:
                items.append(Item(slug, func, "hand-written"))
                continue
            current = slice_from_sources(record.sources, project_root)
            stale = current is None or sha256(current) != record.spec_slice_sha256
            items.append(_judged(slug, func, record, source, stale))
    return items


def _judged(slug: str, func: str, record: Record, source: str, stale: bool) -> Item:
    edited = code_hash(source, func) != record.code_sha256
    state = {(False, False): "current", (True, False): "stale", (False, True): "edited"}.get(
        (stale, edited), "edited-stale"
    )
    detail = "the spec slice changed since it was written" if stale else ""
    if edited:
        detail = (detail + "; " if detail else "") + "edited by a person since it was accepted"
    return Item(slug, func, state, record, detail)


def plan(specs: Path, project_root: Path, handlers: Path, services: list[str] | None = None) -> list[Item]:
    """What each domain function needs; reads the specs and services/, calls nothing."""
    quick = _quick_plan(handlers, project_root, services)
    if quick is not None:
        return quick
    return _full_plan(load_services(specs), project_root, handlers, services)[0]


def _full_plan(loaded, project_root: Path, handlers: Path, services: list[str] | None, retry_failed: bool = False):
    items, slices = [], {}
    for service in loaded:
        if services and service.slug not in services:
            continue
        module = handlers / service.slug / "domain.py"
        if not module.is_file():
            raise SettingsError(f"{module}: no domain module; run `fountain generate` first, it writes the stubs")
        source = module.read_text(encoding="utf-8")
        for version, op in domain_operations(service):
            func = op.func
            cut = spec_slice(service, func)
            slices[(service.slug, func)] = (service, version, op, cut)
            record = provenance.read(handlers, service.slug, func)
            if is_stub(source, func):
                memo = failures.read(project_root, service.slug, func)
                if not retry_failed and memo and memo["spec_slice_sha256"] == sha256(cut):
                    items.append(Item(service.slug, func, "failed-before", record, memo["reason"]))
                else:
                    items.append(Item(service.slug, func, "todo", record))
            elif record is None:
                items.append(Item(service.slug, func, "hand-written"))
            else:
                signature = stub_spec(service, version, op).signature
                stale = sha256(cut) != record.spec_slice_sha256 or signature != record.signature
                items.append(_judged(service.slug, func, record, source, stale))
    return items, slices


def _context(service, tree: dict[str, str], handlers: Path, func: str) -> tuple[tuple[str, str], ...]:
    """The signatures an answer may use: models, tables, the domain tables' migrations, the runtime's API."""
    pkg = service.package
    labels = [v.label for v, _ in versions_of(service, func)]
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for label in labels:
        text = tree.get(f"{pkg}/{label}/models.py", "")
        if text and text not in seen:
            seen.add(text)
            found.append((f"{pkg}/{label}/models.py (generated Pydantic models)", text))
    found.append((f"{pkg}/tables.py (generated tables)", tree.get(f"{pkg}/tables.py", "")))
    for revision in sorted((handlers / service.slug / "migrations" / "versions").glob("*.py")):
        found.append((f"migration {revision.name} (the domain's own tables)", revision.read_text(encoding="utf-8")))
    for rel in sorted(tree):
        if rel.startswith(f"{pkg}/") and "client" in rel.rsplit("/", 1)[-1] and rel.endswith(".py"):
            found.append((f"{rel} (generated client of another service)", tree[rel]))
    found.append((f"{pkg}/runtime/context.py", tree.get(f"{pkg}/runtime/context.py", "")))
    found.append(
        (
            f"{pkg}/runtime/errors.py (excerpt)",
            _classes(tree.get(f"{pkg}/runtime/errors.py", ""), {"DomainError", "Invalid"}),
        )
    )
    return tuple(found)


def _classes(source: str, names: set[str]) -> str:
    tree = ast.parse(source)
    lines = source.splitlines()
    parts = [
        "\n".join(lines[n.lineno - 1 : n.end_lineno])
        for n in tree.body
        if isinstance(n, ast.ClassDef) and n.name in names
    ]
    return "\n\n\n".join(parts)


def missing_check_tools() -> list[str]:
    """The test tools the checks run (implement/checks.py) that this Python cannot import."""
    return [name for name in ("pytest", "schemathesis") if importlib.util.find_spec(name) is None]


def run(
    specs: Path,
    project_root: Path,
    handlers: Path,
    settings: Settings,
    *,
    dry_run: bool = False,
    regenerate_stale: bool = False,
    retry_failed: bool = False,
    services: list[str] | None = None,
    notify: Callable[[str], None] = lambda _: None,
) -> RunResult:
    """Fill every stub (and, when asked, every stale function); a rerun with unchanged specs calls nothing."""
    quick = _quick_plan(handlers, project_root, services, retry_failed)
    if quick is not None and not (regenerate_stale and any(i.state in ("stale", "edited-stale") for i in quick)):
        return RunResult(quick)
    loaded = load_services(specs)
    items, slices = _full_plan(loaded, project_root, handlers, services, retry_failed)
    wanted = [i for i in items if i.state == "todo" or (regenerate_stale and i.state in ("stale", "edited-stale"))]
    result = RunResult(items)
    if not wanted:
        return result
    if not dry_run and settings.api_key is None:
        raise SettingsError(missing_key_message())
    if not dry_run and (lacking := missing_check_tools()):
        # Every answer would fail its checks and cost a session: say so before the first call.
        raise SettingsError(
            f"fountain implement checks each answer with pytest and schemathesis; this environment lacks "
            f"{' and '.join(lacking)}: pip install -e '.[test]' (scripts/test installs them)"
        )
    built = build(specs, project_root, handlers_dir=handlers)
    locks = {slug: threading.Lock() for slug in {i.slug for i in wanted}}
    memos: dict[tuple[str, str], dict[str, Any]] = {}
    jobs = []
    for item in wanted:
        service, version, op, cut = slices[(item.slug, item.func)]
        module_file = handlers / item.slug / "domain.py"
        source = module_file.read_text(encoding="utf-8")
        request = prompt.Request(
            service=service.title,
            package=service.package,
            func=item.func,
            operation_ids=tuple(dict.fromkeys(o.operation_id for _, o in versions_of(service, item.func))),
            spec_slice=cut,
            stub=_with_mark(source, item.func),
            module=source,
            context=_context(service, built.trees[item.slug], handlers, item.func),
        )
        messages = prompt.messages(request)
        prompt_sha = sha256({"model": settings.model, "messages": messages, "schema": prompt.ANSWER_SCHEMA})
        if dry_run:
            text = "".join(m["content"] for m in messages)
            estimate = prompt.estimate_tokens(text)
            file = project_root / ".fountain" / "implement" / "dry-run" / item.slug / f"{item.func}.json"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps({"model": settings.model, "messages": messages}, indent=2) + "\n")
            result.dry_run.append(
                {
                    "slug": item.slug,
                    "func": item.func,
                    "state": item.state,
                    "prompt_tokens": estimate,
                    "max_tokens": (estimate + settings.max_output_tokens) * settings.rounds,
                    "file": file,
                }
            )
            continue
        target = Target(
            specs=specs,
            project_root=project_root,
            handlers=handlers,
            slug=item.slug,
            package=service.package,
            func=item.func,
            operations=tuple((v.label, o.operation_id, o.api_key_header) for v, o in versions_of(service, item.func)),
        )
        propose = item.state in ("edited", "edited-stale")
        record_base = {
            "function": item.func,
            "operations": list(request.operation_ids),
            "model": settings.model,
            "prompt_sha256": prompt_sha,
            "spec_slice_sha256": sha256(cut),
            "signature": stub_spec(service, version, op).signature,
            "sources": sources(service, item.func, project_root),
        }
        memos[(item.slug, item.func)] = record_base
        jobs.append(
            Job(
                target=target,
                request=request,
                prompt_sha256=prompt_sha,
                own_helpers=frozenset(item.record.helpers if item.record else ()),
                read_module=lambda f=module_file: f.read_text(encoding="utf-8"),
                accept=_acceptor(handlers, item, module_file, record_base, propose, result),
                lock=locks[item.slug],
            )
        )
    if dry_run:
        total = sum(d["prompt_tokens"] for d in result.dry_run)
        result.tokens = Tokens(total, 0)
        return result
    from openai import OpenAI  # only a real run needs the SDK loaded

    client = OpenAI(
        api_key=settings.api_key.get_secret_value(),
        base_url=settings.base_url,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
    )
    by_slug = {s.slug: s for s in loaded}
    calling = sorted({job.target.slug for job in jobs if by_slug[job.target.slug].depends_on})
    # A function whose service calls others is checked against those services running, as `fountain dev`
    # runs them (Story Factory's story needs a script, characters and sessions), not against dead URLs.
    with dependencies.serving(specs, handlers) if calling else nullcontext(None) as served:
        if served is not None:
            notify(
                f"checks of {', '.join(calling)} call the services they depend on, served by fountain dev at {served[0]}"
            )
            jobs = [
                replace(
                    job,
                    target=replace(job.target, env=dependencies.environment(by_slug[job.target.slug], loaded, *served)),
                )
                if job.target.slug in calling
                else job
                for job in jobs
            ]
        with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
            outcomes = list(pool.map(lambda job: run_session(client, settings, job, notify), jobs))
    for outcome in outcomes:
        base = memos[(outcome.slug, outcome.func)]
        if outcome.status == "failed":
            failures.write(project_root, outcome.slug, outcome.func, {**base, "reason": outcome.reason})
        else:
            failures.clear(project_root, outcome.slug, outcome.func)
        transcripts.write(project_root, outcome.slug, outcome.func, {**outcome.transcript, "status": outcome.status})
        outcome.transcript = {}
        result.calls += outcome.calls
        result.tokens.add(outcome.tokens)
    result.outcomes = outcomes
    result.cost_usd = usd(result.tokens, settings)
    return result


def _with_mark(source: str, func: str) -> str:
    lines = source.splitlines()
    text = function_source(source, func) or ""
    marks = [
        line for line in lines if line.startswith(_MARK) and line[len(_MARK) :].split(" ", 1)[-1].startswith(func + "(")
    ]
    return "\n".join(marks[:1]) + "\n" + text


def _acceptor(handlers: Path, item: Item, module_file: Path, base: dict, propose: bool, result: RunResult):
    """Write an accepted answer: the module and its record, or for a person's edit a proposal beside it."""

    def accept(outcome: Outcome) -> None:
        module = outcome.module or ""
        record = Record(
            **base,
            code_sha256=code_hash(module, item.func) or "",
            helpers=outcome.helpers,
            checks=outcome.checks,
            rounds=outcome.rounds,
            tokens=outcome.tokens.as_dict(),
        )
        if propose:
            current = module_file.read_text(encoding="utf-8")
            new = function_source(module, item.func) or ""
            folder = handlers / item.slug / "proposals"
            provenance.write_atomic(folder / f"{item.func}.py", module)
            provenance.write_atomic(folder / f"{item.func}.json", provenance.render(record))
            outcome.status = "proposed"
            result.diffs.append(
                "".join(
                    difflib.unified_diff(
                        (function_source(current, item.func) or "").splitlines(keepends=True),
                        new.splitlines(keepends=True),
                        f"{module_file} ({item.func}, edited by a person)",
                        f"{folder / (item.func + '.py')} (proposal)",
                    )
                )
            )
            return
        # The record goes first: a stop between the two leaves the stub beside a record, which the next run
        # reads as a stub to fill; the other order would leave unrecorded code that looks hand-written.
        provenance.write_atomic(provenance.path(handlers, item.slug, item.func), provenance.render(record))
        provenance.write_atomic(module_file, module)

    return accept
