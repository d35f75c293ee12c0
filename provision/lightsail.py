"""The host keys Lightsail has seen on an instance (GetInstanceAccessDetails), to pin instead of trusting first use.

Lightsail API reference, GetInstanceAccessDetails: `accessDetails.hostKeys[]` holds `algorithm` (e.g. ssh-ed25519)
and `publicKey` (base64) of each key the instance presented, once it has booted. The call also returns temporary
credentials; nothing but the host keys is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .errors import DeployError


def host_keys(
    instance: str,
    region: str | None,
    timeout: float = 0.0,
    *,
    say: Callable[[str], None] = lambda _: None,
) -> tuple[str, ...]:
    """`type base64` lines of the instance's host keys, waiting up to timeout for a booting instance to have them."""
    import boto3  # the AWS SDK only loads when a deploy pins from Lightsail
    import botocore.exceptions

    client = boto3.client("lightsail", region_name=region)
    deadline = time.monotonic() + timeout
    while True:
        try:
            details = client.get_instance_access_details(instanceName=instance, protocol="ssh")["accessDetails"]
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise DeployError(f"lightsail instance {instance}: GetInstanceAccessDetails failed ({error})") from None
        keys = tuple(sorted(f"{k['algorithm']} {k['publicKey']}" for k in details.get("hostKeys") or []))
        if keys:
            return keys
        if time.monotonic() >= deadline:
            raise DeployError(f"lightsail instance {instance}: Lightsail reports no SSH host key yet")
        say(f"waiting for Lightsail to report {instance}'s host keys")
        time.sleep(5)
