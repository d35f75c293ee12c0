"""A scriptable OpenAI-compatible chat completions server on 127.0.0.1: the API's edge, for tests and bench/.

The real SDK talks real HTTP to it. A script maps a domain function's name (found in the prompt's
"Write the function `name`") to its steps, one per request, the last one repeating:
  {"answer": {"imports": [...], "code": "...", "notes": "..."}}   a structured answer
  {"raw": "text"}                                                 message content as given (invalid JSON)
  {"status": 429, "retry_after": "1"}                             an error status, with Retry-After if given
  {"hang": 5}                                                     answers only after that many seconds
Every request is recorded (function, step kind, time), so a test can count calls and measure gaps.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_FUNC = re.compile(r"Write the function `(\w+)`")


class ScriptedServer:
    """Start with `with ScriptedServer(script) as server:`; server.base_url is the SDK's base URL."""

    def __init__(self, script: dict[str, list[dict[str, Any]]]):
        self.script = script
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def calls_for(self, func: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["func"] == func]

    def _next(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        match = _FUNC.search(text)
        func = match[1] if match else "?"
        with self._lock:
            done = len(self.calls_for(func))
            steps = self.script.get(func) or [{"status": 400}]
            step = steps[min(done, len(steps) - 1)]
            self.calls.append({"func": func, "kind": next(iter(step)), "at": time.monotonic(), "body": body})
        return func, step

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/v1/chat/completions" or not self.headers.get("Authorization", "").startswith(
                    "Bearer "
                ):
                    self._send(404 if self.path != "/v1/chat/completions" else 401, {"error": {"message": "no"}})
                    return
                func, step = server._next(body)
                if "hang" in step:
                    time.sleep(step["hang"])
                    step = {"answer": {"imports": [], "code": "", "notes": "too late"}}
                if "status" in step:
                    headers = {"Retry-After": step["retry_after"]} if "retry_after" in step else {}
                    # x-should-retry is the SDK's own override; leave the decision to its status rules.
                    self._send(
                        step["status"], {"error": {"message": f"scripted {step['status']}", "type": "x"}}, headers
                    )
                    return
                content = step["raw"] if "raw" in step else json.dumps(step["answer"])
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(server.calls)}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "scripted"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": sum(len(str(m.get("content", ""))) for m in body["messages"]) // 4,
                            "completion_tokens": len(content) // 4,
                            "total_tokens": 0,
                        },
                    },
                )

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout); that is the point of a hang

        return Handler


def main() -> None:
    """Serve a script file (JSON) until interrupted, printing the base URL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("script", help="JSON file: {function name: [steps]}")
    args = parser.parse_args()
    with open(args.script, encoding="utf-8") as handle, ScriptedServer(json.load(handle)) as server:
        print(server.base_url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
