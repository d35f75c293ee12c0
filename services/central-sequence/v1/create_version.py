"""createVersion: POST /sequence/version (central-sequence v1).

Create a new version of an element

Written once by `fountain generate` and never overwritten: replace the body with the real logic.
Until then the endpoint answers 501 and names this file.
"""

# fountain-signature: f4dee92f38d25b4a create_version(body: VersionRequest) -> VersionResponse | dict[str, Any]

from typing import Any

from central_sequence.runtime.context import Context
from central_sequence.v1.models import VersionRequest, VersionResponse


def create_version(
    ctx: Context,
    *,
    body: VersionRequest,
) -> VersionResponse | dict[str, Any]:
    """Create a new version of an element"""
    raise NotImplementedError
