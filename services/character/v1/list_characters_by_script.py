"""listCharactersByScript: GET /characters/scripts/{scriptId} (character v1).

Retrieve the characters of a script

Written once by `fountain generate` and never overwritten: replace the body with the real logic.
Until then the endpoint answers 501 and names this file.
"""

# fountain-signature: ff0c2532df860f5b list_characters_by_script(script_id: int) -> CharactersScriptsScriptIdGetResponse | dict[str, Any]

from typing import Any

from character.runtime.context import Context
from character.v1.models import CharactersScriptsScriptIdGetResponse


def list_characters_by_script(
    ctx: Context,
    *,
    script_id: int,
) -> CharactersScriptsScriptIdGetResponse | dict[str, Any]:
    """Retrieve the characters of a script"""
    raise NotImplementedError
