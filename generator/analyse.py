"""Turn a validated spec into the intermediate model: operations, CRUD resources, error policies."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from .errors import SpecError, pointer
from .examples import minimal_instance
from .model import ApiVersion, Crud, DocumentedResponse, ErrorShape, Operation, Param
from .naming import singular, snake
from .runtime.crud import Filter
from .schema_tables import body_schema, envelope, item_schema, resource_table
from .validate import IGNORED_HEADERS, METHODS, resolve

_SCALAR = {"integer": "int", "number": "float", "string": "str", "boolean": "bool"}
_SORT_PARAMS = ("sortBy", "sort", "orderBy", "sort_by", "order_by")
_CODE_FIELDS = ("errorCode", "code", "error", "error_code")
_MESSAGE_FIELDS = ("message", "msg", "title", "error_message")
_DETAIL_FIELDS = ("details", "detail", "description")
_NO_BODY = {"body_model": None, "body_required": False, "body_pointer": None, "body_example": None}


class Analysis:
    """Analyse one spec version; collects warnings about gaps in the spec as it goes."""

    def __init__(self, spec: dict[str, Any], file: Path, label: str, classes: dict[str, str], package: str):
        self.spec, self.file, self.label, self.classes, self.package = spec, file, label, classes, package
        self.warnings: list[str] = []
        self.tables: dict[str, Any] = {}

    def warn(self, at: str, message: str) -> None:
        self.warnings.append(f"{self.file} at {at}: {message}")

    def model_for(self, ptr: str, schema: Any) -> str | None:
        """Class name datamodel-code-generator gave this schema (following a $ref), if any."""
        if isinstance(schema, dict) and "$ref" in schema:
            return self.classes.get(schema["$ref"][1:]) or self.model_for(
                schema["$ref"][1:], resolve(self.spec, schema)
            )
        return self.classes.get(ptr)

    # -- operations -------------------------------------------------------------------------------

    def operations(self) -> list[Operation]:
        raw = []
        for path, item in (self.spec.get("paths") or {}).items():
            for method in METHODS:
                if method in item:
                    raw.append((path, method, item))
        crud = self._crud_map([(p, m) for p, m, _ in raw])
        ops = [self._operation(path, method, item, crud.get((path, method))) for path, method, item in raw]
        self._warn_unused_schemes(ops)
        ids = [op.operation_id for op in ops]
        for op in ops:
            if ids.count(op.operation_id) > 1:
                raise SpecError(self.file, f"operationId {op.operation_id!r} is used twice", at=op.pointer)
        return ops

    def _warn_unused_schemes(self, ops: list[Operation]) -> None:
        """A scheme declared but applied nowhere usually means the author forgot `security`."""
        used: set[str] = set()
        for requirement in self.spec.get("security") or []:
            used |= set(requirement)
        for item in (self.spec.get("paths") or {}).values():
            for method in METHODS:
                for requirement in (item.get(method) or {}).get("security") or []:
                    used |= set(requirement)
        public = [op.operation_id for op in ops if op.api_key_header is None]
        for name in (self.spec.get("components") or {}).get("securitySchemes") or {}:
            if name not in used and public:
                self.warn(
                    pointer("components", "securitySchemes", name),
                    f"declared but applied to no operation; these operations stay public: {', '.join(public)}",
                )

    def _operation(self, path: str, method: str, item: dict[str, Any], crud: Crud | None) -> Operation:
        op = item[method]
        at = pointer("paths", path, method)
        operation_id = op.get("operationId") or snake(f"{method}_{path}")
        if "operationId" not in op:
            self.warn(at, f"no operationId; using {operation_id!r}")
        inputs = self._inputs(item, op, at)
        answers = self._answers(op, at, operation_id)
        statuses = {r.status for r in answers["responses"]}
        header, scheme = self._api_key_header(op.get("security", self.spec.get("security")) or [])
        if header and "401" not in statuses:
            self.warn(at, "requires an API key but documents no 401; a request without one gets an undocumented 401")
        if crud is not None and crud.kind in ("get", "patch", "put", "delete") and "404" not in statuses:
            self.warn(at, f"documents no 404; a missing item in {operation_id} gets an undocumented 404")
        return Operation(
            operation_id=operation_id,
            func=snake(operation_id),
            method=method,
            path=path,
            pointer=at,
            summary=(op.get("summary") or op.get("description") or operation_id).strip().splitlines()[0],
            tags=tuple(op.get("tags") or ()),
            deprecated=bool(op.get("deprecated")),
            error_shape=self._error_shape(op, answers["responses"], at),
            api_key_header=header,
            api_key_scheme=scheme,
            crud=crud
            if self._crud_fits(crud, inputs["path_params"], inputs["body_model"], answers["success_media"], at)
            and self._fills_response(crud, op, at)
            else None,
            **inputs,
            **answers,
        )

    def _inputs(self, item: dict[str, Any], op: dict[str, Any], at: str) -> dict[str, Any]:
        """The Operation fields of what a request carries: path, query and header parameters, and the body."""
        params = self._params(item, op, at)
        by_place = {place: tuple(p for p in params if p.location == place) for place in ("path", "query", "header")}
        return {
            **{f"{place}_params": found for place, found in by_place.items()},
            "query_model": self.classes.get(at + "#query") if by_place["query"] else None,
            **self._body(op, at),
        }

    def _answers(self, op: dict[str, Any], at: str, operation_id: str) -> dict[str, Any]:
        """The Operation fields of what it answers: its documented responses, the success and the error statuses."""
        responses = self._responses(op, at)
        statuses = [r.status for r in responses]
        success = sorted(s for s in statuses if s.startswith("2") and s.isdigit())
        if not success:
            raise SpecError(self.file, "documents no 2xx response", at=at + pointer("responses"))
        answers = {
            "responses": responses,
            "success_status": int(success[0]),
            "success_model": next(r.model for r in responses if r.status == success[0]),
            "success_media": self._success_media(op, success[0]),
            "validation_status": 400 if "400" in statuses else 422,
            "path_status": 400 if "400" in statuses else (404 if "404" in statuses else 422),
            "not_found_status": 404,
            "documents_4xx": any(s.startswith("4") for s in statuses),
        }
        if not answers["documents_4xx"]:
            self.warn(at, f"documents no 4xx response; a malformed request to {operation_id} gets an undocumented 422")
        return answers

    def _params(self, item: dict[str, Any], op: dict[str, Any], at: str) -> list[Param]:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in (*(item.get("parameters") or ()), *(op.get("parameters") or ())):
            param = resolve(self.spec, raw)
            if param["in"] == "header" and param["name"].lower() in IGNORED_HEADERS:
                continue
            merged[(param["name"], param["in"])] = param
        params = []
        for (name, location), param in merged.items():
            schema = resolve(self.spec, param.get("schema") or {})
            kind = schema.get("type", "string")
            if location == "path" and kind not in _SCALAR:
                raise SpecError(self.file, f"path parameter {name!r} must be a scalar, not {kind!r}", at=at)
            py_type = _SCALAR.get(kind, "str") if isinstance(kind, str) else "str"
            params.append(
                Param(
                    name=name,
                    location=location,
                    required=bool(param.get("required")) or location == "path",
                    py_type=py_type,
                    ident=snake(name),
                    example=minimal_instance(self.spec, schema),
                    format=schema.get("format") if schema.get("format") in ("date", "date-time") else None,
                )
            )
        return params

    def _body(self, op: dict[str, Any], at: str) -> dict[str, Any]:
        """The Operation fields of the JSON request body: its model, whether it is required, its pointer, an example."""
        body = resolve(self.spec, op.get("requestBody"))
        if not body:
            return dict(_NO_BODY)
        media = (body.get("content") or {}).get("application/json")
        if media is None or "schema" not in media:
            return dict(_NO_BODY)
        schema_at = pointer(*_split(at), "requestBody", "content", "application/json", "schema")
        if "$ref" in op["requestBody"]:
            schema_at = op["requestBody"]["$ref"][1:] + pointer("content", "application/json", "schema")
        schema = media["schema"]
        model = self.model_for(schema_at, schema) or "dict[str, Any]"
        return {
            "body_model": model,
            "body_required": bool(body.get("required")),
            "body_pointer": schema_at,
            "body_example": minimal_instance(self.spec, schema),
        }

    def _success_media(self, op: dict[str, Any], status: str) -> str:
        """JSON when the success response offers it (or no body), else its first text/* type."""
        response = resolve(self.spec, op["responses"][_status_key(op, status)])
        content = response.get("content") or {}
        if not content or "application/json" in content:
            return "application/json"
        return next(iter(content))

    def _responses(self, op: dict[str, Any], at: str) -> tuple[DocumentedResponse, ...]:
        out = []
        for status, raw in (op.get("responses") or {}).items():
            response = resolve(self.spec, raw)
            media = (response.get("content") or {}).get("application/json") or {}
            model = None
            if "schema" in media:
                schema_at = pointer(*_split(at), "responses", str(status), "content", "application/json", "schema")
                model = self.model_for(schema_at, media["schema"])
                if model is None:
                    model = _scalar_type(resolve(self.spec, media["schema"]))
            out.append(DocumentedResponse(str(status), (response.get("description") or "").strip(), model))
        return tuple(out)

    def _error_shape(self, op: dict[str, Any], responses: tuple[DocumentedResponse, ...], at: str) -> ErrorShape:
        # Prefer the 400's model: it is the body a client sees for its own mistakes.
        order = sorted(
            (r for r in responses if r.status[0] in "45" or r.status == "default"),
            key=lambda r: (r.status != "400", not r.status.startswith("4"), r.status),
        )
        for response in order:
            raw = resolve(self.spec, (op["responses"][_status_key(op, response.status)]))
            schema = resolve(self.spec, ((raw.get("content") or {}).get("application/json") or {}).get("schema"))
            if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
                continue
            props = schema["properties"]

            def pick(names: tuple[str, ...], props: dict[str, Any] = props) -> str | None:
                return next((n for n in names if n in props), None)

            code, message, details = pick(_CODE_FIELDS), pick(_MESSAGE_FIELDS), pick(_DETAIL_FIELDS)
            missing = set(schema.get("required", [])) - {code, message, details}
            if missing:
                raise SpecError(
                    self.file,
                    f"error model requires {sorted(missing)}, which the generator cannot fill "
                    f"(it fills a code, a message and details)",
                    at=at,
                )
            code_is_int = bool(code) and resolve(self.spec, props[code]).get("type") == "integer"
            return ErrorShape(response.model, code, code_is_int, message, details)
        return ErrorShape(None, "errorCode", False, "message", "details")

    def _api_key_header(self, security: list[dict[str, Any]]) -> tuple[str | None, str | None]:
        """(header, scheme name) of the first apiKey scheme the operation requires."""
        schemes = (self.spec.get("components") or {}).get("securitySchemes") or {}
        for requirement in security:
            for name in requirement:
                scheme = resolve(self.spec, schemes.get(name) or {})
                if scheme.get("type") == "apiKey":
                    return scheme["name"], name
        return None, None

    # -- CRUD resources ---------------------------------------------------------------------------

    def _crud_map(self, ops: list[tuple[str, str]]) -> dict[tuple[str, str], Crud]:
        """Recognise collection (/things), item (/things/{id}) and nested (/things/{id}/parts) operations."""
        paths = {p for p, _ in ops}
        out: dict[tuple[str, str], Crud] = {}
        items_of: dict[str, tuple[str, str]] = {}  # item path -> (table, key column)
        for collection in sorted(paths):
            if collection.endswith("}") or collection.rstrip("/") == "":
                continue
            # /things/search belongs to /things: it searches that collection, it is not one of its own.
            if collection.endswith("/search") and collection[: -len("/search")] in paths:
                continue
            owner, _, segment = collection.rstrip("/").rpartition("/")
            parent = items_of.get(owner)
            if "{" in collection and parent is None:
                continue
            table = snake(segment) if parent is None else f"{parent[0]}_{snake(segment)}"
            items = [p for p in paths if re.fullmatch(re.escape(collection) + r"/\{[^/{}]+\}", p)]
            item = items[0] if len(items) == 1 else None
            lists = [
                lp for lp in (collection, collection + "/search") if (lp, "get") in ops and self._returns_array(lp)
            ]
            # A lone POST (e.g. /sequence) is an action, not a resource: it needs a list or an item too.
            if item is None and not lists:
                continue
            id_field = self._id_field(collection, item)
            parent_param = owner.rsplit("{", 1)[1].rstrip("}") if parent else None
            item_param = item.rsplit("{", 1)[1].rstrip("}") if item else None
            place = {"parent": parent_param, "item_param": item_param}
            if (collection, "post") in ops:
                out[(collection, "post")] = Crud("create", table, id_field=id_field, **place)
            for list_path in lists:
                listed = self._list_crud(list_path, table, id_field, collection)
                out[(list_path, "get")] = replace(listed, envelope=self._envelope(list_path), **place)
            # An index per filter and per sort, and one per filter and sort together, so a filtered,
            # sorted page reads only the rows it returns.
            filtered = {(f.field,) for lp in lists for f in out[(lp, "get")].filters if f.kind == "eq"}
            sorted_by = {(f,) for lp in lists for f in out[(lp, "get")].sort_fields}
            indexed = filtered | sorted_by | {(f[0], s[0]) for f in filtered for s in sorted_by if f != s}
            key = id_field or "id"
            self.tables[table] = resource_table(
                self.spec,
                table,
                key,
                (collection, collection + "/search"),
                item,
                tuple(sorted(indexed)),
                (parent_param, *parent) if parent and parent_param else None,
            )
            if item is not None:
                items_of[item] = (table, key)
                for method, kind in (("get", "get"), ("patch", "patch"), ("put", "put"), ("delete", "delete")):
                    if (item, method) in ops:
                        out[(item, method)] = Crud(kind, table, id_field=id_field, **place)  # type: ignore[arg-type]
        return out

    def _returns_array(self, path: str) -> bool:
        responses = self.spec["paths"][path]["get"].get("responses") or {}
        success = sorted(str(s) for s in responses if str(s).startswith("2"))
        if not success:
            return False
        raw = next(v for k, v in responses.items() if str(k) == success[0])
        schema = body_schema(self.spec, raw)
        return schema.get("type") == "array" or envelope(self.spec, schema) is not None

    def _envelope(self, path: str) -> tuple[str, str | None] | None:
        responses = self.spec["paths"][path]["get"].get("responses") or {}
        raw = next(v for k, v in sorted(responses.items(), key=lambda kv: str(kv[0])) if str(k).startswith("2"))
        return envelope(self.spec, body_schema(self.spec, raw))

    def _id_field(self, collection: str, item: str | None) -> str | None:
        fields = self._fields(collection, item)
        if item is not None:
            name = item.rsplit("{", 1)[1].rstrip("}")
            if name in fields:
                return name
        guess = singular(collection.rstrip("/").split("/")[-1]) + "Id"
        return next((f for f in (guess, "id") if f in fields), None)

    def _fields(self, collection: str, item: str | None) -> dict[str, dict[str, Any]]:
        """Top-level properties of the resource, from its response and request schemas."""
        fields: dict[str, dict[str, Any]] = {}
        paths = self.spec.get("paths") or {}
        for path in (collection, collection + "/search", item):
            for method, op in (paths.get(path) or {}).items() if path else ():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                # Success bodies and the request body, allOf parts merged: where a resource's fields live.
                listing = method == "get" and path != item
                schemas = [
                    item_schema(self.spec, body_schema(self.spec, r), listing=listing)
                    for s, r in op["responses"].items()
                    if str(s).startswith("2")
                ]
                schemas.append(body_schema(self.spec, op.get("requestBody")))
                for schema in schemas:
                    for name, prop in (schema.get("properties") or {}).items():
                        fields.setdefault(name, resolve(self.spec, prop))
        return fields

    def _json_schema(self, node: Any) -> dict[str, Any]:
        node = resolve(self.spec, node) or {}
        media = (node.get("content") or {}).get("application/json") or {}
        return resolve(self.spec, media.get("schema")) or {}

    def _list_crud(self, path: str, table: str, id_field: str | None, collection: str) -> Crud:
        at = pointer("paths", path, "get")
        op = self.spec["paths"][path]["get"]
        fields = self._fields(collection, None)
        filters, sort_param, sort_fields, limit, offset = [], None, (), None, None
        for raw in op.get("parameters") or []:
            param = resolve(self.spec, raw)
            if param["in"] != "query":
                continue
            name = param["name"]
            schema = resolve(self.spec, param.get("schema") or {})
            if name in _SORT_PARAMS:
                values = tuple(schema.get("enum") or ())
                unknown = [v for v in values if v not in fields]
                if unknown:
                    self.warn(at, f"sort values {unknown} of {name!r} name no field of the resource; ignored")
                sort_param, sort_fields = name, tuple(v for v in values if v in fields)
            elif name in ("limit", "offset"):
                limit, offset = (name, offset) if name == "limit" else (limit, name)
            elif name in fields:
                kind = "contains" if fields[name].get("type") == "array" else "eq"
                filters.append(Filter(name, name, kind))  # type: ignore[arg-type]
            elif (nested := self._nested_filter(name, fields)) is not None:
                filters.append(nested)
            else:
                self.warn(at, f"query parameter {name!r} names no field of the resource; it is accepted and ignored")
        return Crud(
            "list",
            table,
            id_field=id_field,
            filters=tuple(filters),
            sort_param=sort_param,
            sort_fields=sort_fields,
            limit_param=limit,
            offset_param=offset,
        )

    def _nested_filter(self, name: str, fields: dict[str, dict[str, Any]]) -> Filter | None:
        """`sectionTitle` filters on the `title` of any item of the `sections` array."""
        for field, schema in fields.items():
            if schema.get("type") != "array":
                continue
            prefix = singular(field)
            if name.startswith(prefix) and len(name) > len(prefix):
                sub = name[len(prefix)].lower() + name[len(prefix) + 1 :]
                items = resolve(self.spec, schema.get("items")) or {}
                if sub in (items.get("properties") or {}):
                    return Filter(name, field, "any_eq", sub)
        return None

    def _fills_response(self, crud: Crud, op: dict[str, Any], at: str) -> bool:
        """A stored row must carry every field the success response requires; else a 500 waits, so a stub."""
        table = self.tables[crud.table]
        guaranteed = {c.name for c in table.columns if not c.nullable}
        guaranteed |= {crud.id_field} if crud.id_field else set()
        guaranteed |= {table.parent[0]} if table.parent else set()
        responses = op.get("responses") or {}
        success = sorted(str(s) for s in responses if str(s).startswith("2"))
        schema = body_schema(self.spec, next(v for k, v in responses.items() if str(k) == success[0]))
        if crud.kind == "list" and crud.envelope:
            missing = set(schema.get("required") or ()) - {p for p in crud.envelope if p}
            schema = item_schema(self.spec, schema, listing=True)
        else:
            missing = set()
            schema = item_schema(self.spec, schema)
        missing |= set(schema.get("required") or ()) - guaranteed
        if missing:
            self.warn(
                at,
                f"the response requires {sorted(missing)}, which a stored {crud.table} row may lack "
                "(the request does not require them); left as a stub",
            )
            return False
        return True

    def _crud_fits(
        self, crud: Crud | None, path_params: tuple[Param, ...], body_model: str | None, media: str, at: str
    ) -> bool:
        if crud is None:
            return False
        if media != "application/json":
            self.warn(at, f"the success response is {media}, not a JSON resource; left as a stub")
            return False
        wanted = {crud.parent, crud.item_param if crud.kind in ("get", "patch", "put", "delete") else None} - {None}
        if {p.name for p in path_params} != wanted or any(p.py_type != "int" for p in path_params):
            self.warn(
                at, "collection and item operations need integer id path parameters to be implemented; left as a stub"
            )
            return False
        if crud.kind in ("create", "patch", "put") and (body_model is None or body_model.startswith("dict")):
            self.warn(at, "the request body is not a named object schema; left as a stub")
            return False
        return True


def _split(at: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in at.split("/")[1:]]


def _status_key(op: dict[str, Any], status: str) -> Any:
    return next(k for k in op["responses"] if str(k) == status)


def _scalar_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if kind == "array":
        return "list[Any]"
    if kind == "object":
        return "dict[str, Any]"
    return _SCALAR.get(kind) if isinstance(kind, str) else None


def analyse(
    spec: dict[str, Any], file: Path, label: str, classes: dict[str, str], package: str, models_source: str
) -> tuple[ApiVersion, list[str]]:
    """Build one ApiVersion; the caller fills in deprecation once all versions are known."""
    analysis = Analysis(spec, file, label, classes, package)
    operations = tuple(analysis.operations())
    info = spec.get("info") or {}
    version = ApiVersion(
        label=label,
        file=file,
        spec=spec,
        title=str(info.get("title", package)),
        description=str(info.get("description", "")).strip(),
        api_version=str(info.get("version", "")),
        deprecated=False,
        successor=None,
        models_source=models_source,
        operations=operations,
        tables=tuple(analysis.tables[name] for name in sorted({op.crud.table for op in operations if op.crud})),
    )
    return version, analysis.warnings
