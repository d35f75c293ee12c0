"""Domain logic of the Story Factory Service: one module for every version of its spec.

Written once by `fountain generate` and never overwritten; regeneration reports what the spec adds.
Each function receives `ctx` (ctx.session: the request's database transaction, ctx.settings: the
service's settings); a version difference is an adapter inside the function, not a second copy.

Operations that are not CRUD are the functions below: until one is filled in, its endpoint answers 501
and names this file. The generated CRUD runs as is unless you define a hook for it:
  (this service has no CRUD operations)
Raise runtime.errors.Invalid for the documented 400, runtime.errors.DomainError for any other documented status.
"""

from typing import Any

from story_factory.runtime.context import Context
from story_factory.v1.models import (
    FullStory,
    StoriesGetParametersQuery,
    StoriesSequencesGetParametersQuery,
    StorySequence,
)


# fountain-signature: dda0e0f1aa38e7a2 get_full_story(query: StoriesGetParametersQuery) -> FullStory | dict[str, Any]
def get_full_story(
    ctx: Context,
    *,
    query: StoriesGetParametersQuery,
) -> FullStory | dict[str, Any]:
    """getFullStory: GET /stories: Retrieve a full story"""
    raise NotImplementedError


# fountain-signature: bd30d762f3df423c get_story_sequences(query: StoriesSequencesGetParametersQuery) -> StorySequence | dict[str, Any]
def get_story_sequences(
    ctx: Context,
    *,
    query: StoriesSequencesGetParametersQuery,
) -> StorySequence | dict[str, Any]:
    """getStorySequences: GET /stories/sequences: Retrieve a range of story sequences"""
    raise NotImplementedError
