"""This repository's workflows and every generated service workflow: zizmor, GitHub's workflow schema, our rules."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.generate import build

from . import workflow_rules as rules
from .conftest import PROJECT_SPECS, ROOT

BIN = Path(sys.executable).parent
OWN = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TEMPLATE = ROOT / "generator" / "templates" / "ci.yml.j2"

# A workflow that breaks each rule once, so every check below is shown to catch what it is for.
BROKEN = """\
name: broken
on: [pull_request_target, pull_request]
jobs:
  leak:
    runs-on: ubuntu-24.04
    environment: dev
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}" "${{ toJSON(secrets) }}"
      - if: secrets.FOUNTAIN_GITHUB_TOKEN != ''
        run: deploy
        env:
          TOKEN: ${{ secrets.FOUNTAIN_GITHUB_TOKEN }}
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> list[Path]:
    """Each generated service's workflow, written where the tools can read it."""
    out = tmp_path_factory.mktemp("generated-workflows")
    paths = []
    for slug, tree in build(PROJECT_SPECS, ROOT).trees.items():
        path = out / slug / ".github" / "workflows" / "ci.yml"
        path.parent.mkdir(parents=True)
        path.write_text(tree[".github/workflows/ci.yml"])
        paths.append(path)
    return paths


def _zizmor(paths: list[Path], persona: str = "regular") -> list[tuple[str, str]]:
    done = subprocess.run(
        [BIN / "zizmor", "--offline", "--no-progress", "--format", "json", "--persona", persona, *map(str, paths)],
        capture_output=True,
        text=True,
    )
    # zizmor exits 0 (nothing), 1 (error), or 11-14 (findings by highest severity).
    assert done.returncode in (0, 11, 12, 13, 14), done.stderr
    return [
        (f["ident"], f["determinations"]["severity"])
        for f in json.loads(done.stdout or "[]")
        if f["determinations"]["severity"] in ("Medium", "High")
    ]


def _schema(paths: list[Path]) -> subprocess.CompletedProcess:
    command = [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True)


def test_zizmor_finds_nothing_of_medium_severity_or_above(generated: list[Path]):
    assert _zizmor([*OWN, *generated]) == []
    # This repository's own workflows also pass the auditor persona (false positives allowed there).
    assert _zizmor(OWN, persona="auditor") == []


def test_zizmor_catches_the_broken_workflow(tmp_path: Path):
    (tmp_path / "broken.yml").write_text(BROKEN)
    found = {ident for ident, _ in _zizmor([tmp_path / "broken.yml"])}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses", "artipacked"} <= found


def test_every_workflow_matches_githubs_schema(generated: list[Path], tmp_path: Path):
    done = _schema([*OWN, *generated])
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("name: x\non: push\njobs:\n  a:\n    steps: []\n    runs_on: ubuntu-24.04\n")
    assert _schema([broken]).returncode == 1


def test_pull_request_jobs_read_only_read_only_secrets_and_forks_get_none(generated: list[Path]):
    problems = []
    for path in [*OWN, *generated]:
        problems += rules.pull_request_problems(path.name, yaml.safe_load(path.read_text()))
    assert problems == []


def test_the_pull_request_rules_catch_each_leak():
    problems = rules.pull_request_problems("broken.yml", yaml.safe_load(BROKEN))
    assert problems == [
        "broken.yml: pull_request_target runs with the base repository's secrets; use pull_request",
        "broken.yml: jobs.leak: secrets is not available at jobs.<job_id>.steps.if: secrets.FOUNTAIN_GITHUB_TOKEN != '' (actionlint)",
        "broken.yml: jobs.leak runs on pull requests and reads secrets.*",
        "broken.yml: jobs.leak runs on pull requests and reads secrets.FOUNTAIN_GITHUB_TOKEN",
        f"broken.yml: jobs.leak gets credentials on pull requests without the fork guard {rules.FORK_GUARD!r}",
        "broken.yml: jobs.leak runs on pull requests with write access to the contents",
    ]


def test_a_push_only_job_may_hold_registry_secrets_and_a_guarded_job_is_skipped_for_forks():
    workflow = yaml.safe_load(
        """
on: [push, pull_request]
permissions: {}
jobs:
  publish:
    if: github.event_name == 'push' && github.ref == 'refs/heads/main'
    permissions: {contents: read}
    steps: [{run: push, env: {P: "${{ secrets.DOCKER_PASSWORD }}"}}]
  preview:
    if: ${{ github.event.pull_request.head.repo.full_name == github.repository }}
    permissions: {contents: read, id-token: write}
    steps: [{run: preview, env: {T: "${{ secrets['FOUNTAIN_GITHUB_READ_TOKEN'] }}"}}]
  comment:
    needs: preview
    permissions: {contents: read, id-token: write}
    steps: [{run: comment}]
"""
    )
    assert rules.pull_request_problems("w.yml", workflow) == []
    workflow["jobs"]["preview"]["if"] = "github.event.pull_request.draft == false"
    assert rules.pull_request_problems("w.yml", workflow) == [
        f"w.yml: jobs.preview gets credentials on pull requests without the fork guard {rules.FORK_GUARD!r}",
        f"w.yml: jobs.comment gets credentials on pull requests without the fork guard {rules.FORK_GUARD!r}",
    ]


def _uses_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if re.match(r"\s*(- )?uses:", line)]


def test_every_action_is_pinned_to_a_full_commit_sha_and_the_same_one_everywhere():
    pins: dict[str, set[str]] = {}
    for path in [*OWN, TEMPLATE]:
        for line in _uses_lines(path):
            target = line.split("uses:", 1)[1].strip()
            if target.startswith("./"):
                continue
            match = re.fullmatch(r"([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+(?:\.\d+)*)", target)
            assert match, f"{path.name}: not pinned to a commit SHA with its tag: {line}"
            pins.setdefault(match.group(1), set()).add(f"{match.group(2)} {match.group(3)}")
    assert {action: len(shas) for action, shas in pins.items()} == dict.fromkeys(pins, 1)
    assert set(pins) == {
        "actions/checkout",
        "actions/setup-python",
        "aws-actions/configure-aws-credentials",
        "pulumi/actions",
        "docker/login-action",
    }


def _workflows() -> dict[str, dict]:
    return {path.name: yaml.safe_load(path.read_text()) for path in OWN}


def test_every_job_declares_least_privilege_permissions():
    for name, workflow in _workflows().items():
        assert workflow["permissions"] == {}, name
        for job_id, job in workflow["jobs"].items():
            permissions = job.get("permissions")
            assert isinstance(permissions, dict), f"{name}: jobs.{job_id} declares no permissions"
            assert permissions.get("contents") == "read", f"{name}: jobs.{job_id}"
            writes = {scope for scope, level in permissions.items() if level == "write"}
            assert writes <= {"id-token", "pull-requests", "issues"}, f"{name}: jobs.{job_id}: {writes}"


def _pulumi_steps(job: dict) -> list[dict]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith("pulumi/actions@") and "with" in s]


def test_every_job_that_changes_or_refreshes_a_stack_holds_that_stacks_concurrency_group():
    seen = set()
    for name, workflow in _workflows().items():
        for job_id, job in workflow["jobs"].items():
            for step in _pulumi_steps(job):
                args = step["with"]
                if args["command"] == "preview" and not args.get("refresh"):
                    continue  # a plain preview writes nothing
                concurrency = job.get("concurrency") or workflow.get("concurrency")
                assert concurrency == {"group": f"pulumi-stack-{args['stack-name']}", "cancel-in-progress": False}, (
                    f"{name}: jobs.{job_id}"
                )
                seen.add(args["command"])
    assert seen == {"up", "destroy", "preview"}


def _job(workflow: str, job_id: str) -> dict:
    return _workflows()[workflow]["jobs"][job_id]


def test_write_credentials_live_only_in_their_environments():
    where: dict[str, set[str]] = {}
    for workflow in _workflows().values():
        for job in workflow["jobs"].values():
            names, _ = rules.secret_reads(workflow, job)
            for secret in names:
                where.setdefault(secret, set()).add(str(job.get("environment")))
    assert where == {
        "FOUNTAIN_GITHUB_TOKEN": {"dev", "prod"},  # the admin token: only where `pulumi up` runs on main
        "FOUNTAIN_GITHUB_READ_TOKEN": {"preview", "${{ matrix.stack }}-drift"},
        "DOCKER_USERNAME": {"registry"},
        "DOCKER_PASSWORD": {"registry"},
    }
    assert _job("deploy.yml", "up-prod")["environment"] == "prod"
    assert _job("deploy.yml", "up-prod")["needs"] == "up-dev"
    assert _job("deploy.yml", "up-dev")["needs"] == "images"  # images before any `pulumi up`
    assert _job("preview.yml", "preview")["steps"][3]["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"


def test_no_static_cloud_keys_anywhere():
    for path in [*OWN, TEMPLATE]:
        text = path.read_text()
        assert not re.search(
            r"AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)|aws-access-key|PULUMI_ACCESS_TOKEN", text
        ), path


def test_the_pr_stack_is_opt_in_by_label_and_removed_on_close():
    up, destroy = _job("pr-stack.yml", "up"), _job("pr-stack.yml", "destroy")
    for job in (up, destroy):
        assert "contains(github.event.pull_request.labels.*.name, 'pr-stack')" in rules.conjuncts(job["if"])
        assert job["environment"] == "pr-stacks"
    assert "github.event.action == 'closed'" in rules.conjuncts(destroy["if"])
    removal = _pulumi_steps(destroy)[0]["with"]
    assert removal == {
        **removal,
        "command": "destroy",
        "remove": True,
        "stack-name": "pr-${{ github.event.pull_request.number }}",
    }
    assert _pulumi_steps(up)[0]["with"]["stack-name"] == "pr-${{ github.event.pull_request.number }}"


def test_the_drift_check_refreshes_expects_no_changes_and_reports_to_an_issue():
    workflow = _workflows()["drift.yml"]
    assert rules.triggers(workflow) == {"schedule", "workflow_dispatch"}
    steps = workflow["jobs"]["drift"]["steps"]
    preview = _pulumi_steps(workflow["jobs"]["drift"])[0]["with"]
    assert preview["command"] == "preview" and preview["refresh"] is True and preview["expect-no-changes"] is True
    report = steps[-1]
    assert report["if"] == "failure() && steps.preview.outcome == 'failure'"
    assert "gh issue comment" in report["run"] and "gh issue create" in report["run"]
