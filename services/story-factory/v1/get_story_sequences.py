"""getStorySequences: GET /stories/sequences (story-factory v1).

Retrieve a range of story sequences

Written once by `fountain generate` and never overwritten: replace the body with the real logic.
Until then the endpoint answers 501 and names this file.
"""

# fountain-signature: bd30d762f3df423c get_story_sequences(query: StoriesSequencesGetParametersQuery) -> StorySequence | dict[str, Any]

from typing import Any

from story_factory.runtime.context import Context
from story_factory.v1.models import StoriesSequencesGetParametersQuery, StorySequence


def get_story_sequences(
    ctx: Context,
    *,
    query: StoriesSequencesGetParametersQuery,
) -> StorySequence | dict[str, Any]:
    """Retrieve a range of story sequences"""
    raise NotImplementedError
