"""Generated tests of Logging Service v1: each operation's documented behaviour."""

import pytest

PREFIX = "/v1"
OPERATIONS = [
    {
        "id": "createLogEntry",
        "method": "post",
        "path": "/logs",
        "path_params": [],
        "query": {},
        "headers": {},
        "api_key_header": "X-API-KEY",
        "has_body": True,
        "body_example": {"service": "x", "level": "debug", "message": "x"},
        "success": 201,
        "validation_status": 400,
        "not_found": 404,
        "error_fields": ["errorCode", "message"],
        "stub": None,
        "response_fields": [
            "authenticated_entity",
            "client_ip",
            "consumer",
            "correlationId",
            "latencies",
            "level",
            "logId",
            "message",
            "method",
            "request",
            "response",
            "route",
            "service",
            "source",
            "started_at",
            "status",
            "tries",
            "upstream_uri",
            "workspace",
        ],
    },
    {
        "id": "searchLogs",
        "method": "get",
        "path": "/logs/search",
        "path_params": [],
        "query": {},
        "headers": {},
        "api_key_header": "X-API-KEY",
        "has_body": False,
        "body_example": None,
        "success": 200,
        "validation_status": 400,
        "not_found": 404,
        "error_fields": ["errorCode", "message"],
        "stub": None,
        "response_fields": [],
    },
]
RESOURCES = [
    {
        "table": "logs",
        "id_field": "logId",
        "ops": {
            "create": {
                "id": "createLogEntry",
                "method": "post",
                "path": "/logs",
                "path_params": [],
                "query": {},
                "headers": {},
                "api_key_header": "X-API-KEY",
                "has_body": True,
                "body_example": {"service": "x", "level": "debug", "message": "x"},
                "success": 201,
                "validation_status": 400,
                "not_found": 404,
                "error_fields": ["errorCode", "message"],
                "stub": None,
                "response_fields": [
                    "authenticated_entity",
                    "client_ip",
                    "consumer",
                    "correlationId",
                    "latencies",
                    "level",
                    "logId",
                    "message",
                    "method",
                    "request",
                    "response",
                    "route",
                    "service",
                    "source",
                    "started_at",
                    "status",
                    "tries",
                    "upstream_uri",
                    "workspace",
                ],
            },
            "list": {
                "id": "searchLogs",
                "method": "get",
                "path": "/logs/search",
                "path_params": [],
                "query": {},
                "headers": {},
                "api_key_header": "X-API-KEY",
                "has_body": False,
                "body_example": None,
                "success": 200,
                "validation_status": 400,
                "not_found": 404,
                "error_fields": ["errorCode", "message"],
                "stub": None,
                "response_fields": [],
            },
        },
        "parent": None,
        "item_param": None,
        "read_only": [],
        "listing": {
            "filters": [
                {"param": "service", "field": "service", "kind": "eq", "example": "x"},
                {"param": "level", "field": "level", "kind": "eq", "example": "debug"},
                {"param": "status", "field": "status", "kind": "eq", "example": 100},
                {"param": "method", "field": "method", "kind": "eq", "example": "x"},
            ],
            "sort": None,
            "limit": "limit",
            "offset": "offset",
            "envelope": None,
        },
    }
]


def _url(op: dict, item_id: int = 1, ids: dict | None = None) -> str:
    path = op["path"]
    for name in op["path_params"]:
        path = path.replace("{" + name + "}", str((ids or {}).get(name, item_id)))
    return PREFIX + path


def _call(
    client,
    op: dict,
    api_key: str | None,
    *,
    body=None,
    item_id: int = 1,
    use_example: bool = True,
    ids=None,
    params=None,
):
    headers = dict(op["headers"])
    if op["api_key_header"] and api_key:
        headers[op["api_key_header"]] = api_key
    if body is None and use_example and op["has_body"]:
        body = op["body_example"]
    kwargs = {"json": body} if body is not None else {}
    if op["query"] or params:
        kwargs["params"] = {**op["query"], **(params or {})}
    return client.request(op["method"].upper(), _url(op, item_id, ids), headers=headers, **kwargs)


def _assert_error_model(op: dict, response) -> None:
    body = response.json()
    for field in op["error_fields"]:
        assert field in body, f"{op['id']}: error body {body} lacks {field!r}"


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("op", [o for o in OPERATIONS if o["api_key_header"]], ids=lambda o: o["id"])
def test_operation_requires_api_key(client, op):
    response = _call(client, op, None)
    assert response.status_code == 401
    _assert_error_model(op, response)


@pytest.mark.parametrize("op", [o for o in OPERATIONS if o["has_body"]], ids=lambda o: o["id"])
def test_malformed_body_gets_documented_error(client, api_key, op):
    # A JSON array where the spec wants an object is wrong under any schema the generator accepts.
    response = _call(client, op, api_key, body=[["not", "an", "object"]])
    assert response.status_code == op["validation_status"], response.text
    _assert_error_model(op, response)


@pytest.mark.parametrize("op", [o for o in OPERATIONS if o["stub"]], ids=lambda o: o["id"])
def test_stub_answers_501_naming_its_file(client, api_key, op):
    response = _call(client, op, api_key)
    assert response.status_code == 501, response.text
    assert op["stub"] in response.text


def _resource(table: str) -> dict:
    return next(r for r in RESOURCES if r["table"] == table)


def _parent_ids(client, api_key, resource) -> dict:
    """For a nested collection: create its parent (and theirs) and return the path ids."""
    if not resource["parent"]:
        return {}
    param, table = resource["parent"]
    parent = _resource(table)
    if "create" not in parent["ops"] or not parent["id_field"]:
        pytest.skip(f"no way to create a parent {table}")
    ids = _parent_ids(client, api_key, parent)
    created = _call(client, parent["ops"]["create"], api_key, ids=ids)
    assert created.status_code == parent["ops"]["create"]["success"], created.text
    return {**ids, param: created.json()[parent["id_field"]]}


def _items(resource, response) -> list:
    envelope = (resource.get("listing") or {}).get("envelope")
    return response.json()[envelope[0]] if envelope else response.json()


def _list(client, api_key, resource, ids, params=None) -> list:
    listed = _call(client, resource["ops"]["list"], api_key, ids=ids, params=params)
    assert listed.status_code == 200, listed.text
    return _items(resource, listed)


def _body_with_filters(resource) -> dict:
    """The create example, plus a value for every filtered field the response carries."""
    create = resource["ops"]["create"]
    body = dict(create["body_example"] or {})
    for rule in (resource.get("listing") or {}).get("filters", []):
        if rule["kind"] == "eq" and rule["example"] is not None and rule["field"] in create["response_fields"]:
            body.setdefault(rule["field"], rule["example"])
    return body


def _stored(doc: dict, resource) -> dict:
    return {k: v for k, v in doc.items() if k not in resource["read_only"] and k != resource["id_field"]}


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r["table"])
def test_resource_lifecycle(client, api_key, resource):
    """Create, read back, list with each filter, sort and page, patch, replace, delete: the stored values each time."""
    ops = resource["ops"]
    id_field = resource["id_field"]
    if "create" not in ops:
        pytest.skip("no create operation")
    ids = _parent_ids(client, api_key, resource)
    body = _body_with_filters(resource)
    created = _call(client, ops["create"], api_key, body=body, ids=ids)
    if created.status_code == 400:
        body = ops["create"]["body_example"]
        created = _call(client, ops["create"], api_key, body=body, ids=ids)
    assert created.status_code == ops["create"]["success"], created.text
    doc = created.json()
    for key, value in body.items():
        if key in ops["create"]["response_fields"] and key not in resource["read_only"]:
            assert doc[key] == value, f"{key}: sent {value!r}, stored {doc.get(key)!r}"
    if not id_field:
        return
    item_id = doc[id_field]
    if "get" in ops:
        fetched = _call(client, ops["get"], api_key, item_id=item_id, ids=ids)
        assert fetched.status_code == 200 and fetched.json() == doc
        missing = _call(client, ops["get"], api_key, item_id=item_id + 10**9, ids=ids)
        assert missing.status_code == ops["get"]["not_found"]
        _assert_error_model(ops["get"], missing)
    if "list" in ops:
        _check_listing(client, api_key, resource, ids, doc)
    for kind in ("patch", "put"):
        if kind in ops:
            # The create body again (it is valid for most replace and patch schemas), else the example.
            sent = _stored(body, resource)
            changed = _call(client, ops[kind], api_key, item_id=item_id, ids=ids, body=sent)
            if changed.status_code == 400:
                sent = ops[kind]["body_example"] or {}
                changed = _call(client, ops[kind], api_key, item_id=item_id, ids=ids)
            assert changed.status_code == 200, changed.text
            assert changed.json()[id_field] == item_id
            for key, value in _stored(sent, resource).items():
                if key in ops[kind]["response_fields"]:
                    assert changed.json()[key] == value, f"{kind} {key}: sent {value!r}, got {changed.json()[key]!r}"
            if "get" in ops:
                assert _call(client, ops["get"], api_key, item_id=item_id, ids=ids).json() == changed.json()
    if "delete" in ops:
        gone = _call(client, ops["delete"], api_key, item_id=item_id, ids=ids)
        assert gone.status_code == ops["delete"]["success"], gone.text
        if "get" in ops:
            assert _call(client, ops["get"], api_key, item_id=item_id, ids=ids).status_code == ops["get"]["not_found"]
        again = _call(client, ops["delete"], api_key, item_id=item_id, ids=ids)
        assert again.status_code == ops["delete"]["not_found"]


def _check_listing(client, api_key, resource, ids, doc) -> None:
    id_field = resource["id_field"]
    listing = resource["listing"]
    everything = _list(client, api_key, resource, ids)
    assert doc in everything
    for rule in listing["filters"]:
        value = doc.get(rule["field"])
        if value is None or rule["kind"] == "contains" and not value:
            continue
        wanted = value[0] if rule["kind"] == "contains" else value
        found = _list(client, api_key, resource, ids, {rule["param"]: wanted})
        assert doc[id_field] in [d[id_field] for d in found], f"filter {rule['param']}={wanted!r} lost the item"
        for other in found:
            held = other.get(rule["field"])
            assert (wanted in held) if rule["kind"] == "contains" else held == wanted, (rule, other)
    if listing["sort"]:
        param, fields = listing["sort"]
        for field in fields:
            ordered = [d.get(field) for d in _list(client, api_key, resource, ids, {param: field})]
            present = [v for v in ordered if v is not None]
            assert ordered[: len(present)] == present, (field, ordered)
            if _comparable(present):
                assert present == sorted(present), (field, ordered)
    if listing["limit"]:
        page = _list(client, api_key, resource, ids, {listing["limit"]: 1})
        assert page == everything[:1]
        if listing["offset"] and len(everything) > 1:
            second = _list(client, api_key, resource, ids, {listing["limit"]: 1, listing["offset"]: 1})
            assert second == everything[1:2]
    if listing["envelope"] and listing["envelope"][1]:
        whole = _call(client, resource["ops"]["list"], api_key, ids=ids).json()
        assert whole[listing["envelope"][1]] == len(everything)


def _comparable(values: list) -> bool:
    """Numbers compare alike everywhere; strings only when no collation could reorder them."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return True
    return all(isinstance(v, str) and v.isascii() and (v.isalnum() or not v) and v == v.lower() for v in values)
