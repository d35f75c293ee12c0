"""The Pulumi program under Pulumi's mocks: inventory, security rules, secrets, determinism, cost, config errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pulumi
import pytest

from stacks import policies
from stacks.config import ConfigError

from .pulumi_cli import CliConfigError
from .pulumi_harness import SECRET_CONFIG, Run, configure, run_program

HOST_TYPES = {
    "tls:index/privateKey:PrivateKey": 1,
    "aws:lightsail/keyPair:KeyPair": 1,
    "aws:lightsail/instance:Instance": 1,
    "aws:lightsail/staticIp:StaticIp": 1,
    "aws:lightsail/staticIpAttachment:StaticIpAttachment": 1,
    "aws:lightsail/instancePublicPorts:InstancePublicPorts": 1,
    "command:local:Command": 1,
}
COMPONENTS = {
    "fountainai:aws:Host",
    "fountainai:aws:Secrets",
    "fountainai:deploy:Deploy",
    "fountainai:github:ServiceRepository",
}


@pytest.fixture(scope="module")
def dev() -> Run:
    return run_program("dev")


@pytest.fixture(scope="module")
def ephemeral() -> Run:
    return run_program("pr-42")


def _one(run: Run, typ: str):
    (found,) = run.recorder.of_type(typ)
    return found


def _physical_names(run: Run) -> set[str]:
    return {
        str(r.inputs["name"]) for r in run.recorder.resources if "name" in r.inputs and not r.type.startswith("github")
    }


def test_dev_inventory(dev: Run):
    counts = Counter(r.type for r in dev.recorder.resources)
    services = dev.platform.source.services
    files = sum(len(dev.platform.source.trees[s.slug]) for s in services)
    assert {t: counts[t] for t in HOST_TYPES} == HOST_TYPES
    assert counts["random:index/randomPassword:RandomPassword"] == len(services) + 3  # + postgres, ops key, logging key
    assert counts["aws:secretsmanager/secret:Secret"] == len(services) + 6  # + the registry login
    assert counts["aws:secretsmanager/secretVersion:SecretVersion"] == len(services) + 6
    assert counts["github:index/repository:Repository"] == len(services) == 6
    assert counts["github:index/repositoryRuleset:RepositoryRuleset"] == len(services)
    assert counts["github:index/repositoryFile:RepositoryFile"] == files
    # Every workflow pushes images, so every repository gets the two registry secrets and no others.
    secrets = sorted({r.inputs["secretName"] for r in dev.recorder.of_type("github:index/actionsSecret:ActionsSecret")})
    assert secrets == ["DOCKER_PASSWORD", "DOCKER_USERNAME"]
    assert counts["github:index/actionsSecret:ActionsSecret"] == 2 * len(services)
    instance = _one(dev, "aws:lightsail/instance:Instance")
    assert (instance.inputs["bundleId"], instance.inputs["blueprintId"]) == ("small_3_0", "ubuntu_24_04")
    assert instance.inputs["addOn"] == {"type": "AutoSnapshot", "snapshotTime": "03:00", "status": "Enabled"}
    assert "docker-compose-v2" in instance.inputs["userData"] and "useradd" in instance.inputs["userData"]


def test_every_resource_is_parented_to_its_component(dev: Run):
    for r in dev.recorder.resources:
        if r.type in COMPONENTS:
            assert r.parent.endswith("::dev") or "pulumi:pulumi:Stack" in r.parent, r.name
        else:
            assert any(f"${c}::" in r.parent or f"::{c}::" in r.parent for c in COMPONENTS), (r.type, r.parent)


def test_ephemeral_stack_is_small_self_contained_and_named_after_itself(dev: Run, ephemeral: Run):
    counts = Counter(r.type for r in ephemeral.recorder.resources)
    assert not any(t.startswith("github:") for t in counts), "an ephemeral stack leaves the repositories out"
    assert {t: counts[t] for t in HOST_TYPES} == HOST_TYPES
    # The smallest plan the bundle's memory limits fit (see test_pulumi_real_rules for the check).
    assert _one(ephemeral, "aws:lightsail/instance:Instance").inputs["bundleId"] == "small_3_0"
    assert all(r.name.startswith("pr-42-") for r in ephemeral.recorder.resources)
    names = _physical_names(ephemeral)
    assert names and all("pr-42" in n for n in names), names
    assert not names & _physical_names(dev)
    windows = {r.inputs["recoveryWindowInDays"] for r in ephemeral.recorder.of_type("aws:secretsmanager/secret:Secret")}
    assert windows == {0}  # destroy removes the secrets at once, nothing lingers


def test_ephemeral_stack_can_ask_for_repositories():
    run = run_program("pr-43", {"repositories": "true"})
    names = {r.inputs["name"] for r in run.recorder.of_type("github:index/repository:Repository")}
    assert names and all(n.endswith("-pr-43") for n in names)


def test_security_policies_hold_for_the_program(dev: Run, ephemeral: Run):
    for run in (dev, ephemeral):
        admin = run.platform.config.admin_cidrs
        problems = [(r.type, p) for r in run.recorder.resources for p in policies.validate(r.type, r.inputs, admin)]
        assert problems == []
    ports = _one(dev, "aws:lightsail/instancePublicPorts:InstancePublicPorts").inputs["portInfos"]
    opened = {(p["fromPort"], tuple(p["cidrs"])) for p in ports}
    assert opened == {(22, ("203.0.113.7/32", "198.51.100.0/24")), (80, ("0.0.0.0/0",)), (443, ("0.0.0.0/0",))}
    for repo in dev.recorder.of_type("github:index/repository:Repository"):
        assert repo.inputs["visibility"] == "private"
    for rules in dev.recorder.of_type("github:index/repositoryRuleset:RepositoryRuleset"):
        assert rules.inputs["rules"]["requiredStatusChecks"]["requiredChecks"] == [{"context": "test"}]


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            {"portInfos": [{"fromPort": 8001, "toPort": 8001, "protocol": "tcp", "cidrs": ["0.0.0.0/0"]}]},
            "port 8001 must not be open",
        ),
        (
            {"portInfos": [{"fromPort": 8000, "toPort": 8443, "protocol": "tcp", "cidrs": ["10.0.0.0/8"]}]},
            "port 8000-8443 must not be open",
        ),
        (
            {"portInfos": [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrs": ["0.0.0.0/0"]}]},
            "port 22 is open to the whole internet",
        ),
        (
            {"portInfos": [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrs": ["192.0.2.0/24"]}]},
            "outside the admin CIDRs",
        ),
        (  # the whole internet in two halves
            {"portInfos": [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrs": ["0.0.0.0/1", "128.0.0.0/1"]}]},
            "port 22 is open to the whole internet",
        ),
        (
            {"portInfos": [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "ipv6Cidrs": ["::/1", "8000::/1"]}]},
            "port 22 is open to the whole internet",
        ),
    ],
)
def test_port_policy_catches(props: dict, expected: str):
    problems = policies.public_ports(props, ["203.0.113.7/32"])
    assert len(problems) == 1 and expected in problems[0]


def test_repository_policies_catch():
    assert policies.repository({"name": "x", "visibility": "public"}) == ["repository 'x' must be private"]
    weak = {"enforcement": "evaluate", "conditions": {"refName": {"includes": ["main"]}}, "rules": {}}
    assert policies.ruleset(weak) == [
        "the default-branch ruleset must be active",
        "the ruleset must cover the default branch",
        "the default branch must require the service's CI check",
        "the default branch must require pull requests",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"bypassActors": [{"actorId": 42, "actorType": "Team", "bypassMode": "always"}]},
            "only the Admin repository role may bypass the ruleset, not Team 42",
        ),
        (
            {
                "rules": {
                    "pullRequest": {"requiredApprovingReviewCount": 0},
                    "requiredStatusChecks": {"requiredChecks": [{"context": "test"}]},
                }
            },
            "the default branch must require at least one approving review",
        ),
    ],
)
def test_ruleset_policy_catches_bypass_and_zero_reviews(dev: Run, change: dict, expected: str):
    ruleset = dev.recorder.of_type("github:index/repositoryRuleset:RepositoryRuleset")[0].inputs
    assert policies.ruleset(ruleset) == []
    assert policies.ruleset({**ruleset, **change}) == [expected]


def test_host_without_public_ports_is_caught(dev: Run):
    resources = [(r.type, r.inputs) for r in dev.recorder.resources]
    assert policies.stack_problems(resources) == []
    without = [(t, p) for t, p in resources if t != "aws:lightsail/instancePublicPorts:InstancePublicPorts"]
    assert policies.stack_problems(without) == [
        "Lightsail instance 'fountainai-dev-host' has no InstancePublicPorts: it keeps the default firewall "
        "(22 open to all)"
    ]


def test_command_environment_and_urls_with_secrets_are_caught(dev: Run):
    command = dev.recorder.of_type("command:local:Command")[0].inputs
    assert policies.validate("command:local:Command", command) == []
    leaky = {**command, "environment": {"DATABASE_URL": "postgresql+psycopg://svc:s3cr3tpass@db:5432/svc"}}
    assert len(policies.validate("command:local:Command", leaky)) == 1
    keyed = {**command, "environment": {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"}}
    assert len(policies.validate("command:local:Command", keyed)) == 1
    assert policies.secret_like("f", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert policies.secret_like("f", "url: sqlite:///./character.db") == []


def test_secret_looking_content_is_caught():
    assert policies.secret_like("f", "key: -----BEGIN OPENSSH PRIVATE KEY-----abc")
    assert policies.secret_like("f", "OPENAI=sk-abcdefghijklmnopqrstu")
    assert policies.secret_like("f", 'password = "hunter2hunter2hunter2"')
    assert policies.secret_like("f", 'api_keys: SecretStr = SecretStr("")') == []


def test_policy_pack_runs_the_same_rules():
    import runpy

    pack = runpy.run_path("policy/__main__.py", run_name="policy_pack")
    by_name = {p.name: p for p in pack["POLICIES"]}
    reported: list[str] = []
    args = SimpleNamespace(
        resource_type="aws:lightsail/instancePublicPorts:InstancePublicPorts",
        props={"portInfos": [{"fromPort": 8001, "toPort": 8001, "protocol": "tcp", "cidrs": ["0.0.0.0/0"]}]},
        get_config=lambda: {"adminCidrs": ["203.0.113.7/32"]},
    )
    by_name["lightsail-ports"].validate(args, lambda message, urn=None: reported.append(message))
    assert reported == ["port 8001 must not be open (only 22 from the admin CIDRs, 80 and 443)"]
    stack = SimpleNamespace(
        resources=[SimpleNamespace(resource_type="aws:lightsail/instance:Instance", props={"name": "h"})]
    )
    by_name["host-has-firewall"].validate(stack, lambda message, urn=None: reported.append(message))
    assert reported[1].startswith("Lightsail instance 'h' has no InstancePublicPorts")
    assert set(by_name) == {
        "host-has-firewall",
        "lightsail-ports",
        "private-repositories",
        "protected-default-branch",
        "no-secret-in-published-files",
        "no-secret-on-command-lines",
    }


def test_no_secret_in_files_command_lines_or_plain_state(dev: Run):
    values = dev.recorder.secret_values()
    assert len(values) >= 12
    leaks = []
    for r in dev.recorder.of_type("github:index/repositoryFile:RepositoryFile"):
        leaks += policies.no_secret_in(f"file {r.inputs['file']}", r.inputs["content"], values)
    command = _one(dev, "command:local:Command")
    leaks += policies.no_secret_in("deploy command", command.inputs["create"], values)
    leaks += policies.no_secret_in("user data", _one(dev, "aws:lightsail/instance:Instance").inputs["userData"], values)
    for r in dev.recorder.resources:
        leaks += policies.no_secret_in(
            f"{r.type} {r.name} (plain state)", policies.plain_inputs(r.inputs, r.secret_inputs), values
        )
    assert leaks == []
    # The secrets reach the deploy on stdin, and state keeps it encrypted.
    assert "stdin" in command.secret_inputs
    stdin = json.loads(command.inputs["stdin"])
    assert set(stdin["secrets"]) == {"database_passwords", "consumer_keys", "postgres_password", "logging_key"}
    # The registry login reaches the host as Secrets Manager holds it: read back from the secret the program wrote.
    assert stdin["registry"] == {"username": "fountainbot", "password": SECRET_CONFIG["dockerPassword"]}
    (registry_secret,) = [
        r
        for r in dev.recorder.of_type("aws:secretsmanager/secret:Secret")
        if r.inputs["name"].endswith("/registry/credentials")
    ]
    reads = [a for t, a in dev.recorder.calls if t == "aws:secretsmanager/getSecretVersion:getSecretVersion"]
    assert reads == [{"secretId": f"{registry_secret.name}-id"}]
    assert SECRET_CONFIG["openaiApiKey"] not in command.inputs["create"]


def test_secret_resource_inputs_are_secret(dev: Run):
    for r in dev.recorder.of_type("aws:secretsmanager/secretVersion:SecretVersion"):
        assert r.secret_inputs == {"secretString"}, r.name
    for r in dev.recorder.of_type("github:index/actionsSecret:ActionsSecret"):
        assert r.secret_inputs == {"plaintextValue"}, r.name


@pulumi.runtime.test
def test_every_secret_output_is_secret():
    from stacks import build_platform

    configure("dev")
    platform = build_platform()
    outputs = [
        platform.host.private_key,
        platform.secrets.deploy_secrets,
        platform.secrets.postgres_password,
        platform.secrets.logging_key,
        platform.config.openai_api_key,
        platform.config.docker_password,
        *platform.secrets.database_passwords.values(),
        *platform.secrets.consumer_keys.values(),
    ]

    def check(flags: list[bool]) -> None:
        assert flags and all(flags), flags

    return pulumi.Output.all(*[o.is_secret() for o in outputs]).apply(check)


def test_two_builds_give_identical_inputs(dev: Run):
    again = run_program("dev")

    def inventory(run: Run):
        return sorted(
            (r.type, r.name, json.dumps(r.inputs, sort_keys=True, default=str)) for r in run.recorder.resources
        )

    assert inventory(again) == inventory(dev)
    # Nothing machine-specific: a checkout in another folder must show no diff either.
    from .conftest import ROOT

    assert not [r.name for r in dev.recorder.resources if str(ROOT) in json.dumps(r.inputs, default=str)]


def test_cost_estimate_fits_the_default_budget(dev: Run):
    cost = dev.platform.cost
    assert cost.currency == "EUR" and 0 < cost.total <= 70
    assert dict(cost.lines) == {"host small_3_0": 11.1, "12 secrets": 4.44, "snapshots 60 GB": 2.76, "1 static IP": 0.0}


def test_cost_guard_fails_over_budget():
    with pytest.raises(ConfigError) as error:
        run_program("dev", {"bundle": "large_3_0", "budgetEur": "40"})
    assert str(error.value) == (
        "estimated monthly cost 52.50 EUR is over the budget of 40 EUR (fountainai:budgetEur): host large_3_0 40.70, "
        "12 secrets 4.44, snapshots 160 GB 7.36, 1 static IP 0.00. Pick a smaller bundle or raise fountainai:budgetEur."
    )


def test_missing_required_config_names_the_key():
    # The CLI stops first (pulumi_cli); the program's own message covers runs without the CLI's step.
    with pytest.raises(CliConfigError, match=r"^Stack 'dev' is missing configuration value 'adminCidrs'$"):
        run_program("dev", {"adminCidrs": None})
    from stacks.config import load_config

    configure("dev")
    pulumi.runtime.set_all_config({"fountainai:githubOwner": "o"}, [])
    with pytest.raises(ConfigError, match=r"^fountainai:adminCidrs is required: CIDR blocks allowed to reach SSH"):
        load_config()


def test_missing_secret_config_names_the_key():
    with pytest.raises(CliConfigError, match=r"^Stack 'dev' is missing configuration value 'openaiApiKey'$"):
        run_program("dev", secret={"openaiApiKey": None})
    from stacks.config import load_config

    configure("dev")
    pulumi.runtime.set_all_config({"fountainai:adminCidrs": '["203.0.113.7/32"]', "fountainai:githubOwner": "o"}, [])
    with pytest.raises(ConfigError, match=r"^fountainai:openaiApiKey is required: .*pulumi config set --secret"):
        load_config()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"adminCidrs": '["0.0.0.0/0"]'}, "fountainai:adminCidrs: '0.0.0.0/0' opens SSH to the whole internet"),
        ({"adminCidrs": '["not-an-ip"]'}, "fountainai:adminCidrs: 'not-an-ip' is not a CIDR block"),
        ({"bundle": "huge_9_0"}, "fountainai:bundle: 'huge_9_0' has no price in fountainai:prices"),
        ({"snapshotTime": "3am"}, "fountainai:snapshotTime: '3am' is not a whole hour like 03:00"),
        ({"budgetEur": "lots"}, "Stack 'dev' with configuration key 'budgetEur' must be of type 'integer'"),
    ],
)
def test_invalid_config_names_the_key(config: dict, message: str):
    with pytest.raises((ConfigError, CliConfigError)) as error:
        run_program("dev", config)
    assert str(error.value).startswith(message)


def test_deploy_command_is_what_fountain_deploy_accepts(dev: Run):
    import shlex

    from fountain.cli import parser

    command = _one(dev, "command:local:Command")
    argv = shlex.split(command.inputs["create"])
    assert argv[:3] == ["fountain", "deploy", "203.0.113.10"]
    args = parser().parse_args(argv[1:])
    assert (args.command, args.host, args.user, args.keep, args.secrets_stdin) == (
        "deploy",
        "203.0.113.10",
        "deploy",
        5,
        True,
    )
    assert command.inputs["triggers"][0] == dev.platform.source.bundle_hash
    # The host key is pinned from Lightsail, not trusted on first use.
    assert (args.lightsail_instance, args.lightsail_region) == ("fountainai-dev-host", "eu-central-1")
    assert not args.accept_new_host_key
    assert args.bundle == Path(".") and command.inputs["dir"] == "."  # no machine-specific path in state
