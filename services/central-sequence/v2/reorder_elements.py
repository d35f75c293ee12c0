"""reorderElements: PUT /sequence/reorder (central-sequence v2).

Reorder elements

Written once by `fountain generate` and never overwritten: replace the body with the real logic.
Until then the endpoint answers 501 and names this file.
"""

# fountain-signature: 5b3961401b7524af reorder_elements(body: ReorderRequest) -> ReorderResponse | dict[str, Any]

from typing import Any

from central_sequence.runtime.context import Context
from central_sequence.v2.models import ReorderRequest, ReorderResponse


def reorder_elements(
    ctx: Context,
    *,
    body: ReorderRequest,
) -> ReorderResponse | dict[str, Any]:
    """Reorder elements"""
    raise NotImplementedError
