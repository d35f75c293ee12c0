"""A real OpenSSH sshd on 127.0.0.1 for the provisioning tests and benchmark, with a non-root deploy user.

With `docker=True` the real Docker engine is behind it, as on the host: the deploy user joins the docker group
and has its own DOCKER_CONFIG (where `docker login` writes), with the Compose plugin in it unless `plugin=False`
(a host still installing it). Without, the deploy user finds the docker CLI but may not use the engine.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from paramiko import Ed25519Key

from .engine import install_compose_plugin

HERE = Path(__file__).resolve().parent
# As root, each sshd gets its own deploy user, created here and removed by stop(): test runs side by side
# (or a module's second sshd) never share one, so none can delete a user another still logs in as.
DEPLOY_USER_PREFIX = "fdeploy"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def deploy_user() -> tuple[str, bool]:
    """A non-root user to deploy as, and whether we created it: a new one when we are root, else ourselves."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name, False
    name = f"{DEPLOY_USER_PREFIX}{secrets.token_hex(4)}"
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
    # "*" rather than useradd's "!": no password login, but not a locked account, which sshd refuses.
    subprocess.run(["usermod", "-p", "*", name], check=True)
    return name, True


def _remove(work: Path, user: str, created_user: bool) -> None:
    """The folder with the private keys, and the user if we made it (with its home)."""
    shutil.rmtree(work, ignore_errors=True)
    if created_user:
        # --force: a session the terminated sshd left behind must not keep the user alive.
        subprocess.run(["userdel", "--force", "--remove", user], capture_output=True)


@dataclass
class Sshd:
    port: int
    user: str
    key: str  # the deploy user's private key (OpenSSH format)
    wrong_key: str
    workdir: Path
    root: str  # the release root on the "host"
    process: subprocess.Popen
    created_user: bool = False

    def cut_uploads_after(self, size: int | None) -> None:
        """Make the next sftp sessions drop after `size` bytes from the client (None: never)."""
        path = self.workdir / "sftp-cut-after"
        if size is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(str(size))
            path.chmod(0o644)

    @property
    def docker_config(self) -> Path:
        """The deploy user's DOCKER_CONFIG (with docker=True)."""
        return self.workdir / "docker-config"

    def stop(self) -> None:
        """Stop sshd and remove what start_sshd made: the work folder (keys included) and the user."""
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        _remove(self.workdir, self.user, self.created_user)


def start_sshd(docker: bool = False, plugin: bool = True) -> Sshd:
    """Start sshd on a free loopback port; returns once it accepts connections."""
    user, created_user = deploy_user()
    work = Path(tempfile.mkdtemp(prefix="fountain-sshd-"))
    try:
        return _start(docker, plugin, user, created_user, work)
    except BaseException:
        _remove(work, user, created_user)
        raise


def _start(docker: bool, plugin: bool, user: str, created_user: bool, work: Path) -> Sshd:
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    info = pwd.getpwnam(user)
    work.chmod(0o755)
    for name in ("host_key", "client_key", "wrong_key"):
        _keygen(work / name)
    (work / "authorized_keys").write_text((work / "client_key.pub").read_text())
    (work / "authorized_keys").chmod(0o644)
    bin_dir = work / "bin"
    bin_dir.mkdir()
    # The system interpreter: the deploy user may not reach the one running the tests (under /root).
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    docker_config = work / "docker-config"
    docker_config.mkdir()
    if docker:
        subprocess.run(["usermod", "-aG", "docker", user], check=True)
        if plugin:
            install_compose_plugin(docker_config)
    root = work / "srv"
    root.mkdir()
    for path in (docker_config, root):
        os.chown(path, info.pw_uid, info.pw_gid) if os.geteuid() == 0 else None
    port = _free_port()
    config = work / "sshd_config"
    env = (
        f"PATH={bin_dir}:/usr/local/bin:/usr/bin:/bin FAKE_SFTP_CUT_FILE={work / 'sftp-cut-after'} "
        f"DOCKER_CONFIG={docker_config}"
    )
    sftp = bin_dir / "sftp-server"
    sftp.write_text(f'#!/bin/sh\nexec "{python}" "{HERE / "hostbin" / "sftp-server"}" "$@"\n')
    sftp.chmod(0o755)
    config.write_text(
        "\n".join(
            [
                "ListenAddress 127.0.0.1",
                f"Port {port}",
                f"HostKey {work / 'host_key'}",
                f"PidFile {work / 'sshd.pid'}",
                f"AuthorizedKeysFile {work / 'authorized_keys'}",
                f"AllowUsers {user}",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "UsePAM no",
                "StrictModes no",
                "PermitRootLogin no",
                f"SetEnv {env}",
                f"Subsystem sftp {sftp}",
                "LogLevel ERROR",
                "",
            ]
        )
    )
    Path("/run/sshd").mkdir(exist_ok=True) if os.geteuid() == 0 else None
    with open(work / "sshd.log", "w") as log:
        process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stderr=log)
    server = Sshd(port, user, "", (work / "wrong_key").read_text(), work, str(root), process, created_user)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"sshd exited: {(work / 'sshd.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        Ed25519Key.from_private_key_file(str(work / "client_key"))  # fails early on a key paramiko cannot read
    except BaseException:
        server.stop()
        raise
    server.key = (work / "client_key").read_text()
    return server
