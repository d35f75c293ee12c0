"""getFullStory: GET /stories (story-factory v1).

Retrieve a full story

Written once by `fountain generate` and never overwritten: replace the body with the real logic.
Until then the endpoint answers 501 and names this file.
"""

# fountain-signature: dda0e0f1aa38e7a2 get_full_story(query: StoriesGetParametersQuery) -> FullStory | dict[str, Any]

from typing import Any

from story_factory.runtime.context import Context
from story_factory.v1.models import FullStory, StoriesGetParametersQuery


def get_full_story(
    ctx: Context,
    *,
    query: StoriesGetParametersQuery,
) -> FullStory | dict[str, Any]:
    """Retrieve a full story"""
    raise NotImplementedError
