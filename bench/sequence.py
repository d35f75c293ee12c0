"""Benchmark: POST /sequence with 32 clients on PostgreSQL, beside its ceiling and the guide's sample, same run.

1. The generated Central Sequence Service (services/central-sequence/domain.py), one uvicorn worker.
2. The ceiling: 32 threads, each with its own psycopg connection, running the same SQL in a loop (no HTTP): the
   lookup on its own, and the four statements that create a number in one transaction, as the service does.
3. The guide's sample (bench/sequence_guide_app.py: read, add one, write), one uvicorn worker, with the number
   of duplicates it hands out: two answers giving the same element the same number after different requests
   (a lost update), and, for the generated service, any number given to two elements of one type.
4. The driver row (bench/sequence_driver_app.py): the same HTTP stack and the same SQL over asyncpg, with
   no SQLAlchemy, API-key check or spec check of the body: the edge of what a service on this stack reaches.
5. The floor (bench/sequence_floor_app.py): the same HTTP stack and body, no database: what FastAPI and
   uvicorn alone cost here, the most any service on them can reach.
Each server's CPU seconds a request come from /proc (its own time, whatever else the machine runs).

Workload: each request names an element of one of 4 types, drawn from --elements ids per type, so early requests
create numbers and later ones repeat them (safe retries), as clients do; repeats of one element at the same
moment are what the guide's read-add-write gets wrong.
Clients are threads with one keep-alive http.client connection each (see _http for why not httpx).
Run: .venv/bin/python bench/sequence.py [--requests 4000] [--clients 32] [--elements 250]
PostgreSQL: FOUNTAIN_BENCH_POSTGRES_URL, else a throwaway cluster (scripts/pg-throwaway) for the run.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data_layer, sequence_sql  # noqa: E402
from bench.data_layer import _database, _postgres, _stop_postgres  # noqa: E402

TYPES = ("script", "section", "character", "action")
KEY = "bench-key"


def _serve(app: str, cwd: Path, env: dict[str, str]):
    """data_layer's uvicorn launcher, with keep-alive longer than any pause (an idle close races a reuse)."""
    env = {**env, "UVICORN_TIMEOUT_KEEP_ALIVE": "120"}
    return data_layer._serve(app, cwd, env)


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(app: str, cwd: Path, env: dict[str, str], work: list[tuple[str, int]], clients: int):
    """Serve app, run the load, stop it: (req/s, p99 ms, answers, server CPU ms a request)."""
    process, base = _serve(app, cwd, env)
    try:
        before = _cpu_seconds(process.pid)
        try:
            rate, p99, answers = _http(base, work, clients)
        except Exception:
            print("server exit code:", process.poll(), file=sys.stderr)
            raise
        cpu = (_cpu_seconds(process.pid) - before) * 1000 / len(work)
    finally:
        process.terminate()
        process.wait()
    return rate, p99, answers, cpu


def _work(requests: int, elements: int, seed: int = 7) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    return [(rng.choice(TYPES), rng.randint(1, elements)) for _ in range(requests)]


def _p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[int(len(ordered) * 0.99) - 1] * 1000


def _http(base: str, work: list[tuple[str, int]], clients: int) -> tuple[float, float, list]:
    """clients threads, each one keep-alive connection (http.client), taking requests from one queue.

    http.client, not httpx: httpx's async client spent more CPU per request (4.5 ms) than the service
    itself (4 ms) on this 2-core machine, so the load generator was measuring itself; http.client costs a
    fraction of that, and the figures below are the service's.
    """
    import http.client
    import json
    from urllib.parse import urlsplit

    host, port = urlsplit(base).hostname, urlsplit(base).port
    jobs = iter(work)
    lock = threading.Lock()
    latencies: list[float] = []
    answers: list[tuple[str, int, int]] = []
    errors: list[str] = []
    headers = {"X-API-KEY": KEY, "Content-Type": "application/json"}

    def one_client() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        try:
            while not errors:
                with lock:
                    job = next(jobs, None)
                if job is None:
                    return
                kind, element = job
                body = json.dumps({"elementType": kind, "elementId": element, "comment": "b"})
                start = time.perf_counter()
                connection.request("POST", "/v2/sequence", body=body, headers=headers)
                answer = connection.getresponse()
                text = answer.read()
                latencies.append(time.perf_counter() - start)
                if answer.status != 201:
                    errors.append(f"{answer.status} {text[:200]!r}")
                    return
                answers.append((kind, element, json.loads(text)["sequenceNumber"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=one_client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"POST /sequence failed: {errors[0]}")
    return len(work) / elapsed, _p99(latencies), answers


def _ceiling(url: str, work: list[tuple[str, int]], clients: int) -> tuple[float, float]:
    """The domain module's SQL, straight over psycopg, one connection per thread."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as setup:
        for statement in sequence_sql.TABLES:
            setup.execute(statement)
    jobs = iter(work)
    lock = threading.Lock()
    latencies: list[float] = []

    def run() -> None:
        # As the service runs it (runtime/sql.py's read()): the lookup on its own, a transaction only to create.
        with psycopg.connect(dsn, autocommit=True) as db:
            while True:
                with lock:
                    job = next(jobs, None)
                if job is None:
                    return
                kind, element = job
                start = time.perf_counter()
                found = db.execute(sequence_sql.FIND, job).fetchone()
                if found is None:
                    with db.transaction():
                        number = db.execute(sequence_sql.TAKE, (kind,)).fetchone()[0]
                        again = db.execute(sequence_sql.FIND, job).fetchone()
                        if again is None:
                            db.execute(sequence_sql.KEEP, (kind, element, number, "b"))
                        else:
                            db.execute(sequence_sql.GIVE_BACK, (kind,))
                latencies.append(time.perf_counter() - start)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(work) / (time.perf_counter() - start), _p99(latencies)


def _duplicates(answers: list[tuple[str, int, int]], per_element: bool) -> int:
    """Answers that repeat a number: per element for the guide (lost updates), per type for ours."""
    seen: dict[tuple, set[int]] = defaultdict(set)
    if per_element:
        counts: dict[tuple, int] = defaultdict(int)
        for kind, element, number in answers:
            counts[(kind, element, number)] += 1
        return sum(n - 1 for n in counts.values())
    for kind, element, number in answers:
        seen[(kind, number)].add(element)
    return sum(len(elements) - 1 for elements in seen.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--elements", type=int, default=250, help="element ids per type")
    args = parser.parse_args()
    work = _work(args.requests, args.elements)
    with tempfile.TemporaryDirectory() as folder:
        Path(folder).chmod(0o755)  # the throwaway cluster runs as the postgres user, who must reach its folder
        server, pg = _postgres(Path(folder))
        try:
            out = Path(folder) / "out"
            from generator import generate

            generate(ROOT / "specs" / "central-sequence", out, project_root=ROOT)
            tree = out / "central-sequence"
            env = {"PYTHONPATH": str(tree), "DATABASE_URL": _database(server), "API_KEYS": KEY}
            ours = _measure("central_sequence.main:create_app", tree, env, work, args.clients)
            ceiling = _ceiling(_database(server), work, args.clients)
            env = {"PYTHONPATH": str(ROOT / "bench"), "DATABASE_URL": _database(server)}
            guide = _measure("sequence_guide_app:create_app", ROOT / "bench", env, work, args.clients)
            env = {**env, "DATABASE_URL": _database(server)}
            driver = _measure("sequence_driver_app:create_app", ROOT / "bench", env, work, args.clients)
            floor = _measure(
                "sequence_floor_app:create_app", ROOT / "bench", {"PYTHONPATH": str(ROOT / "bench")}, work, args.clients
            )
        finally:
            _stop_postgres(pg)
    print(f"POST /sequence, {args.requests} requests, {args.clients} clients, {args.elements} ids/type, PostgreSQL")
    print(f"{'':36}{'req/s':>8}{'p99 ms':>8}{'duplicates':>12}{'server CPU ms/req':>19}")
    rows = [
        ("generated service", ours, _duplicates(ours[2], False)),
        ("ceiling: psycopg loop, same SQL", (*ceiling, None, None), "-"),
        ("guide sample: read, add one, write", guide, _duplicates(guide[2], True)),
        ("driver: same HTTP and SQL, no ORM", driver, _duplicates(driver[2], False)),
        ("floor: same HTTP stack, no database", floor, "-"),
    ]
    for name, (rate, p99, _, cpu), duplicates in rows:
        cpu_text = "-" if cpu is None else f"{cpu:.2f}"
        print(f"{name:36}{rate:>8.0f}{p99:>8.1f}{duplicates:>12}{cpu_text:>19}")
    print(
        f"generated / ceiling: {ours[0] / ceiling[0]:.2f}; driver / ceiling: {driver[0] / ceiling[0]:.2f};"
        f" floor / ceiling: {floor[0] / ceiling[0]:.2f}"
    )


if __name__ == "__main__":
    main()
