"""The whole stack: config, cost guard, host, secrets, repositories, deploy, and the stack outputs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from .config import ConfigError, StackConfig, load_config
from .cost import Estimate, estimate, guard
from .deploy import Deploy
from .host import Host
from .names import resource_name
from .repositories import RepositorySecrets, ServiceRepository
from .secrets import PlatformSecrets, secret_count
from .sizing import COMPOSE_FILE, check_fits
from .source import Source, load_source


@dataclass
class Platform:
    config: StackConfig
    source: Source
    cost: Estimate
    host: Host
    secrets: PlatformSecrets
    repositories: dict[str, ServiceRepository]
    deploy: Deploy


def _repository_secrets(cfg: StackConfig, source: Source) -> RepositorySecrets:
    values: dict[str, pulumi.Input[str]] = {
        "DOCKER_USERNAME": cfg.docker_username,
        "DOCKER_PASSWORD": cfg.docker_password,
    }
    used = sorted({name for s in source.services for name in source.workflow_secrets(s.slug)})
    unknown = [name for name in used if name not in values]
    if unknown:
        raise ConfigError(f"the generated workflows use the secret {unknown[0]}, which this program has no value for")
    if "DOCKER_USERNAME" in used and not cfg.docker_username:
        raise ConfigError(f"{cfg.project}:dockerUsername is required: the service workflows push images")
    return RepositorySecrets(values)


def build_platform() -> Platform:
    """Declare every resource of this stack and export its outputs."""
    cfg = load_config()
    source = load_source(cfg.specs_dir, cfg.bundle_dir)
    check_fits(
        source.bundle[COMPOSE_FILE],
        cfg.bundle,
        cfg.prices.bundles[cfg.bundle]["memoryMb"],
        source.settings.host_reserve_mb,
        f"{cfg.project}:{'ephemeralBundle' if cfg.ephemeral else 'bundle'}",
    )
    cost = estimate(cfg.prices, cfg.bundle, secret_count(len(source.services)))
    guard(cost, cfg.budget_eur, f"{cfg.project}:budgetEur")
    host = Host(resource_name(cfg.stack, "host"), cfg)
    secrets = PlatformSecrets(
        resource_name(cfg.stack, "secrets"), cfg, source.services, source.consumers, host.private_key
    )
    repositories = {}
    if cfg.repositories:
        repo_secrets = _repository_secrets(cfg, source)
        for service in source.services:
            repositories[service.slug] = ServiceRepository(
                resource_name(cfg.stack, "repo", service.slug),
                cfg,
                source,
                service.slug,
                repo_secrets,
                source.image_prefix,
            )
    deploy = Deploy(
        resource_name(cfg.stack, "deploy"),
        cfg,
        source,
        host.address,
        host.instance.name,
        host.private_key,
        secrets.deploy_secrets,
        secrets.registry_credentials,
        opts=pulumi.ResourceOptions(depends_on=[host.attachment, host.ports]),
    )
    if cfg.domain:
        gateway = pulumi.Output.from_input(f"https://{cfg.domain}")
    else:
        pulumi.log.warn(
            f"{cfg.project}:domain is not set: the gateway serves plain HTTP, so API keys cross the network in "
            f"clear; set it (and {cfg.project}:acmeEmail) for TLS by Let's Encrypt"
        )
        gateway = host.address.apply(lambda ip: f"http://{ip}")
    pulumi.export("hostAddress", host.address)
    pulumi.export("sshCommand", host.address.apply(lambda ip: f"ssh {cfg.deploy_user}@{ip}"))
    pulumi.export("gatewayUrl", gateway)
    pulumi.export(
        "services",
        {
            s.slug: {
                "url": gateway.apply(lambda g, s=s: f"{g}/{s.slug}/{s.latest.label}"),
                "repository": repositories[s.slug].url if s.slug in repositories else None,
            }
            for s in source.services
        },
    )
    pulumi.export("monthlyCost", cost.as_output())
    pulumi.export("bundleHash", source.bundle_hash)
    return Platform(cfg, source, cost, host, secrets, repositories, deploy)
