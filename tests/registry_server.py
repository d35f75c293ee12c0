"""A stand-in image registry at its HTTP edge: the v2 API's manifest HEAD behind token authentication.

It answers as distribution/distribution documents (`docs/spec/api.md`, `docs/spec/auth/token.md`): without a
token, 401 with a `WWW-Authenticate: Bearer realm=...,service=...,scope=...` challenge; the realm hands out a
token for the right basic credentials; with it, 200 for a tag it holds and 404 (MANIFEST_UNKNOWN) otherwise.
`GET /v2/` (the version check `docker login` makes) answers the same challenge, then 200 with a token. The token
request of `docker login` asks for an offline token (`offline_token=true`, token.md's "Requesting a Token");
`refuse_logins` refuses those, as a registry that locked the host's account would.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Registry:
    def __init__(self, username: str, password: str):
        self.username, self.password = username, password
        self.tags: set[str] = set()  # "repository:tag"
        self.tokens: set[str] = set()
        self.heads: list[str] = []
        self.logins: list[str] = []  # the user of each offline token handed out (a `docker login`)
        self.refuse_logins = False
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 - http.server's naming
                if self.path.startswith("/token"):
                    expected = "Basic " + base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode()
                    login = "offline_token=true" in self.path
                    if self.headers.get("Authorization") != expected or (login and registry.refuse_logins):
                        self.send_response(401)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    if login:
                        registry.logins.append(registry.username)
                    token = secrets.token_hex(8)
                    registry.tokens.add(token)
                    body = json.dumps({"token": token}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if self.path == "/v2/":
                    if not self._authorized():
                        return
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                    return
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _authorized(self, scope: str | None = None) -> bool:
                """True with a token we handed out; else a 401 with the Bearer challenge is sent."""
                if self.headers.get("Authorization", "").removeprefix("Bearer ") in registry.tokens:
                    return True
                self.send_response(401)
                port = self.server.server_address[1]
                challenge = f'Bearer realm="http://127.0.0.1:{port}/token",service="registry.test"'
                self.send_header("WWW-Authenticate", challenge + (f',scope="{scope}"' if scope else ""))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False

            def do_HEAD(self):  # noqa: N802
                if not self.path.startswith("/v2/") or "/manifests/" not in self.path:
                    self.send_response(404)
                    self.end_headers()
                    return
                repository, _, tag = self.path[len("/v2/") :].partition("/manifests/")
                if not self._authorized(f"repository:{repository}:pull"):
                    return
                registry.heads.append(f"{repository}:{tag}")
                found = f"{repository}:{tag}" in registry.tags
                self.send_response(200 if found else 404)
                if found:
                    self.send_header("Docker-Content-Digest", "sha256:" + "0" * 64)
                self.send_header("Content-Type", "application/vnd.oci.image.index.v1+json")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Registry:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
