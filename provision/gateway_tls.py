"""TLS at the gateway for a stack with a domain: Let's Encrypt through Kong's acme plugin, HTTPS-only API routes.

Rules from Kong's source: kong/plugins/acme/schema.lua (`api_uri` defaults to Let's Encrypt's production
directory, `tos_accepted` must be true for it, `kong` storage is unavailable in DB-less mode and `shm` is lost on
restart, `redis` needs host and port), kong/plugins/acme/handler.lua (the HTTP-01 challenge is answered in the
access phase of a request that matched a route, hence the challenge route), and Kong's router (a route whose
`protocols` lack `http` answers a plain-HTTP request with `https_redirect_status_code`, default 426).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from generator.contract import ACME_STORE, ACME_STORE_PORT

LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
CHALLENGE_PATH = "/.well-known/acme-challenge"
HSTS = "Strict-Transport-Security:max-age=31536000; includeSubDomains"


@dataclass(frozen=True)
class Tls:
    domain: str
    email: str
    # Ephemeral stacks use the staging directory: its certificates are untrusted but its rate limits are not
    # spent by stacks that come and go.
    staging: bool = False


def with_tls(document: dict[str, Any], tls: Tls) -> dict[str, Any]:
    """The runtime config with the acme plugin, HSTS, HTTPS-only API routes and the challenge route."""
    config = copy.deepcopy(document)
    for service in config.get("services", []):
        for route in service.get("routes", []):
            route["protocols"] = ["https"]
            route["https_redirect_status_code"] = 308
    config["services"].append(
        {
            # Never reached: the acme plugin answers the challenge before any upstream is called.
            "name": "acme-challenge",
            "url": "http://127.0.0.1:65535",
            "routes": [{"name": "acme-challenge", "paths": [CHALLENGE_PATH], "protocols": ["http"]}],
        }
    )
    config["plugins"] += [
        {
            "name": "acme",
            "config": {
                "account_email": tls.email,
                "domains": [tls.domain],
                "tos_accepted": True,
                "api_uri": LETS_ENCRYPT_STAGING if tls.staging else LETS_ENCRYPT,
                "storage": "redis",
                "storage_config": {"redis": {"host": ACME_STORE, "port": ACME_STORE_PORT}},
            },
        },
        {"name": "response-transformer", "config": {"add": {"headers": [HSTS]}}},
    ]
    return config
