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
        "api_key_header": "X-API-KEY",
        "has_body": True,
        "body_example": {"service": "x", "level": "debug", "message": "x"},
        "success": 201,
        "validation_status": 400,
        "not_found": 404,
        "error_fields": ["errorCode", "message"],
        "stub": None,
        "response_fields": ["correlationId", "level", "logId", "message", "request", "service"],
    },
    {
        "id": "searchLogs",
        "method": "get",
        "path": "/logs/search",
        "path_params": [],
        "query": {},
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
                "api_key_header": "X-API-KEY",
                "has_body": True,
                "body_example": {"service": "x", "level": "debug", "message": "x"},
                "success": 201,
                "validation_status": 400,
                "not_found": 404,
                "error_fields": ["errorCode", "message"],
                "stub": None,
                "response_fields": ["correlationId", "level", "logId", "message", "request", "service"],
            }
        },
    },
    {
        "table": "search",
        "id_field": None,
        "ops": {
            "list": {
                "id": "searchLogs",
                "method": "get",
                "path": "/logs/search",
                "path_params": [],
                "query": {},
                "api_key_header": "X-API-KEY",
                "has_body": False,
                "body_example": None,
                "success": 200,
                "validation_status": 400,
                "not_found": 404,
                "error_fields": ["errorCode", "message"],
                "stub": None,
                "response_fields": [],
            }
        },
    },
]


def _url(op: dict, item_id: int = 1) -> str:
    path = op["path"]
    for name in op["path_params"]:
        path = path.replace("{" + name + "}", str(item_id))
    return PREFIX + path


def _call(client, op: dict, api_key: str | None, *, body=None, item_id: int = 1, use_example: bool = True):
    headers = {op["api_key_header"]: api_key} if op["api_key_header"] and api_key else {}
    if body is None and use_example and op["has_body"]:
        body = op["body_example"]
    kwargs = {"json": body} if body is not None else {}
    if op["query"]:
        kwargs["params"] = op["query"]
    return client.request(op["method"].upper(), _url(op, item_id), headers=headers, **kwargs)


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


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r["table"])
def test_resource_lifecycle(client, api_key, resource):
    ops = resource["ops"]
    id_field = resource["id_field"]
    if "create" not in ops:
        pytest.skip("no create operation")
    created = _call(client, ops["create"], api_key)
    assert created.status_code == ops["create"]["success"], created.text
    doc = created.json()
    for key, value in ops["create"]["body_example"].items():
        if key in ops["create"]["response_fields"]:
            assert doc[key] == value
    if not id_field:
        return
    item_id = doc[id_field]
    if "get" in ops:
        fetched = _call(client, ops["get"], api_key, item_id=item_id)
        assert fetched.status_code == 200 and fetched.json() == doc
        missing = _call(client, ops["get"], api_key, item_id=item_id + 10**9)
        assert missing.status_code == ops["get"]["not_found"]
        _assert_error_model(ops["get"], missing)
    for kind in ("patch", "put"):
        if kind in ops:
            changed = _call(client, ops[kind], api_key, item_id=item_id)
            assert changed.status_code == 200, changed.text
            assert changed.json()[id_field] == item_id
    if "list" in ops:
        listed = _call(client, ops["list"], api_key)
        assert listed.status_code == 200
        assert item_id in [d.get(id_field) for d in listed.json()]
