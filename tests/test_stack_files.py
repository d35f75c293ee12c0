"""The committed stack files and the README's operator steps, run through the CLI's config step and the program."""

from __future__ import annotations

import re
import shlex

import pytest

from .pulumi_cli import ROOT, CliConfigError, Value, config_set, merge, project, stack_file
from .pulumi_harness import run_program


def readme_stacks() -> dict[str, list[list[str]]]:
    """Stack name -> the `pulumi config set` argv lists the README's "With a real account" block types for it."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### With a real account") :]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)
    stacks: dict[str, list[list[str]]] = {}
    current = None
    for line in block.splitlines():
        argv = shlex.split(line, comments=True)
        if argv[:4] == ["pulumi", "stack", "select", "--create"]:
            current = argv[4]
            stacks.setdefault(current, [])
        elif argv[:3] == ["pulumi", "config", "set"]:
            assert current, f"README sets config before selecting a stack: {line}"
            stacks[current].append(argv[3:])
    return stacks


def values_for(stack: str, sets: list[list[str]]) -> dict[str, Value]:
    values = stack_file(stack)
    for argv in sets:
        config_set(values, argv)
    return values


def test_readme_covers_every_committed_stack_and_an_ephemeral_one():
    committed = {p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml")}
    stacks = readme_stacks()
    assert committed == {"dev", "prod"} and committed < set(stacks)
    assert any(s not in committed for s in stacks)


@pytest.mark.parametrize("stack", sorted(readme_stacks()))
def test_each_stack_builds_with_exactly_what_the_readme_adds(stack: str):
    values = values_for(stack, readme_stacks()[stack])
    run = run_program(stack, values=values)
    assert run.outputs["address"] == "203.0.113.10"
    repos = run.recorder.of_type("github:index/repository:Repository")
    # Ephemeral stacks leave the repositories out unless asked (the CLI must not have written a default in).
    assert bool(repos) == (stack in ("dev", "prod"))


@pytest.mark.parametrize("stack", sorted(readme_stacks()))
def test_each_readme_line_is_needed(stack: str):
    """Dropping any one secret the README adds makes the CLI refuse the stack, naming the key."""
    sets = readme_stacks()[stack]
    for index, argv in enumerate(sets):
        if "--secret" not in argv:
            continue
        key = argv[-2].split(":")[1]
        with pytest.raises(CliConfigError, match=f"missing configuration value '{key}'"):
            merge(stack, values_for(stack, sets[:index] + sets[index + 1 :]))


def test_no_declared_secret_has_a_default_and_repositories_is_not_declared():
    # A plain default for a secret key is written into the stack unencrypted and then refused
    # (pulumi/pulumi pkg/workspace/config.go: "must be encrypted as it's secret").
    declared = project()["config"]
    assert [k for k, v in declared.items() if isinstance(v, dict) and v.get("secret") and "default" in v] == []
    # A declared default lands in every stack's config, so `repositories` would read true for pr-42.
    assert "repositories" not in declared
    merged = merge("pr-42", values_for("pr-42", readme_stacks()["pr-42"]))
    assert "fountainai:repositories" not in merged


def test_the_cli_step_itself_follows_the_cli():
    proj = {"name": "p", "config": {"a": {"type": "integer", "default": 3}, "s": {"type": "string", "secret": True}}}
    with pytest.raises(CliConfigError, match="^Stack 'x' is missing configuration value 's'$"):
        merge("x", {}, proj)
    assert merge("x", {"p:s": Value("v", secure=True)}, proj)["p:a"] == Value("3")
    with pytest.raises(CliConfigError, match="^Stack 'x' with configuration key 's' must be encrypted as it's secret$"):
        merge("x", {"p:s": Value("v")}, proj)
    with pytest.raises(CliConfigError, match="^Stack 'x' with configuration key 'a' must be of type 'integer'$"):
        merge("x", {"p:s": Value("v", secure=True), "p:a": Value("lots")}, proj)
    secret_default = {"name": "p", "config": {"s": {"type": "string", "secret": True, "default": ""}}}
    with pytest.raises(CliConfigError, match="must be encrypted"):
        merge("x", {}, secret_default)
