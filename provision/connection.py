"""The SSH edge: a fabric Connection with the key from memory, known-hosts checking, and one-line errors."""

from __future__ import annotations

import io
import logging
import shlex
from dataclasses import dataclass
from pathlib import Path

import paramiko
from fabric import Connection
from invoke.exceptions import UnexpectedExit

from . import known_hosts
from .errors import DeployError

# paramiko logs a failed handshake with its traceback to stderr (through logging's last-resort handler);
# every failure here becomes one DeployError line instead, so its records go nowhere.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class Target:
    host: str
    user: str
    port: int = 22
    known_hosts: Path = Path.home() / ".ssh" / "known_hosts"
    accept_new_host_key: bool = False
    timeout: float = 10.0
    # `type base64` host keys from a trusted source (Lightsail's GetInstanceAccessDetails); pinned, not TOFU.
    host_keys: tuple[str, ...] = ()


def load_key(text: str) -> paramiko.PKey:
    """A private key given as text (OpenSSH or PEM; Ed25519, ECDSA or RSA)."""
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise DeployError("the SSH private key is not a readable Ed25519, ECDSA or RSA key (encrypted keys need an agent)")


class _KnownHosts(paramiko.MissingHostKeyPolicy):
    """Every offered key goes through known_hosts.check (paramiko's own store is left empty, so it never
    rewrites the file or chokes on @cert-authority lines)."""

    def __init__(self, target: Target):
        self.target = target

    def missing_host_key(self, client, hostname, key):
        known_hosts.check(
            self.target.known_hosts,
            self.target.host,
            self.target.port,
            key.get_name(),
            key.get_base64(),
            pinned=self.target.host_keys,
            accept_new=self.target.accept_new_host_key,
        )


def _program(argv: list[str]) -> str:
    """The program a command runs, for error messages (the script's first word for `sh -c`)."""
    return argv[2].split()[0] if argv[:2] == ["sh", "-c"] else argv[0]


class Host:
    """Runs commands and writes files on the host; every failure becomes a DeployError."""

    def __init__(self, target: Target, key: paramiko.PKey):
        self.target = target
        self.connection = Connection(
            target.host,
            user=target.user,
            port=target.port,
            connect_timeout=target.timeout,
            connect_kwargs={
                "pkey": key,
                "look_for_keys": False,
                "allow_agent": False,
                "banner_timeout": target.timeout,
                "auth_timeout": target.timeout,
            },
        )
        client = self.connection.client
        client.get_host_keys().clear()
        client.set_missing_host_key_policy(_KnownHosts(target))
        self._sftp: paramiko.SFTPClient | None = None

    @property
    def where(self) -> str:
        return f"{self.target.user}@{self.target.host}:{self.target.port}"

    def open(self) -> None:
        try:
            self.connection.open()
        except paramiko.BadHostKeyException:
            raise DeployError(
                f"{self.where}: the host key changed; if that is expected, remove the old one from "
                f"{self.target.known_hosts}"
            ) from None
        except paramiko.AuthenticationException:
            raise DeployError(f"{self.where}: the host refused the SSH key for user {self.target.user}") from None
        except paramiko.SSHException as error:
            if "protocol banner" in str(error):
                raise DeployError(f"{self.where}: no SSH server answers on this port ({error})") from None
            raise DeployError(f"{self.where}: SSH failed: {error}") from None
        except (TimeoutError, OSError) as error:
            # paramiko wraps per-address failures (NoValidConnectionsError); the first one says why.
            inner = next(iter((getattr(error, "errors", None) or {}).values()), error)
            reason = getattr(inner, "strerror", None) or str(inner) or type(inner).__name__
            raise DeployError(f"{self.where}: host unreachable ({reason})") from None

    def run(self, *argvs: list[str], check: bool = True, stdin: str | None = None) -> tuple[int, str, str]:
        """Run argv lists (see commands.py), chained with &&; stdin: text fed to them (e.g. a password)."""
        # The one place where a command becomes shell text: every word is quoted here and nowhere else.
        command = " && ".join(shlex.join(argv) for argv in argvs)
        stream = io.StringIO(stdin) if stdin is not None else False
        try:
            result = self.connection.run(command, hide=True, warn=True, in_stream=stream)
        except (OSError, paramiko.SSHException) as error:
            raise DeployError(f"{self.where}: connection lost ({error})") from None
        except UnexpectedExit as error:  # only without warn=True; kept for safety
            result = error.result
        if check and result.exited != 0:
            last = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["no output"]
            raise DeployError(f"{self.where}: `{_program(argvs[0])}` failed ({result.exited}): {last[0]}")
        return result.exited, result.stdout, result.stderr

    @property
    def sftp(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            self._sftp = self.connection.sftp()
        return self._sftp

    def write(self, path: str, data: bytes, mode: int) -> None:
        """Write a file with its mode set before any byte lands (secrets never sit world-readable)."""
        try:
            with self.sftp.open(path, "wb") as handle:
                handle.chmod(mode)
                handle.write(data)
        except (OSError, paramiko.SSHException) as error:
            raise DeployError(f"{self.where}: upload of {path} failed ({error})") from None

    def close(self) -> None:
        self.connection.close()
