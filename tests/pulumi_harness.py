"""Runs the Pulumi program under Pulumi's own mocks and records every resource it declares.

The mocks stand in for the engine and the providers (AWS, GitHub, TLS, random, command), at the gRPC
edge Pulumi's testing guide uses; the program itself runs unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor

from .pulumi_cli import Value, merge, program_config

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"

BASE_CONFIG = {
    "adminCidrs": '["203.0.113.7/32", "198.51.100.0/24"]',
    "githubOwner": "fountainai",
    "dockerUsername": "fountainbot",
}
OBJECT_KEYS = {"adminCidrs"}
SECRET_CONFIG = {
    "openaiApiKey": "sk-test-openai-0123456789abcdef",
    "dockerPassword": "dckr-test-password-0123456789",
}


@dataclass
class Registration:
    type: str
    name: str
    inputs: dict[str, Any]
    secret_inputs: set[str]
    parent: str
    # What the engine is told besides the inputs: provider reference, deleteBeforeReplace, protect.
    options: dict[str, Any] = field(default_factory=dict)


def _unwrap(value: Any, path: str, secret: set[str]) -> Any:
    """The plain value, noting where the engine was handed a secret (what state would encrypt)."""
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        secret.add(path)
        return _unwrap(value.get("value"), path, set())
    if isinstance(value, dict):
        return {k: _unwrap(v, f"{path}.{k}" if path else k, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v, f"{path}[{i}]", secret) for i, v in enumerate(value)]
    return value


class RecordingMonitor(MockMonitor):
    """The stock mock monitor, also noting each resource's parent."""

    def __init__(self, mocks: Recorder):
        super().__init__(mocks)
        self.recorder = mocks

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        self.recorder.parents[(request.type, request.name)] = request.parent
        self.recorder.options[(request.type, request.name)] = {
            "provider": request.provider,
            "deleteBeforeReplace": request.deleteBeforeReplace,
            "protect": request.protect,
        }
        return super().RegisterResource(request)


def _fake(seed: str, size: int = 24) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:size]


class Recorder(pulumi.runtime.Mocks):
    """Provider stand-ins: echo the inputs, add the computed outputs the program reads."""

    def __init__(self) -> None:
        self.resources: list[Registration] = []
        self.parents: dict[tuple[str, str], str] = {}
        self.options: dict[tuple[str, str], dict[str, Any]] = {}
        self.secret_strings: dict[str, str] = {}  # Secrets Manager as the program wrote it, by secret id
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs)  # secret inputs come back as secret outputs, as with the engine
        if args.typ == "tls:index/privateKey:PrivateKey":
            state["public_key_openssh"] = f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5{_fake(args.name)} generated"
            state["private_key_openssh"] = f"-----BEGIN OPENSSH PRIVATE KEY-----{_fake('private' + args.name, 48)}"
        elif args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = _fake("password" + args.name, int(args.inputs.get("length", 24)))
        elif args.typ == "aws:lightsail/staticIp:StaticIp":
            state["ip_address"] = "203.0.113.10"
        elif args.typ == "github:index/repository:Repository":
            state["html_url"] = f"https://github.example/fountainai/{args.inputs['name']}"
        secret: set[str] = set()
        inputs = _unwrap(dict(args.inputs), "", secret)
        if args.typ == "aws:secretsmanager/secretVersion:SecretVersion":
            self.secret_strings[inputs["secretId"]] = inputs["secretString"]
        key = (args.typ, args.name)
        self.resources.append(Registration(args.typ, args.name, inputs, secret, self.parents[key], self.options[key]))
        return [f"{args.name}-id", state]

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            # Secrets Manager's GetSecretValue answers with what PutSecretValue stored (AWS API reference).
            secret_id = args.args["secretId"]
            return {"secretId": secret_id, "secretString": self.secret_strings[secret_id], "arn": secret_id}
        return {}

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.resources if r.type == typ]

    def secret_values(self) -> list[str]:
        """Every generated password and key, plus the config secrets."""
        found = [
            _fake("password" + r.name, int(r.inputs.get("length", 24)))
            for r in self.of_type("random:index/randomPassword:RandomPassword")
        ]
        found += [_fake("private" + r.name, 48) for r in self.of_type("tls:index/privateKey:PrivateKey")]
        return found + list(SECRET_CONFIG.values())


@dataclass
class Run:
    recorder: Recorder
    outputs: dict[str, Any] = field(default_factory=dict)
    platform: Any = None


def configure(
    stack: str,
    config: dict[str, str | None] | None = None,
    secret: dict[str, str | None] | None = None,
    *,
    values: dict[str, Value] | None = None,
) -> Recorder:
    """Fresh mocks, and the config the CLI hands the program after applying Pulumi.yaml (see pulumi_cli).

    `values` is a whole stack config (e.g. a committed stack file plus `pulumi config set`s); without it the
    test values above, overridden by `config` (plain) and `secret` (encrypted), with None meaning unset.
    """
    if values is None:
        plain = {k: v for k, v in {**BASE_CONFIG, **(config or {})}.items() if v is not None}
        hidden = {k: v for k, v in {**SECRET_CONFIG, **(secret or {})}.items() if v is not None}
        values = {f"fountainai:{k}": Value(v, object=k in OBJECT_KEYS) for k, v in plain.items()}
        values |= {f"fountainai:{k}": Value(v, secure=True) for k, v in hidden.items()}
        values["aws:region"] = Value("eu-central-1")
    config_map, secret_keys = program_config(merge(stack, values))
    recorder = Recorder()
    pulumi.runtime.set_mocks(
        recorder, project="fountainai", stack=stack, preview=False, monitor=RecordingMonitor(recorder)
    )
    pulumi.runtime.set_all_config(config_map, secret_keys)
    return recorder


def run_program(
    stack: str,
    config: dict[str, str | None] | None = None,
    secret: dict[str, str | None] | None = None,
    *,
    values: dict[str, Value] | None = None,
) -> Run:
    """Build the whole program for a stack and wait until every resource is registered."""
    from stacks import build_platform

    run = Run(configure(stack, config, secret, values=values))

    @pulumi.runtime.test
    def _build():
        run.platform = build_platform()
        address = run.platform.host.address
        return address.apply(lambda a: run.outputs.update(address=a))

    _build()
    return run
