"""A real Docker engine and a real registry (distribution's `docker-registry`) on this machine, for the image tests.

Both come from Debian (`docker.io`, `docker-registry`; `.ci/run` installs them). No registry on the internet can
be reached here, so the base image is imported from a local tar and the registry is the local distribution server
speaking the real registry protocol, with htpasswd (bcrypt) auth.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import docker

BASE_IMAGE = "fountain-test-base:1"
REGISTRY_USER = "ci"
REGISTRY_PASSWORD = "registry-password-for-tests"


@dataclass
class Engine:
    client: docker.DockerClient
    registry: str  # host:port

    @property
    def auth(self) -> dict[str, str]:
        return {"username": REGISTRY_USER, "password": REGISTRY_PASSWORD, "serveraddress": self.registry}


def unavailable() -> str | None:
    """Why a real engine cannot run here, or None."""
    if os.geteuid() != 0:
        return "dockerd needs root"
    for tool in ("dockerd", "docker-registry"):
        if not shutil.which(tool):
            return f"{tool} is not installed (apt-get install docker.io docker-registry; .ci/run does it)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, what: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {seconds} s:\n{log.read_text()[-2000:]}")


def _base_image_tar() -> bytes:
    """A one-file root filesystem: enough for FROM + COPY, which need no process in the container."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = b"fountain test base\n"
        info = tarfile.TarInfo("etc/fountain-base")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@contextmanager
def engine() -> Iterator[Engine]:
    """Start dockerd and a registry in a throwaway directory; stop both and remove everything afterwards."""
    # A short path: the engine's unix sockets must fit in 108 bytes.
    work = Path(tempfile.mkdtemp(prefix="fdk-", dir="/tmp"))
    processes: list[subprocess.Popen] = []
    try:
        port = _free_port()
        hashed = bcrypt.hashpw(REGISTRY_PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
        (work / "htpasswd").write_text(f"{REGISTRY_USER}:{hashed}\n")
        (work / "registry.yml").write_text(
            "version: 0.1\n"
            f"storage: {{filesystem: {{rootdirectory: {work / 'registry-data'}}}}}\n"
            f"http: {{addr: '127.0.0.1:{port}'}}\n"
            f"auth: {{htpasswd: {{realm: fountain-test, path: {work / 'htpasswd'}}}}}\n"
        )
        registry_log = work / "registry.log"
        with registry_log.open("wb") as out:
            processes.append(
                subprocess.Popen(["docker-registry", "serve", str(work / "registry.yml")], stdout=out, stderr=out)
            )
        socket_path = work / "docker.sock"
        engine_log = work / "dockerd.log"
        with engine_log.open("wb") as out:
            processes.append(
                subprocess.Popen(
                    [
                        "dockerd",
                        f"--host=unix://{socket_path}",
                        f"--data-root={work / 'data'}",
                        f"--exec-root={work / 'exec'}",
                        f"--pidfile={work / 'dockerd.pid'}",
                        # No network or bridge needed: builds here only COPY; vfs works on any filesystem.
                        "--iptables=false",
                        "--ip6tables=false",
                        "--bridge=none",
                        "--storage-driver=vfs",
                    ],
                    stdout=out,
                    stderr=out,
                )
            )
        # The client asks the engine for its API version when it is made, so it is made once the socket answers.
        _wait(lambda: docker.APIClient(base_url=f"unix://{socket_path}").ping(), "dockerd", engine_log)
        client = docker.DockerClient(base_url=f"unix://{socket_path}", timeout=120)
        _wait(
            lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() is None, "registry", registry_log
        )
        client.api.import_image_from_data(_base_image_tar(), repository=BASE_IMAGE.split(":")[0], tag="1")
        yield Engine(client, f"127.0.0.1:{port}")
        client.close()
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(work, ignore_errors=True)
