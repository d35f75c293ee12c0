"""Content hashes: an image tag for a service tree, a release name for a bundle."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


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
