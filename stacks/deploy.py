"""The deploy step: `fountain deploy` over SSH, rerun when the bundle, the host or an image changes."""

from __future__ import annotations

import json
import os
import shlex

import pulumi
import pulumi_command as command

from .config import PROJECT_ROOT, StackConfig
from .source import Source


def bundle_path(cfg: StackConfig) -> str:
    """The bundle folder relative to the project root, the same on every machine."""
    return os.path.relpath(cfg.bundle_dir, PROJECT_ROOT)


def tls_arguments(cfg: StackConfig) -> list[str]:
    """TLS at the gateway when the stack has a domain; ephemeral stacks take Let's Encrypt's staging directory."""
    if not cfg.domain:
        return []
    return ["--domain", cfg.domain, "--acme-email", cfg.acme_email, *(["--acme-staging"] if cfg.ephemeral else [])]


def deploy_command(address: str, instance: str, region: str, cfg: StackConfig) -> str:
    """The command line: host, user and paths only; every secret arrives on stdin."""
    return shlex.join(
        [
            "fountain",
            "deploy",
            address,
            # The host key is pinned from Lightsail (GetInstanceAccessDetails), never trusted on first use.
            "--lightsail-instance",
            instance,
            "--lightsail-region",
            region,
            "--user",
            cfg.deploy_user,
            "--bundle",
            bundle_path(cfg),
            "--keep",
            str(cfg.releases_kept),
            "--secrets-stdin",
            # On the first `pulumi up` the host is still booting and installing Docker.
            "--wait-ready",
            "600",
            # The service repositories' workflows build the images after the trees are published.
            "--image-timeout",
            "1800",
            *tls_arguments(cfg),
        ]
    )


class Deploy(pulumi.ComponentResource):
    """Runs the provisioning module locally against the host; its stdin holds the secrets, as a secret."""

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        source: Source,
        address: pulumi.Output[str],
        instance: pulumi.Output[str],
        private_key: pulumi.Output[str],
        secrets: pulumi.Output[dict],
        registry: pulumi.Output[dict],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("fountainai:deploy:Deploy", name, None, opts)
        region = pulumi.Config("aws").require("region")
        stdin = pulumi.Output.secret(
            pulumi.Output.all(private_key, secrets, registry).apply(
                lambda v: json.dumps({"ssh_private_key": v[0], "secrets": v[1], "registry": v[2]}, sort_keys=True)
            )
        )
        triggers = [source.bundle_hash, address, *(f"{s.slug}:{source.image_tag(s.slug)}" for s in source.services)]
        self.command = command.local.Command(
            f"{name}-run",
            create=pulumi.Output.all(address, instance).apply(lambda v: deploy_command(v[0], v[1], region, cfg)),
            stdin=stdin,
            triggers=triggers,
            # Relative to the project, so a checkout elsewhere (CI, a laptop) shows no diff.
            dir=".",
            # Progress goes to stderr; stdout (kept in state) is not echoed into Pulumi's logs.
            logging=command.local.Logging.STDERR,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["stdin", "stdout"]),
        )
        self.triggers = triggers
        self.register_outputs({"bundleHash": source.bundle_hash})
