"""Base images at the registry's edge, built locally and cached in the engine by the hash of their recipe.

No registry can be pulled from here, so the images the bundle names are built on this machine and tagged
with those names: Debian bookworm from `debootstrap --variant=minbase` piped into `docker import`, then the
recipes under tests/edge/ (python:3.11-slim, the PostgreSQL image, Kong at its edge,
Redis for the ACME store) with the legacy builder.
A recipe whose hash (its files, its base, the proxy CA) is already tagged in the engine is not rebuilt.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from .engine import Engine

EDGE = Path(__file__).resolve().parent / "edge"
SUITE = "bookworm"
CA_DIR = Path("/usr/local/share/ca-certificates")
REPO = "fountain-edge"


def _mirror() -> str:
    """The Debian mirror apt already uses (deb822 or one-line sources)."""
    for path in [Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list")]:
        if path.exists():
            for line in path.read_text().splitlines():
                words = line.split()
                if words[:1] == ["URIs:"] and "security" not in words[1]:
                    return words[1]
                if words[:1] == ["deb"] and "security" not in line:
                    return next(w for w in words[1:] if "://" in w)
    raise RuntimeError("no Debian mirror in /etc/apt/sources.list(.d): the base images need the one apt uses")


def _proxy_ca() -> bytes:
    """The local CAs of this machine's trust store (its HTTPS proxy's), for builds in tests only."""
    return b"".join(p.read_bytes() for p in sorted(CA_DIR.glob("*.crt"))) if CA_DIR.is_dir() else b""


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def _recipe_bytes(name: str) -> list[bytes]:
    folder = EDGE / name
    return [
        p.relative_to(folder).as_posix().encode() + p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    ]


def _exists(engine: Engine, image: str) -> bool:
    return engine.docker("image", "inspect", image, check=False).returncode == 0


def debian_base(engine: Engine) -> str:
    """bookworm minbase, imported from a debootstrap tree (about 40 s the first time)."""
    mirror = _mirror()
    image = f"{REPO}/debian:{SUITE}-{_digest(b'minbase', SUITE.encode(), mirror.encode())}"
    if _exists(engine, image):
        return image
    if not shutil.which("debootstrap"):
        raise RuntimeError("debootstrap is not installed (apt-get install debootstrap; .ci/run does it)")
    root = Path(tempfile.mkdtemp(prefix="fountain-rootfs-"))
    try:
        done = subprocess.run(
            ["debootstrap", "--variant=minbase", SUITE, str(root), mirror], capture_output=True, text=True, timeout=900
        )
        if done.returncode != 0:
            raise RuntimeError(f"debootstrap failed: {(done.stdout + done.stderr)[-2000:]}")
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (root / junk).glob("*"):
                if path.is_file():
                    path.unlink()
        tar = subprocess.Popen(["tar", "-C", str(root), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)
        engine.docker("import", "--change", 'CMD ["bash"]', "-", image, stdin=tar.stdout)
        tar.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return image


def build_recipe(engine: Engine, name: str, base: str, tags: list[str]) -> str:
    """Build tests/edge/<name> on `base` (with the proxy CA in its context); tag it; cached by hash."""
    ca = _proxy_ca()
    image = f"{REPO}/{name}:{_digest(base.encode(), ca, *_recipe_bytes(name))}"
    if not _exists(engine, image):
        with tempfile.TemporaryDirectory(prefix=f"fountain-edge-{name}-") as context:
            shutil.copytree(EDGE / name, context, dirs_exist_ok=True)
            (Path(context) / "proxy-ca.crt").write_bytes(ca)
            engine.docker("build", "-q", "--network", "host", "--build-arg", f"BASE={base}", "-t", image, context)
    for tag in tags:
        engine.docker("tag", image, tag)
    return image


def edge_images(engine: Engine, python_tag: str, postgres_tag: str, kong_tag: str, redis_tag: str) -> dict[str, str]:
    """Every base the bundle names, built or taken from the cache; image name -> cached image."""
    base = debian_base(engine)
    python = build_recipe(engine, "python", base, [python_tag])
    return {
        python_tag: python,
        postgres_tag: build_recipe(engine, "postgres", base, [postgres_tag]),
        kong_tag: build_recipe(engine, "kong", python, [kong_tag]),
        redis_tag: build_recipe(engine, "redis", base, [redis_tag]),
    }
