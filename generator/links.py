"""OpenAPI links from each create to its item operations, so a stateful client chains them with the new id."""

from __future__ import annotations

import copy
from typing import Any

from .model import ApiVersion
from .validate import resolve


def create_links(version: ApiVersion) -> dict[str, dict[str, Any]]:
    """operationId of a create -> its `links` object (get, patch, put, delete of the item it made)."""
    out: dict[str, dict[str, Any]] = {}
    for create in version.operations:
        crud = create.crud
        if crud is None or crud.kind != "create" or not crud.id_field or not crud.item_param:
            continue
        links = {}
        for op in version.operations:
            if op.crud and op.crud.table == crud.table and op.crud.kind in ("get", "patch", "put", "delete"):
                parameters = {crud.item_param: f"$response.body#/{crud.id_field}"}
                if crud.parent:
                    parameters[crud.parent] = f"$request.path.{crud.parent}"
                links[op.operation_id] = {"operationId": op.operation_id, "parameters": parameters}
        if links:
            out[create.operation_id] = links
    return out


def with_links(version: ApiVersion) -> dict[str, Any]:
    """A copy of the spec whose create responses carry their links (a shared $ref response is inlined)."""
    spec = copy.deepcopy(version.spec)
    links = create_links(version)
    for op in version.operations:
        if op.operation_id not in links:
            continue
        responses = spec["paths"][op.path][op.method]["responses"]
        key = next(k for k in responses if str(k) == str(op.success_status))
        response = dict(resolve(spec, responses[key]))
        response["links"] = {**(response.get("links") or {}), **links[op.operation_id]}
        responses[key] = response
    return spec
