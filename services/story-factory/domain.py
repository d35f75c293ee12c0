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

from story_factory.runtime.client import ServiceError, ServiceUnavailable, concurrently
from story_factory.runtime.context import Context
from story_factory.runtime.errors import DomainError
from story_factory.v1.models import (
    FullStory,
    StoriesGetParametersQuery,
    StoriesSequencesGetParametersQuery,
    StorySequence,
)


def _gather(ctx: Context, script_id: int, context: str | None) -> tuple[Any, list[Any], set[str] | None]:
    """The script, its characters and (with a context filter) the names its sessions mention, asked concurrently.

    At most settings.client_concurrency calls run at once; each has the clients' connect and read timeouts.
    """
    clients = ctx.clients
    calls = [
        lambda: clients.core_script_management.get_script_by_id(script_id=script_id),
        lambda: clients.character.list_characters_by_script(script_id=script_id),
    ]
    if context is not None:
        calls.append(lambda: clients.session_context.list_sessions(context=context))
    try:
        script, characters, *sessions = concurrently(calls, ctx.settings.client_concurrency)
    except ServiceError as error:
        # A scriptId Core Script Management refuses (404, or 400 for one it cannot hold) names no script.
        if error.service == "core-script-management" and error.status in (400, 404):
            raise DomainError(404, "script_not_found", f"no script {script_id}") from None
        raise DomainError(503, "dependency_failed", str(error)) from None
    except ServiceUnavailable as error:
        raise DomainError(503, "dependency_unavailable", str(error)) from None
    named = {text for session in sessions[0].root for text in session.context or ()} if sessions else None
    return script, characters.root, named


def _story(characters: list[Any], named: set[str] | None) -> list[dict[str, Any]]:
    """One element per character, in sequence order (elements without a number last, by characterId)."""
    kept = [c for c in characters if named is None or c.name in named]
    kept.sort(key=lambda c: (c.sequenceNumber is None, c.sequenceNumber or 0, c.characterId or 0))
    elements = []
    for character in kept:
        element: dict[str, Any] = {
            "character": character.model_dump(include={"characterId", "name", "description"}, exclude_none=True)
        }
        if character.sequenceNumber is not None:
            element["sequence"] = character.sequenceNumber
        elements.append(element)
    return elements


def _sections(script: Any) -> list[dict[str, Any]]:
    """The script's sections in its order: sequence is the position, headingId the sectionId when there is one."""
    sections = []
    for position, section in enumerate(script.sections or (), start=1):
        entry: dict[str, Any] = {"title": section.title, "sequence": position}
        if section.sectionId is not None:
            entry["headingId"] = section.sectionId
        sections.append(entry)
    return sections


# fountain-signature: dda0e0f1aa38e7a2 get_full_story(query: StoriesGetParametersQuery) -> FullStory | dict[str, Any]
def get_full_story(
    ctx: Context,
    *,
    query: StoriesGetParametersQuery,
) -> FullStory | dict[str, Any]:
    """getFullStory: GET /stories: Retrieve a full story"""
    script, characters, named = _gather(ctx, query.scriptId, query.filterByContext)
    story = _story(characters, named)
    return {
        "scriptId": query.scriptId,
        "title": script.title,
        "author": script.author,
        "sections": _sections(script),
        "story": story,
        "comment": f"script {query.scriptId}: {len(script.sections or ())} section(s), {len(story)} element(s)",
    }


# fountain-signature: bd30d762f3df423c get_story_sequences(query: StoriesSequencesGetParametersQuery) -> StorySequence | dict[str, Any]
def get_story_sequences(
    ctx: Context,
    *,
    query: StoriesSequencesGetParametersQuery,
) -> StorySequence | dict[str, Any]:
    """getStorySequences: GET /stories/sequences: Retrieve a range of story sequences"""
    # A range whose start lies after its end holds nothing: an empty list, not an error, because the spec
    # cannot say start <= end in JSON Schema and a schema-valid request must not be refused (Schemathesis ST202).
    _, characters, named = _gather(ctx, query.scriptId, query.filterByContext)
    inside = [e for e in _story(characters, named) if query.startSequence <= e.get("sequence", -1) <= query.endSequence]
    return {
        "scriptId": query.scriptId,
        "sequences": inside,
        "comment": f"script {query.scriptId}: sequences {query.startSequence} to {query.endSequence}",
    }
