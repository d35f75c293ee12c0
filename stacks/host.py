"""The Lightsail host: SSH key, key pair, instance with Docker, automatic snapshots, static IP, firewall."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from provision.layout import DEFAULT_ROOT

from .config import StackConfig
from .names import physical_name

RELEASES_ROOT = DEFAULT_ROOT
PUBLIC_PORTS = (80, 443)


def user_data(deploy_user: str, public_key: str) -> str:
    """First-boot script: Docker with the Compose plugin, the deploy user, the release layout.

    POSIX sh only: a launch script may be run by /bin/sh, which is dash on Ubuntu, where `pipefail` is an
    illegal option that stops the script before anything is installed. apt waits for the dpkg lock that
    unattended-upgrades holds on a fresh host (apt.conf(5): DPkg::Lock::Timeout) instead of failing.
    """
    home = f"/home/{deploy_user}"
    return f"""#!/bin/sh
# Written by the fountainai Pulumi program; runs once, at first boot (later edits are ignored).
set -eu
export DEBIAN_FRONTEND=noninteractive
APT="apt-get -q -y -o DPkg::Lock::Timeout=600"
tries=0
until $APT update; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || exit 1
  sleep 10
done
$APT install docker.io docker-compose-v2
systemctl enable --now docker
id {deploy_user} >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --groups docker {deploy_user}
install -d -m 700 -o {deploy_user} -g {deploy_user} {home}/.ssh
printf '%s\\n' '{public_key.strip()}' | tee {home}/.ssh/authorized_keys >/dev/null
chown {deploy_user}:{deploy_user} {home}/.ssh/authorized_keys
chmod 600 {home}/.ssh/authorized_keys
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
        # Lightsail's ImportKeyPair takes "a base64-encoded public key of the ssh-rsa type" (Lightsail API
        # reference, ImportKeyPair, publicKeyBase64), so the key is RSA, not ED25519.
        self.ssh_key = tls.PrivateKey(f"{name}-ssh-key", algorithm="RSA", rsa_bits=4096, opts=child)
        # Fixed physical names: a replacement must delete the old one first, or the new one's name is taken.
        replace_in_place = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        self.key_pair = aws.lightsail.KeyPair(
            f"{name}-key-pair",
            name=physical_name(cfg.project, cfg.stack, "deploy-key"),
            public_key=self.ssh_key.public_key_openssh,
            opts=replace_in_place,
        )
        self.instance = aws.lightsail.Instance(
            f"{name}-instance",
            name=physical_name(cfg.project, cfg.stack, "host"),
            availability_zone=cfg.zone,
            blueprint_id=cfg.blueprint,
            bundle_id=cfg.bundle,
            key_pair_name=self.key_pair.name,
            user_data=self.ssh_key.public_key_openssh.apply(lambda key: user_data(cfg.deploy_user, key)),
            add_on=aws.lightsail.InstanceAddOnArgs(
                type="AutoSnapshot", snapshot_time=cfg.snapshot_time, status="Enabled"
            ),
            tags={"project": cfg.project, "stack": cfg.stack},
            # User data runs once; a later edit must not replace the host and its data. prod's disk holds
            # PostgreSQL, so replacing or deleting prod's host needs an explicit unprotect first.
            opts=pulumi.ResourceOptions(
                parent=self, ignore_changes=["userData"], delete_before_replace=True, protect=cfg.stack == "prod"
            ),
        )
        self.static_ip = aws.lightsail.StaticIp(
            f"{name}-ip", name=physical_name(cfg.project, cfg.stack, "ip"), opts=replace_in_place
        )
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
            # Deleting this resource closes every port it lists; created before the old one's delete, the new
            # ports would be closed right after they opened (replaced e.g. when adminCidrs changes).
            opts=replace_in_place,
        )
        self.address = self.static_ip.ip_address
        self.private_key = pulumi.Output.secret(self.ssh_key.private_key_openssh)
        self.register_outputs({"address": self.address, "instance": self.instance.name, "privateKey": self.private_key})
