# Vendored from the FountainAI deploy project (generator/runtime/client.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Calls to the other services: explicit timeouts, bounded retries, the caller's correlation id passed on.

The typed clients under clients/ (generated from each dependency's spec) are thin subclasses of ServiceClient.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter

# A repeated GET, PUT or DELETE has the effect of one (RFC 9110, 9.2.2); a POST is sent again only when it never
# reached the service (the connection was refused), never after a timeout, when it may have been processed.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
T = TypeVar("T")


class ServiceUnavailable(Exception):
    """The service could not be reached or failed (5xx, timeout, refused connection) after the retries."""

    def __init__(self, service: str, reason: str):
        self.service = service
        self.reason = reason
        super().__init__(f"{service}: {reason}")


class ServiceError(Exception):
    """The service answered with a 4xx: the call itself was wrong or named something that does not exist."""

    def __init__(self, service: str, status: int, body: Any):
        self.service = service
        self.status = status
        self.body = body
        super().__init__(f"{service} answered {status}: {body}")


@dataclass(frozen=True)
class CallContext:
    """What every call made while serving one request carries: its correlation id and the key to present."""

    correlation_header: str
    correlation_id: str
    api_key: str | None


def call_context(headers: Any, settings: Any, key_headers: Iterable[str]) -> CallContext:
    """The incoming request's correlation id (a new one if it came without), and the key to call with.

    The key is SERVICE_API_KEY when set, else the caller's own key: every service accepts the same keys
    (behind the gateway, the gateway's own key: provision/gateway_keys.py).
    """
    header = settings.correlation_header
    configured = settings.service_api_key.get_secret_value()
    incoming = next((headers[name] for name in key_headers if headers.get(name)), None)
    return CallContext(header, headers.get(header) or str(uuid.uuid4()), configured or incoming)


def http_client(settings: Any) -> httpx.Client:
    """One pooled client per app: explicit connect and read timeouts, a bounded number of connections."""
    timeout = httpx.Timeout(settings.client_timeout_seconds, connect=settings.client_connect_timeout_seconds)
    limits = httpx.Limits(max_connections=settings.client_max_connections)
    return httpx.Client(timeout=timeout, limits=limits, follow_redirects=False)


class ServiceClient:
    """Base of a generated client: one method per operation of the service's spec calls `_call`."""

    service: ClassVar[str] = ""
    version: ClassVar[str] = ""

    def __init__(self, http: httpx.Client, base_url: str, call: CallContext, retries: int = 2, backoff: float = 0.1):
        self._http = http
        self._base = base_url.rstrip("/") + f"/{self.version}"
        self._call_context = call
        self._retries = retries
        self._backoff = backoff

    def _call(
        self,
        method: str,
        template: str,
        *,
        returns: Any = None,
        path: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, Any] | None = None,
        key_header: str | None = None,
    ) -> Any:
        """Send one operation; its documented success body parsed into `returns`, else an exception."""
        sent = {k: str(v) for k, v in (headers or {}).items() if v is not None}
        sent[self._call_context.correlation_header] = self._call_context.correlation_id
        if key_header and self._call_context.api_key:
            sent[key_header] = self._call_context.api_key
        params = {k: _query_value(v) for k, v in (query or {}).items() if v is not None}
        payload = (
            body.model_dump(mode="json", by_alias=True, exclude_unset=True) if isinstance(body, BaseModel) else body
        )
        url = self._base + template.format_map({k: quote(str(v), safe="") for k, v in (path or {}).items()})
        response = self._send(method, url, params, payload, sent)
        if response.status_code >= 500:
            raise ServiceUnavailable(self.service, f"{method} {template} answered {response.status_code}")
        if response.status_code >= 400:
            raise ServiceError(self.service, response.status_code, _body(response))
        if returns is None or not response.content:
            return None
        if returns is str:
            return response.text
        return TypeAdapter(returns).validate_python(response.json())

    def _send(self, method: str, url: str, params: dict, payload: Any, headers: dict[str, str]) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._http.request(method, url, params=params, json=payload, headers=headers)
            except httpx.ConnectError as error:
                reason = f"cannot connect ({error})"
            except httpx.TimeoutException as error:
                if method not in IDEMPOTENT:
                    raise ServiceUnavailable(self.service, f"{method} timed out ({type(error).__name__})") from None
                reason = f"timed out ({type(error).__name__})"
            except httpx.TransportError as error:
                if method not in IDEMPOTENT:
                    raise ServiceUnavailable(self.service, f"{method} failed ({error})") from None
                reason = f"transport error ({error})"
            else:
                if response.status_code not in RETRY_STATUSES or method not in IDEMPOTENT:
                    return response
                reason = f"answered {response.status_code}"
                if attempt >= self._retries:
                    return response
            if attempt >= self._retries:
                raise ServiceUnavailable(self.service, f"{method} {url}: {reason} after {attempt + 1} attempt(s)")
            time.sleep(self._backoff * 2**attempt)
            attempt += 1


def concurrently(calls: Iterable[Callable[[], T]], limit: int) -> list[T]:
    """Run the calls at most `limit` at a time; their results in the order given, the first failure raised."""
    calls = list(calls)
    if not calls:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(limit, len(calls)))) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def _query_value(value: Any) -> Any:
    return str(value).lower() if isinstance(value, bool) else value


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
