"""Content hashes: an image tag for a service tree, a release name for a bundle.

This file is also shipped unchanged into every service tree as `.github/content_hash.py`: run in a checkout of
the service repository it prints the tag of the tree git tracks, the same tag the compose file names.
Standard library only, so the service workflow runs it with any Python 3.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Mapping
from pathlib import Path


def content_hash(files: Mapping[str, str | bytes], length: int = 12) -> str:
    """A short sha256 over sorted paths and contents; equal trees give equal hashes."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        data = files[rel]
        raw = data.encode() if isinstance(data, str) else data
        # Lengths go in too, so moving bytes from one file to the next changes the hash.
        digest.update(f"{rel}\0{len(raw)}\0".encode())
        digest.update(raw)
    return digest.hexdigest()[:length]


def tracked_files(root: Path) -> dict[str, bytes]:
    """The files git tracks under root: the tree the generator rendered, as published to the repository."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    return {rel: (root / rel).read_bytes() for rel in listing.decode().split("\0") if rel}


if __name__ == "__main__":
    print(content_hash(tracked_files(Path.cwd())))
