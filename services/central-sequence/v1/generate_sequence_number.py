"""generateSequenceNumber: POST /sequence (central-sequence v1).

Generate a sequence number

Written once by `fountain generate` and never overwritten: replace the body with the real logic.
Until then the endpoint answers 501 and names this file.
"""

# fountain-signature: 65476b9e268914ab generate_sequence_number(body: SequenceRequest) -> SequenceResponse | dict[str, Any]

from typing import Any

from central_sequence.runtime.context import Context
from central_sequence.v1.models import SequenceRequest, SequenceResponse


def generate_sequence_number(
    ctx: Context,
    *,
    body: SequenceRequest,
) -> SequenceResponse | dict[str, Any]:
    """Generate a sequence number"""
    raise NotImplementedError
