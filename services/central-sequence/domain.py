"""Domain logic of the Central Sequence Service: one module for every version of its spec.

Numbers: each element type has one counter row (domain_sequence_counters). Handing out a number, a
reorder and nothing else changes that row, always first in the transaction, with one
`INSERT ... ON CONFLICT DO UPDATE ... RETURNING` (the same SQL on PostgreSQL and SQLite >= 3.35):
- PostgreSQL: the upsert takes the counter row's lock until commit, so the requests of one element
  type run their critical section one after another (other types are not held up); under READ
  COMMITTED every statement after the lock sees what the previous holder committed.
- SQLite: the upsert is the transaction's first write, so it takes the database's write lock until
  commit (waiting up to the busy timeout), which serialises the same way.
Under that lock the request looks again for the element (a concurrent request for it may have just
committed); if found it gives its number back (counter - 1: nobody else can have moved it) and returns
the element's number, so asking again never hands out a second number. The unique constraints on
(type, element) and (type, number) are the last line: a bug would be an error, never a duplicate.

Reorder takes the same lock, checks every listed element exists (else the documented 404 and nothing
changes), that the new numbers are distinct and held by no unlisted element (else 409), then moves the listed
elements to negative numbers and back (so swaps never collide mid-statement), and raises the counter
to the largest number assigned. Versions: one upsert on the element's head row, `last_version + 1`.

The functions are `async def`: every request of this service is a few short statements, so they run on the
event loop, each statement straight on the driver (runtime/sql.py's Transaction), with no worker thread on
PostgreSQL. The first lookup is a read(): an element that already has its number costs one round trip, with
no BEGIN and COMMIT around it; the lookup under the lock is inside the transaction (bench/sequence.py measures both).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, text

from central_sequence.runtime.columns import Document, SafeText
from central_sequence.runtime.context import Context
from central_sequence.runtime.errors import DomainError, Invalid
from central_sequence.v2.models import (
    ReorderRequest,
    ReorderResponse,
    SequenceRequest,
    SequenceResponse,
    VersionRequest,
    VersionResponse,
)

_MAX_ID = 2**63 - 1

_TAKE = text(
    "INSERT INTO domain_sequence_counters (element_type, last_number) VALUES (:t, 1) "
    "ON CONFLICT (element_type) DO UPDATE SET last_number = domain_sequence_counters.last_number + 1 "
    "RETURNING last_number"
)
_FIND = text("SELECT sequence_number FROM domain_sequences WHERE element_type = :t AND element_id = :e")
_GIVE_BACK = text("UPDATE domain_sequence_counters SET last_number = last_number - 1 WHERE element_type = :t")
# Comments and version data are the client's text: SafeText and Document keep a NUL character, which
# PostgreSQL's text and jsonb refuse (found by Schemathesis on PostgreSQL), as the generated tables do.
_KEEP = text(
    "INSERT INTO domain_sequences (element_type, element_id, sequence_number, comment) VALUES (:t, :e, :n, :c)"
).bindparams(bindparam("c", type_=SafeText()))
_LOCK = text(
    "INSERT INTO domain_sequence_counters (element_type, last_number) VALUES (:t, 0) "
    "ON CONFLICT (element_type) DO UPDATE SET last_number = domain_sequence_counters.last_number "
    "RETURNING last_number"
)
_RAISE = text("UPDATE domain_sequence_counters SET last_number = :n WHERE element_type = :t AND last_number < :n")
_KNOWN = text("SELECT element_id FROM domain_sequences WHERE element_type = :t AND element_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_HELD = text(
    "SELECT element_id, sequence_number FROM domain_sequences "
    "WHERE element_type = :t AND sequence_number IN :nums AND element_id NOT IN :ids"
).bindparams(bindparam("nums", expanding=True), bindparam("ids", expanding=True))
_MOVE = text("UPDATE domain_sequences SET sequence_number = :n WHERE element_type = :t AND element_id = :e")
_VERSION = text(
    "INSERT INTO domain_version_heads (element_type, element_id, last_version) VALUES (:t, :e, 1) "
    "ON CONFLICT (element_type, element_id) DO UPDATE SET last_version = domain_version_heads.last_version + 1 "
    "RETURNING last_version"
)
_STORE_VERSION = text(
    "INSERT INTO domain_versions (element_type, element_id, version_number, data, comment) VALUES (:t, :e, :v, :d, :c)"
).bindparams(bindparam("d", type_=Document()), bindparam("c", type_=SafeText()))


def _conflict(message: str) -> DomainError:
    # 409, not 400: the request is well-formed, it conflicts with itself or with the stored numbers.
    return DomainError(409, "sequence_conflict", f"{message}: nothing was reordered")


def _kind(value: Any) -> str:
    return str(getattr(value, "value", value))


def _element(element_id: int) -> int:
    if not 0 < element_id <= _MAX_ID:
        raise Invalid(f"elementId {element_id} is out of range (1 to {_MAX_ID})")
    return element_id


# fountain-signature: 65476b9e268914ab generate_sequence_number(body: SequenceRequest) -> SequenceResponse | dict[str, Any]
async def generate_sequence_number(
    ctx: Context,
    *,
    body: SequenceRequest,
) -> SequenceResponse | dict[str, Any]:
    """generateSequenceNumber: POST /sequence: the element's number, a new one only the first time."""
    kind, element = _kind(body.elementType), _element(body.elementId)
    session = ctx.session
    found = (await session.read(_FIND, {"t": kind, "e": element})).scalar()
    if found is None:
        number = (await session.execute(_TAKE, {"t": kind})).scalar_one()
        found = (await session.execute(_FIND, {"t": kind, "e": element})).scalar()
        if found is None:
            await session.execute(_KEEP, {"t": kind, "e": element, "n": number, "c": body.comment})
            found = number
        else:
            await session.execute(_GIVE_BACK, {"t": kind})
    return {"sequenceNumber": found, "comment": body.comment}


# fountain-signature: 5b3961401b7524af reorder_elements(body: ReorderRequest) -> ReorderResponse | dict[str, Any]
async def reorder_elements(
    ctx: Context,
    *,
    body: ReorderRequest,
) -> ReorderResponse | dict[str, Any]:
    """reorderElements: POST (v1) / PUT (v2) /sequence/reorder: all listed numbers, or none."""
    kind, session = _kind(body.elementType), ctx.session
    moves: dict[int, int] = {}
    for entry in body.elements:
        if entry.elementId is None or entry.newSequence is None:
            # The project's spec requires both (its validation answers 400 first); a spec that leaves them
            # optional (the real v4 one) accepts an entry naming no element or no number, which moves nothing.
            continue
        element, number = _element(entry.elementId), entry.newSequence
        if not 0 < number <= _MAX_ID:
            raise Invalid(f"newSequence {number} is out of range (1 to {_MAX_ID})")
        if element in moves:
            raise _conflict(f"element {element} is listed twice")
        moves[element] = number
    if len(set(moves.values())) != len(moves):
        raise _conflict("two elements would get the same sequence number")
    if not moves:
        return {"updatedElements": [], "comment": body.comment}
    await session.execute(_LOCK, {"t": kind})
    ids = list(moves)
    known = set((await session.execute(_KNOWN, {"t": kind, "ids": ids})).scalars())
    unknown = sorted(set(ids) - known)
    if unknown:
        raise DomainError(404, "unknown_element", f"unknown {kind} element(s) {unknown}: nothing was reordered")
    held = (await session.execute(_HELD, {"t": kind, "nums": list(moves.values()), "ids": ids})).first()
    if held is not None:
        raise _conflict(f"sequence number {held[1]} belongs to {kind} element {held[0]}, which is not listed")
    await session.execute(_MOVE, [{"t": kind, "e": e, "n": -n} for e, n in moves.items()])
    await session.execute(_MOVE, [{"t": kind, "e": e, "n": n} for e, n in moves.items()])
    await session.execute(_RAISE, {"t": kind, "n": max(moves.values())})
    updated = [{"elementId": e, "newSequence": n} for e, n in sorted(moves.items(), key=lambda pair: pair[1])]
    return {"updatedElements": updated, "comment": body.comment}


# fountain-signature: f4dee92f38d25b4a create_version(body: VersionRequest) -> VersionResponse | dict[str, Any]
async def create_version(
    ctx: Context,
    *,
    body: VersionRequest,
) -> VersionResponse | dict[str, Any]:
    """createVersion: POST /sequence/version: the element's next version number, stored with its data."""
    kind, element = _kind(body.elementType), _element(body.elementId)
    version = (await ctx.session.execute(_VERSION, {"t": kind, "e": element})).scalar_one()
    data = body.newVersionData if isinstance(body.newVersionData, dict) else body.newVersionData.model_dump(mode="json")
    await ctx.session.execute(_STORE_VERSION, {"t": kind, "e": element, "v": version, "d": data, "c": body.comment})
    return {"versionNumber": version, "comment": body.comment}
