"""Acceptance check `fountain implement` runs on a candidate domain module: numbers under concurrent clients.

Copied into the generated tree's tests/ beside conftest.py. A real uvicorn server in this process and
16 client threads asking for new and repeated elements at once: no 5xx, no number handed to two
elements of a type, asking again gives the same number, and none skipped. (tests/test_central_sequence.py
runs the full 64-client, 5,000-request version against the committed module on both databases.)
"""

import random
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from .conftest import API_KEY, APP

CLIENTS = 16
REQUESTS = 400


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_concurrent_numbers_are_unique_and_stable():
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(APP, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    rng = random.Random(7)
    work = [("character" if rng.random() < 0.7 else "action", rng.randint(1, 120)) for _ in range(REQUESTS)]
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"X-API-KEY": API_KEY},
            timeout=60,
            limits=httpx.Limits(max_connections=CLIENTS),
        ) as client:

            def ask(job):
                kind, element = job
                answer = client.post("/v2/sequence", json={"elementType": kind, "elementId": element, "comment": "c"})
                return kind, element, answer.status_code, answer.json().get("sequenceNumber")

            with ThreadPoolExecutor(CLIENTS) as pool:
                results = list(pool.map(ask, work))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    if all(r[2] == 501 for r in results):
        pytest.skip("generateSequenceNumber is still a stub; nothing to check concurrently")
    failed = [r for r in results if r[2] >= 500]
    assert not failed, f"{len(failed)} of {REQUESTS} requests answered 5xx, e.g. {failed[0]}"
    numbers: dict[str, dict[int, set[int]]] = {}
    for kind, element, status, number in results:
        assert status == 201, (kind, element, status, number)
        numbers.setdefault(kind, {}).setdefault(element, set()).add(number)
    for kind, elements in numbers.items():
        owners: dict[int, set[int]] = {}
        for element, handed in elements.items():
            for number in handed:
                owners.setdefault(number, set()).add(element)
        duplicates = {n: sorted(e) for n, e in sorted(owners.items()) if len(e) > 1}
        assert not duplicates, f"{kind}: duplicate sequence numbers handed out: {dict(list(duplicates.items())[:5])}"
        unstable = {e: sorted(n) for e, n in elements.items() if len(n) > 1}
        assert not unstable, f"{kind}: asking again gave another number: {dict(list(unstable.items())[:5])}"
        assert sorted(owners) == list(range(1, len(owners) + 1)), f"{kind}: numbers skipped: {sorted(owners)}"
