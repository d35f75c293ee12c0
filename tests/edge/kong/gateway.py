"""Kong 3.9 at its edge, for the tests: the DB-less proxy subset the generated kong.yml uses.

Kong itself cannot be installed on the test machines. This reads the declarative config the way Kong does
and applies the bundle's plugins with the behaviour their source in Kong/kong gives them:
- config source: KONG_DECLARATIVE_CONFIG (a file) wins over KONG_DECLARATIVE_CONFIG_STRING when both are
  set (kong/init.lua, has_declarative_config / parse_declarative_config);
- router: regex paths (`~` prefix) anchored at the start, methods, hosts; the highest regex_priority wins;
  no match is 404 "no Route matched with those values" (kong/runloop/handler.lua, kong/router/traditional.lua);
- plugins run by PRIORITY: correlation-id 100001, key-auth 1250, rate-limiting 910, request-transformer 801,
  request-termination 2 (each handler.lua); http-log (priority 12, log phase, Lua serializer) is not run here;
- plugin scope: a plugin on the consumer outranks the same plugin on the route, which outranks the global one;
  consumer plugins are looked up once key-auth has set the consumer (kong/runloop/plugins_iterator.lua);
- key-auth: the first of key_names found in the headers (then the query string), 401 "No API key found in
  request" / "Unauthorized" with `WWW-Authenticate: Key`, X-Consumer-ID, X-Consumer-Username and
  X-Credential-Identifier set upstream, the key removed when hide_credentials; with `anonymous` set, a
  missing or unknown key does not answer 401 but makes the request that consumer's, with X-Anonymous-Consumer
  (plugins/key-auth/handler.lua, `execute` / `set_consumer`);
- request-termination: answers {"message": message} with status_code (plugins/request-termination/handler.lua);
- request-transformer: `replace.headers` overwrites headers that are present, then `add.headers` sets those
  that are absent, "name:value" each (plugins/request-transformer/access.lua, transform_headers);
- correlation-id: keep the client's header, else generate one (uuid or uuid#counter), echo it downstream
  when echo_downstream (plugins/correlation-id/handler.lua);
- rate-limiting, policy local: counters per identifier (consumer, else credential, else client IP) and
  period window, X-RateLimit-Limit-<Period>, X-RateLimit-Remaining-<Period>, RateLimit-Limit/-Remaining/
  -Reset, and 429 "API rate limit exceeded" with Retry-After once a limit is used up
  (plugins/rate-limiting/handler.lua, plugins/rate-limiting/schema.lua);
- upstream: the service's url, path unchanged (strip_path false), Host of the upstream (preserve_host false),
  X-Forwarded-For = the client address (appended to the client's own header), X-Forwarded-Proto/-Host/-Port,
  Via (kong/runloop/handler.lua, X-Forwarded-* block); errors are {"message", "request_id"} JSON
  (kong/tools/http.lua).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import yaml

VERSION = "3.9.1"
PRIORITY = {
    "correlation-id": 100001,
    "key-auth": 1250,
    "rate-limiting": 910,
    "request-transformer": 801,
    "request-termination": 2,
}
PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host"}


def load_config() -> dict:
    """The declarative config, read from the source Kong would pick."""
    path = os.environ.get("KONG_DECLARATIVE_CONFIG")
    if path:
        with open(path) as handle:
            return yaml.safe_load(handle)
    text = os.environ.get("KONG_DECLARATIVE_CONFIG_STRING")
    return yaml.safe_load(text) if text else {"_format_version": "3.0"}


class Gateway:
    def __init__(self, config: dict):
        self.routes = []
        for service in config.get("services") or []:
            for route in service.get("routes") or []:
                self.routes.append((route, service))
        self.global_plugins = [p for p in config.get("plugins") or [] if p.get("enabled", True)]
        self.credentials = {}
        self.consumers = {}
        for consumer in config.get("consumers") or []:
            self.consumers[consumer["username"]] = consumer
            consumer.setdefault("id", str(uuid.uuid5(uuid.NAMESPACE_URL, "consumer:" + consumer["username"])))
            for credential in consumer.get("keyauth_credentials") or []:
                credential.setdefault("id", str(uuid.uuid5(uuid.NAMESPACE_URL, "key:" + credential["key"])))
                self.credentials[credential["key"]] = (consumer, credential)
        self.counters: dict[tuple, int] = {}
        self.lock = threading.Lock()
        self.worker_uuid = str(uuid.uuid4())
        self.worker_counter = 0

    def match(self, method: str, path: str, host: str):
        best = None
        for route, service in self.routes:
            if route.get("methods") and method not in route["methods"]:
                continue
            if route.get("hosts") and host.split(":")[0] not in route["hosts"]:
                continue
            if not any(_path_matches(p, path) for p in route.get("paths") or ["/"]):
                continue
            if best is None or route.get("regex_priority", 0) > best[0].get("regex_priority", 0):
                best = (route, service)
        return best

    def plugins(self, route: dict, service: dict, consumer: dict | None = None) -> list[dict]:
        chosen = {p["name"]: p for p in self.global_plugins}
        chosen.update({p["name"]: p for p in service.get("plugins") or [] if p.get("enabled", True)})
        chosen.update({p["name"]: p for p in route.get("plugins") or [] if p.get("enabled", True)})
        chosen.update({p["name"]: p for p in (consumer or {}).get("plugins") or [] if p.get("enabled", True)})
        known = [p for p in chosen.values() if p["name"] in PRIORITY]
        return sorted(known, key=lambda p: -PRIORITY[p["name"]])

    def correlation_id(self, generator: str) -> str:
        if generator == "uuid#counter":
            with self.lock:
                self.worker_counter += 1
                return f"{self.worker_uuid}#{self.worker_counter}"
        return str(uuid.uuid4())

    def rate(self, conf: dict, identifier: object):
        """(headers, exceeded): Kong's local policy, counting this request when it passes."""
        now = time.time()
        usage = {}
        stop = None
        with self.lock:
            for period, seconds in PERIODS.items():
                limit = conf.get(period)
                if not limit:
                    continue
                window = int(now // seconds * seconds)
                used = self.counters.get((identifier, period, window), 0)
                usage[period] = (limit, limit - used, seconds, window)
                if limit - used <= 0:
                    stop = period
            if stop is None:
                for period, (_, _, _, window) in usage.items():
                    key = (identifier, period, window)
                    self.counters[key] = self.counters.get(key, 0) + 1
        headers = {}
        best = None
        for period, (limit, remaining, seconds, window) in usage.items():
            if stop is None or stop == period:
                remaining -= 1
            remaining = max(0, remaining)
            if best is None or remaining < best[1] or (remaining == best[1] and seconds > best[2]):
                best = (limit, remaining, seconds, max(1, int(seconds - (now - window))))
            headers[f"X-RateLimit-Limit-{period.capitalize()}"] = str(limit)
            headers[f"X-RateLimit-Remaining-{period.capitalize()}"] = str(remaining)
        if best and not conf.get("hide_client_headers"):
            headers.update({"RateLimit-Limit": str(best[0]), "RateLimit-Remaining": str(best[1])})
            headers["RateLimit-Reset"] = str(best[3])
            if stop:
                headers["Retry-After"] = str(best[3])
        return (headers if not conf.get("hide_client_headers") else {}), stop is not None


def _path_matches(pattern: str, path: str) -> bool:
    if pattern.startswith("~"):
        return re.match(pattern[1:], path) is not None
    return path.startswith(pattern)


class Handler(BaseHTTPRequestHandler):
    gateway: Gateway
    protocol_version = "HTTP/1.1"
    server_version = f"kong/{VERSION}"

    def log_message(self, fmt: str, *args) -> None:
        sys.stdout.write(f"{self.client_address[0]} - {fmt % args}\n")
        sys.stdout.flush()

    def _error(self, status: int, message: str, headers: dict | None = None) -> None:
        body = json.dumps({"message": message, "request_id": uuid.uuid4().hex}).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_one(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        found = self.gateway.match(self.command, split.path, self.headers.get("Host", ""))
        if not found:
            return self._error(404, "no Route matched with those values")
        route, service = found
        upstream = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        downstream: dict[str, str] = {}
        consumer = credential = None
        done: set[str] = set()
        while True:
            # Consumer-scoped plugins apply once key-auth has named the consumer: re-plan, skip what already ran.
            plan = [p for p in self.gateway.plugins(route, service, consumer) if p["name"] not in done]
            if not plan:
                break
            plugin = plan[0]
            done.add(plugin["name"])
            conf = plugin.get("config") or {}
            if plugin["name"] == "correlation-id":
                header = conf.get("header_name", "Kong-Request-ID")
                value = self.headers.get(header) or self.gateway.correlation_id(conf.get("generator", "uuid#counter"))
                upstream[header] = value
                if conf.get("echo_downstream"):
                    downstream[header] = value
            elif plugin["name"] == "key-auth":
                key = None
                query = parse_qs(split.query)
                for name in conf.get("key_names") or ["apikey"]:
                    values = self.headers.get_all(name) or []
                    if not values and conf.get("key_in_query", True):
                        values = query.get(name, [])
                    if len(values) > 1:
                        return self._error(401, "Duplicate API key found", {"WWW-Authenticate": "Key"})
                    if values:
                        key = values[0]
                        if conf.get("hide_credentials") and key in self.gateway.credentials:
                            upstream = {k: v for k, v in upstream.items() if k.lower() != name.lower()}
                        break
                realm = {"WWW-Authenticate": f'Key realm="{conf["realm"]}"' if conf.get("realm") else "Key"}
                if key in self.gateway.credentials:
                    consumer, credential = self.gateway.credentials[key]
                    upstream["X-Credential-Identifier"] = credential["id"]
                elif conf.get("anonymous"):
                    consumer = self.gateway.consumers[conf["anonymous"]]
                    upstream["X-Anonymous-Consumer"] = "true"
                elif not key:
                    return self._error(401, "No API key found in request", {**realm, **downstream})
                else:
                    return self._error(401, "Unauthorized", {**realm, **downstream})
                upstream["X-Consumer-ID"] = consumer["id"]
                upstream["X-Consumer-Username"] = consumer["username"]
            elif plugin["name"] == "rate-limiting":
                by = conf.get("limit_by", "consumer")
                identifier = None
                if by == "consumer":
                    identifier = (consumer or credential or {}).get("id")
                elif by == "credential":
                    identifier = (credential or {}).get("id")
                scope = (plugin["name"], id(plugin))  # each plugin instance counts on its own
                headers, exceeded = self.gateway.rate(conf, (scope, identifier or self.client_address[0]))
                downstream.update(headers)
                if exceeded:
                    return self._error(
                        conf.get("error_code", 429), conf.get("error_message", "API rate limit exceeded"), downstream
                    )
            elif plugin["name"] == "request-termination":
                return self._error(
                    conf.get("status_code", 503), conf.get("message") or "Service unavailable", downstream
                )
            elif plugin["name"] == "request-transformer":
                for item in (conf.get("replace") or {}).get("headers") or []:
                    name, _, value = item.partition(":")
                    present = [k for k in upstream if k.lower() == name.lower()]
                    for k in present:
                        upstream[k] = value
                for item in (conf.get("add") or {}).get("headers") or []:
                    name, _, value = item.partition(":")
                    if not any(k.lower() == name.lower() for k in upstream):
                        upstream[name] = value
        self._proxy(service, upstream, body, downstream)

    def _proxy(self, service: dict, headers: dict, body: bytes, downstream: dict) -> None:
        target = urlsplit(service["url"])
        forwarded = self.headers.get("X-Forwarded-For")
        client = self.client_address[0]
        headers["X-Forwarded-For"] = f"{forwarded}, {client}" if forwarded else client
        headers["X-Forwarded-Proto"] = "http"
        headers["X-Forwarded-Host"] = self.headers.get("Host", "").split(":")[0]
        headers["X-Forwarded-Port"] = str(self.server.server_address[1])
        headers["Via"] = f"1.1 kong/{VERSION}"
        headers["Host"] = target.netloc
        timeout = (service.get("read_timeout") or 60000) / 1000
        started = time.monotonic()
        try:
            connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=timeout)
            connection.request(self.command, self.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        except OSError:
            return self._error(502, "An invalid response was received from the upstream server")
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in HOP and name.lower() != "content-length":
                self.send_header(name, value)
        for name, value in downstream.items():
            self.send_header(name, value)
        self.send_header("X-Kong-Upstream-Latency", str(int((time.monotonic() - started) * 1000)))
        self.send_header("Via", f"1.1 kong/{VERSION}")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_one


def main() -> None:
    listen = os.environ.get("KONG_PROXY_LISTEN", "0.0.0.0:8000").split(",")[0].split()[0]
    host, port = listen.rsplit(":", 1)
    Handler.gateway = Gateway(load_config())
    server = ThreadingHTTPServer((host, int(port)), Handler)
    with open("/tmp/kong.pid", "w") as handle:
        handle.write(str(os.getpid()))
    print(f"kong edge {VERSION}: {len(Handler.gateway.routes)} routes on {listen}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
