"""Host key checking against an OpenSSH known_hosts file that is only ever appended to.

Follows sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT": one line per key, `[marker] hostpatterns keytype base64 [comment]`;
markers `@cert-authority` (a CA key, not a host key) and `@revoked` (this key must never be accepted);
host patterns are comma-separated, `[host]:port` for a port other than 22, `|1|salt|hmac` when hashed
(HMAC-SHA1 of the host name keyed by the salt), `*`/`?` wildcards and `!` negation. Key types we cannot parse
(`sk-ssh-ed25519@openssh.com`, certificates) are compared as text: a line is never rewritten or dropped.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from .errors import DeployError


class HostKeyChanged(DeployError):
    """The host offered a key other than the one on record (or a revoked one): fail at once, never retry."""


@dataclass(frozen=True)
class Entry:
    marker: str | None
    patterns: tuple[str, ...]
    key_type: str
    key: str


def host_label(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def parse(text: str) -> list[Entry]:
    """Every usable line; comments, blank and malformed lines are skipped (and kept in the file)."""
    entries = []
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        marker = fields.pop(0) if fields[0].startswith("@") else None
        if len(fields) < 3:
            continue
        entries.append(Entry(marker, tuple(fields[0].split(",")), fields[1], fields[2]))
    return entries


def _pattern_matches(pattern: str, label: str) -> bool:
    if pattern.startswith("|1|"):
        try:
            salt, digest = (base64.b64decode(p) for p in pattern[3:].split("|", 1))
        except (ValueError, TypeError):
            return False
        return hmac.compare_digest(hmac.new(salt, label.encode(), hashlib.sha1).digest(), digest)
    return fnmatch.fnmatchcase(label, pattern.lower()) if any(c in pattern for c in "*?") else pattern == label


def matches(entry: Entry, label: str) -> bool:
    """sshd(8): a negated pattern that matches excludes the line even if another pattern matches."""
    if any(p.startswith("!") and _pattern_matches(p[1:], label) for p in entry.patterns):
        return False
    return any(not p.startswith("!") and _pattern_matches(p, label) for p in entry.patterns)


def check(
    path: Path, host: str, port: int, key_type: str, key: str, *, pinned: tuple[str, ...] = (), accept_new: bool
) -> None:
    """Accept the offered key, append it when it is new and allowed, or raise; the file is only appended to.

    `pinned` holds `type base64` keys from a trusted source (Lightsail's GetInstanceAccessDetails): a new
    host is accepted only with one of them, without trusting the network on first use.
    """
    label = host_label(host, port)
    where = f"{host}:{port}"
    every = parse(path.read_text()) if path.is_file() else []
    entries = [e for e in every if matches(e, label)]
    if any(e.marker == "@revoked" and e.key == key for e in every):
        raise HostKeyChanged(f"{where}: the host offered a revoked key ({key_type}) listed in {path}")
    known = [e for e in entries if e.marker is None]
    if any(e.key_type == key_type and e.key == key for e in known):
        return
    if known:
        raise HostKeyChanged(
            f"{where}: the host key changed ({key_type}); if that is expected, remove the old one from {path}"
        )
    if pinned:
        if f"{key_type} {key}" not in pinned:
            raise HostKeyChanged(f"{where}: the host's {key_type} key is not the one Lightsail reports for it")
    elif not accept_new:
        raise DeployError(f"{where}: unknown host key; check it and rerun with --accept-new-host-key")
    append(path, label, key_type, key)


def append(path: Path, label: str, key_type: str, key: str) -> None:
    """Add one line at the end, after a newline if the file lacks a final one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lead = ""
    if path.is_file() and path.stat().st_size:
        with path.open("rb") as handle:
            handle.seek(-1, 2)
            lead = "" if handle.read(1) == b"\n" else "\n"
    with path.open("a") as handle:
        handle.write(f"{lead}{label} {key_type} {key}\n")
