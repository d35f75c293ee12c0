"""Domain logic of the Character Service: one module for every version of its spec.

Written once by `fountain generate` and never overwritten; regeneration reports what the spec adds.
Each function receives `ctx` (ctx.session: the request's database transaction, ctx.settings: the
service's settings); a version difference is an adapter inside the function, not a second copy.

Operations that are not CRUD are the functions below: until one is filled in, its endpoint answers 501
and names this file. The generated CRUD runs as is unless you define a hook for it:
  before_create_characters(ctx, data) -> data  /  after_create_characters(ctx, row) -> row
  before_update_characters(ctx, data, item_id) -> data  /  after_update_characters(ctx, row) -> row
Raise runtime.errors.Invalid for the documented 400, runtime.errors.DomainError for any other documented status.
"""

from typing import Any

from sqlalchemy import select, update

from character import tables
from character.runtime.client import ServiceError, ServiceUnavailable
from character.runtime.context import Context
from character.runtime.errors import DomainError
from character.v1.models import CharactersScriptsScriptIdGetResponse


def after_create_characters(ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    """The new character's sequence number from Central Sequence, written in the insert's transaction.

    The number is asked for after the insert because it is keyed by the characterId the insert gives; a failure
    raises, so the request's transaction rolls the row back (the spec's documented 503, nothing stored).
    Asking again for the same element returns the same number, so a retried call cannot hand out two.
    """
    request = {"elementType": "character", "elementId": row["characterId"], "comment": f"character {row['name']}"}
    try:
        answer = ctx.clients.central_sequence.generate_sequence_number(body=request)
    except (ServiceUnavailable, ServiceError) as error:
        raise DomainError(503, "sequence_unavailable", f"Central Sequence gave no sequence number: {error}") from None
    if answer.sequenceNumber is None:
        raise DomainError(503, "sequence_unavailable", "Central Sequence answered without a sequence number")
    characters = tables.characters
    statement = (
        update(characters)
        .where(characters.c.characterId == row["characterId"])
        .values(sequenceNumber=answer.sequenceNumber)
        .returning(characters)
    )
    stored = ctx.session.execute(statement).one()
    return {k: v for k, v in stored._mapping.items() if v is not None}


# fountain-signature: ff0c2532df860f5b list_characters_by_script(script_id: int) -> CharactersScriptsScriptIdGetResponse | dict[str, Any]
def list_characters_by_script(
    ctx: Context,
    *,
    script_id: int,
) -> CharactersScriptsScriptIdGetResponse | dict[str, Any]:
    """listCharactersByScript: GET /characters/scripts/{scriptId}: the script's characters in sequence order."""
    characters = tables.characters
    # A spec whose Character has no scriptId (the real v4 one) links no character to a script.
    if "scriptId" not in characters.c or not 0 < script_id <= 2**63 - 1:
        return []
    statement = (
        select(characters)
        .where(characters.c.scriptId == script_id)
        .order_by(characters.c.sequenceNumber.asc().nulls_last(), characters.c.characterId)
    )
    return [{k: v for k, v in row._mapping.items() if v is not None} for row in ctx.session.execute(statement)]
