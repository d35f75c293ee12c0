"""Rules over GitHub Actions workflows that no installable linter checks here, as plain functions over parsed YAML.

actionlint does not install here, so its rule for where the `secrets` context may appear is encoded from its
source: rhysd/actionlint `availability.go` (generated from GitHub's "Context availability" table,
https://docs.github.com/en/actions/learn-github-actions/contexts#context-availability), `AllContexts["secrets"]`.
What GitHub hands a pull request from a fork: "With the exception of GITHUB_TOKEN, secrets are not passed to the
runner when a workflow is triggered from a forked repository"
(https://docs.github.com/en/actions/using-workflows/events-that-trigger-workflows#pull-request-events-for-forked-repositories).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# actionlint availability.go, AllContexts["secrets"]: the workflow keys where `secrets` may be read.
SECRETS_AVAILABLE = frozenset(
    {
        "env",
        "jobs.<job_id>.container.credentials",
        "jobs.<job_id>.container.env.<env_id>",
        "jobs.<job_id>.env",
        "jobs.<job_id>.outputs.<output_id>",
        "jobs.<job_id>.secrets.<secrets_id>",
        "jobs.<job_id>.services.<service_id>.credentials",
        "jobs.<job_id>.services.<service_id>.env.<env_id>",
        "jobs.<job_id>.steps.continue-on-error",
        "jobs.<job_id>.steps.env",
        "jobs.<job_id>.steps.name",
        "jobs.<job_id>.steps.run",
        "jobs.<job_id>.steps.timeout-minutes",
        "jobs.<job_id>.steps.with",
        "jobs.<job_id>.steps.working-directory",
    }
)
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
# What a pull request's code may hold: the run's own token (its scopes set by `permissions:`) and a fine-grained
# token that can only read.
READ_ONLY_SECRETS = frozenset({"GITHUB_TOKEN", "FOUNTAIN_GITHUB_READ_TOKEN"})
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_SECRET = re.compile(r"(?<![\w.\-])secrets(?:\.([A-Za-z_][\w-]*)|\[\s*'([^']*)'\s*\])?")


def triggers(workflow: dict) -> set[str]:
    """The events a workflow runs on (PyYAML reads the key `on` as True)."""
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on}
    return set(on or ())


def conjuncts(condition: Any) -> list[str]:
    """The top-level `&&` operands of a job's `if`, whitespace-normalised; [] for no condition."""
    if condition is None or isinstance(condition, bool):
        return []
    text = str(condition).strip()
    match = re.fullmatch(r"\$\{\{(.*)\}\}", text, re.S)
    text = match.group(1) if match else text
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and text.startswith("&&", i):
            parts.append(text[start:i])
            start = i + 2
    parts.append(text[start:])
    return [" ".join(p.split()) for p in parts if p.strip()]


def runs_on_pull_requests(workflow: dict, job: dict) -> bool:
    """Whether a pull request can start the job: the workflow listens for one and the job's `if` does not rule it out."""
    if not triggers(workflow) & PULL_REQUEST_EVENTS:
        return False
    excluded = {"github.event_name == 'push'", "github.event_name != 'pull_request'"}
    return not excluded & set(conjuncts(job.get("if")))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _job_keys(job: dict) -> Iterator[tuple[str, Any]]:
    """(actionlint workflow key, value) for every place in a job an expression can sit."""
    for key, value in job.items():
        if key == "steps":
            for step in value or []:
                for step_key, step_value in step.items():
                    yield f"jobs.<job_id>.steps.{step_key}", step_value
        elif key in ("container", "services"):
            holders = {"": value} if key == "container" else (value or {})
            for holder in holders.values():
                base = "jobs.<job_id>.container" if key == "container" else "jobs.<job_id>.services.<service_id>"
                for sub_key, sub_value in (holder or {}).items() if isinstance(holder, dict) else []:
                    suffix = ".env.<env_id>" if sub_key == "env" else f".{sub_key}"
                    yield base + suffix, sub_value
        else:
            yield (
                {
                    "env": "jobs.<job_id>.env",
                    "outputs": "jobs.<job_id>.outputs.<output_id>",
                    "secrets": "jobs.<job_id>.secrets.<secrets_id>",
                    "with": "jobs.<job_id>.with.<with_id>",
                }.get(key, f"jobs.<job_id>.{key}"),
                value,
            )


def secret_reads(workflow: dict, job: dict) -> tuple[set[str], list[str]]:
    """The secret names a job can read ("*" for all of them), and each reference where actionlint forbids one."""
    names: set[str] = set()
    misplaced: list[str] = []
    if job.get("secrets") == "inherit":
        names.add("*")
    places = [("env", workflow.get("env"))] + list(_job_keys(job))
    for key, value in places:
        for text in _strings(value):
            # `if:` is an expression even without ${{ }}.
            expressions = _EXPRESSION.findall(text) or ([text] if key.endswith(".if") else [])
            for expression in expressions:
                for match in _SECRET.finditer(expression):
                    if key not in SECRETS_AVAILABLE:
                        misplaced.append(f"{key}: {expression.strip()}")
                    names.add(match.group(1) or match.group(2) or "*")
    return names, misplaced


def fork_guarded(workflow: dict, job_id: str) -> bool:
    """Whether the job is skipped for a fork's pull request: its own `if` or every job it needs says so."""
    jobs = workflow["jobs"]
    job = jobs[job_id]
    if FORK_GUARD in conjuncts(job.get("if")) or (
        "github.repository == github.event.pull_request.head.repo.full_name" in conjuncts(job.get("if"))
    ):
        return True
    needs = job.get("needs") or []
    needs = [needs] if isinstance(needs, str) else needs
    # A job whose condition calls always() runs even when what it needs was skipped.
    if needs and "always()" not in str(job.get("if", "")):
        return all(fork_guarded(workflow, need) for need in needs)
    return False


def pull_request_problems(name: str, workflow: dict) -> list[str]:
    """Every way a job a pull request starts could read more than the read-only secrets, or give a fork anything."""
    problems: list[str] = []
    if "pull_request_target" in triggers(workflow):
        problems.append(f"{name}: pull_request_target runs with the base repository's secrets; use pull_request")
    for job_id, job in (workflow.get("jobs") or {}).items():
        names, misplaced = secret_reads(workflow, job)
        problems += [f"{name}: jobs.{job_id}: secrets is not available at {m} (actionlint)" for m in misplaced]
        if not runs_on_pull_requests(workflow, job):
            continue
        for secret in sorted(names - READ_ONLY_SECRETS):
            problems.append(f"{name}: jobs.{job_id} runs on pull requests and reads secrets.{secret}")
        permissions = job.get("permissions", workflow.get("permissions"))
        gets_something = (names - {"GITHUB_TOKEN"}) or job.get("environment")
        if isinstance(permissions, dict) and permissions.get("id-token") == "write":
            gets_something = True
        if gets_something and not fork_guarded(workflow, job_id):
            problems.append(
                f"{name}: jobs.{job_id} gets credentials on pull requests without the fork guard {FORK_GUARD!r}"
            )
        if permissions in ("write-all", None) or (
            isinstance(permissions, dict) and permissions.get("contents") == "write"
        ):
            problems.append(f"{name}: jobs.{job_id} runs on pull requests with write access to the contents")
    return problems
