"""The Lightsail host: SSH key, key pair, instance with Docker, automatic snapshots, static IP, firewall."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from provision.layout import DEFAULT_ROOT

from .config import StackConfig
from .names import resource_name

RELEASES_ROOT = DEFAULT_ROOT
PUBLIC_PORTS = (80, 443)


def user_data(deploy_user: str, public_key: str) -> str:
    """First-boot script: Docker with the Compose plugin, the deploy user, the release layout."""
    return f"""#!/bin/bash
# Written by the fountainai Pulumi program; runs once, at first boot (later edits are ignored).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q docker.io docker-compose-v2
systemctl enable --now docker
id {deploy_user} >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --groups docker {deploy_user}
install -d -m 700 -o {deploy_user} -g {deploy_user} /home/{deploy_user}/.ssh
echo '{public_key.strip()}' > /home/{deploy_user}/.ssh/authorized_keys
chown {deploy_user}:{deploy_user} /home/{deploy_user}/.ssh/authorized_keys
chmod 600 /home/{deploy_user}/.ssh/authorized_keys
install -d -m 750 -o {deploy_user} -g {deploy_user} {RELEASES_ROOT} {RELEASES_ROOT}/releases
"""


def port_rules(admin_cidrs: tuple[str, ...]) -> list[dict[str, object]]:
    """22 from the admin CIDRs only; 80 and 443 from anywhere; nothing else (never Kong's 8001)."""
    rules: list[dict[str, object]] = [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidrs": list(admin_cidrs)}]
    rules += [{"from_port": p, "to_port": p, "protocol": "tcp", "cidrs": ["0.0.0.0/0"]} for p in PUBLIC_PORTS]
    return rules


class Host(pulumi.ComponentResource):
    """One Lightsail instance that runs the Compose bundle."""

    def __init__(self, name: str, cfg: StackConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("fountainai:aws:Host", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        physical = resource_name(cfg.stack, "host")
        self.ssh_key = tls.PrivateKey(f"{name}-ssh-key", algorithm="ED25519", opts=child)
        self.key_pair = aws.lightsail.KeyPair(
            f"{name}-key-pair",
            name=resource_name(cfg.stack, "deploy-key"),
            public_key=self.ssh_key.public_key_openssh,
            opts=child,
        )
        self.instance = aws.lightsail.Instance(
            f"{name}-instance",
            name=physical,
            availability_zone=cfg.zone,
            blueprint_id=cfg.blueprint,
            bundle_id=cfg.bundle,
            key_pair_name=self.key_pair.name,
            user_data=self.ssh_key.public_key_openssh.apply(lambda key: user_data(cfg.deploy_user, key)),
            add_on=aws.lightsail.InstanceAddOnArgs(
                type="AutoSnapshot", snapshot_time=cfg.snapshot_time, status="Enabled"
            ),
            tags={"project": cfg.project, "stack": cfg.stack},
            # User data runs once; a later edit must not replace the host and its data.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["userData"]),
        )
        self.static_ip = aws.lightsail.StaticIp(f"{name}-ip", name=resource_name(cfg.stack, "ip"), opts=child)
        self.attachment = aws.lightsail.StaticIpAttachment(
            f"{name}-ip-attachment",
            static_ip_name=self.static_ip.name,
            instance_name=self.instance.name,
            opts=child,
        )
        self.ports = aws.lightsail.InstancePublicPorts(
            f"{name}-ports",
            instance_name=self.instance.name,
            port_infos=[aws.lightsail.InstancePublicPortsPortInfoArgs(**rule) for rule in port_rules(cfg.admin_cidrs)],
            opts=child,
        )
        self.address = self.static_ip.ip_address
        self.private_key = pulumi.Output.secret(self.ssh_key.private_key_openssh)
        self.register_outputs({"address": self.address, "instance": self.instance.name, "privateKey": self.private_key})
