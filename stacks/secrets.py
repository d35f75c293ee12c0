"""Secrets: random passwords and keys, stored in AWS Secrets Manager, the system of record."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from generator import Service

from .config import StackConfig
from .names import secret_path

FIXED_SECRETS = 6  # postgres superuser, gateway consumers, logging key, OpenAI key, host SSH key, registry login


def secret_count(services: int) -> int:
    """How many Secrets Manager secrets a stack with this many services holds (for the cost estimate)."""
    return services + FIXED_SECRETS


class PlatformSecrets(pulumi.ComponentResource):
    """Generates every password and key and stores each in Secrets Manager."""

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        services: tuple[Service, ...],
        consumers: list[str],
        ssh_private_key: pulumi.Output[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("fountainai:aws:Secrets", name, None, opts)
        self._cfg, self._name = cfg, name
        # No special characters: the values travel in env files and URLs, and length gives the strength.
        self.database_passwords = {s.slug: self._random(f"db-{s.slug}", 32) for s in services}
        self.postgres_password = self._random("postgres", 32)
        self.consumer_keys = {c: self._random(f"consumer-{c}", 40) for c in consumers}
        self.logging_key = self._random("logging-key", 40)
        self.stored = []
        for slug, password in self.database_passwords.items():
            self._store(f"db-{slug}", secret_path(cfg.project, cfg.stack, "db", slug), password)
        self._store("postgres", secret_path(cfg.project, cfg.stack, "postgres", "superuser"), self.postgres_password)
        consumers_json = pulumi.Output.all(**self.consumer_keys).apply(lambda keys: json.dumps(keys, sort_keys=True))
        self._store("consumers", secret_path(cfg.project, cfg.stack, "gateway", "consumers"), consumers_json)
        self._store("logging-key", secret_path(cfg.project, cfg.stack, "gateway", "logging-key"), self.logging_key)
        self._store("openai", secret_path(cfg.project, cfg.stack, "openai", "api-key"), cfg.openai_api_key)
        self._store("ssh-key", secret_path(cfg.project, cfg.stack, "host", "ssh-private-key"), ssh_private_key)
        registry = pulumi.Output.all(username=cfg.docker_username, password=cfg.docker_password).apply(
            lambda v: json.dumps(v, sort_keys=True)
        )
        stored, version = self._store(
            "registry", secret_path(cfg.project, cfg.stack, "registry", "credentials"), registry
        )
        # The host logs in with what Secrets Manager holds (the system of record), read back after it is written.
        self.registry_credentials = pulumi.Output.secret(
            aws.secretsmanager.get_secret_version_output(
                secret_id=stored.id, opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[version])
            ).secret_string.apply(json.loads)
        )
        self.deploy_secrets = pulumi.Output.secret(
            pulumi.Output.all(
                database_passwords=pulumi.Output.all(**self.database_passwords),
                consumer_keys=pulumi.Output.all(**self.consumer_keys),
                postgres_password=self.postgres_password,
                logging_key=self.logging_key,
            )
        )
        self.register_outputs({"count": len(self.stored), "deploySecrets": self.deploy_secrets})

    def _random(self, what: str, length: int) -> pulumi.Output[str]:
        password = random.RandomPassword(
            f"{self._name}-{what}", length=length, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        return pulumi.Output.secret(password.result)

    def _store(
        self, what: str, path: str, value: pulumi.Input[str]
    ) -> tuple[aws.secretsmanager.Secret, aws.secretsmanager.SecretVersion]:
        child = pulumi.ResourceOptions(parent=self)
        secret = aws.secretsmanager.Secret(
            f"{self._name}-{what}",
            name=path,
            description=f"{self._cfg.project} {self._cfg.stack}: {what}",
            # An ephemeral stack's secrets go at once on destroy, so its name can be reused right away.
            recovery_window_in_days=0 if self._cfg.ephemeral else 7,
            tags={"project": self._cfg.project, "stack": self._cfg.stack},
            opts=child,
        )
        version = aws.secretsmanager.SecretVersion(
            f"{self._name}-{what}-value", secret_id=secret.id, secret_string=pulumi.Output.secret(value), opts=child
        )
        self.stored.append(secret)
        return secret, version
