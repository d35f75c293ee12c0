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

from sqlalchemy import select

from character import tables
from character.runtime.context import Context
from character.v1.models import CharactersScriptsScriptIdGetResponse


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
