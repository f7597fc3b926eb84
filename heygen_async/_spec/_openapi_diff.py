"""HeyGen's OpenAPI document compared with the bundled v3 table (``heygen-async spec diff FILE`` on such a file).

The v3 table (``_v3_table.py``) is generated from HeyGen's OpenAPI document by ``tools/v3gen.py``; HeyGen adds
and changes operations as it goes. :func:`diff_openapi` says what a document would change in the table: the
operations it adds or drops (matched by ``METHOD /path``, then by ``operationId``), and, for each operation both
have, its parameters (where each goes, whether it is required, its type, enum and bounds, and for one checked
against a JSON schema that schema, its ``$ref``\\ s followed and its prose left out) and whether it takes an
``Idempotency-Key`` header.

Both sides are read into the same neutral :class:`Operation` record, the document the way ``tools/v3gen.py``
reads one into table rows (a body's fields are its properties, every variant's of a ``oneOf`` union; a field is
required when every variant requires it), so a document built from the table compares equal to it. Only
``/v3/`` paths count: HeyGen's document also lists legacy v1/v2 routes, counted as ignored. What the table states
and the document leaves unsaid (an ``Idempotency-Key`` that HeyGen's changelog documents on a create whose
operation does not declare the header) is a table extra, listed but not a difference, as in the LowCodeAPI diff.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from ._definition import Comparison, DefinitionError
from ._types import Endpoint, Param

__all__ = [
    "Change",
    "OpenAPIDiff",
    "OpenAPIDocument",
    "OpenAPIError",
    "Operation",
    "OperationDiff",
    "OperationParam",
    "diff_openapi",
    "is_openapi",
    "read_openapi",
    "table_operation",
]

Location = Literal["path", "query", "body"]

_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_REF: Final = "#/components/schemas/"
_PLACEHOLDER: Final = re.compile(r"\{[^{}/]*\}")
_PROSE: Final = frozenset({"description", "title", "example", "examples"})
"""Schema keywords that document and do not constrain: left out of comparisons (HeyGen rewords them often)."""
_FACTS: Final = ("enum", "minimum", "maximum", "max_length", "min_items", "max_items")
"""A plain parameter's checked facts, in the table's words (``Param``'s fields)."""
_SHOWN_SCHEMA_CHANGES: Final = 3


class OpenAPIError(DefinitionError):
    """The OpenAPI document cannot be read: ``paths`` is not an object, an operation is not one, a parameter has
    no name, ... (a :class:`DefinitionError`, so ``spec diff`` reports both kinds of document alike)."""


# -- The neutral record ---------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OperationParam:
    """One parameter as the v3 table would hold it: ``type`` in the table's words (``str``, ``int``, ``number``,
    ``bool``, ``list[str]``, ``file``, or ``schema`` for one checked against ``schema``), ``facts`` its enum and
    bounds (``(("maximum", 100),)``), ``schema`` with references followed and prose left out."""

    name: str
    location: Location
    type: str
    required: bool = False
    facts: tuple[tuple[str, Any], ...] = ()
    schema: Any = None


@attrs.frozen(kw_only=True)
class Operation:
    """One v3 operation: ``METHOD /path``, its ``operationId``, its parameters, and whether it takes an
    ``Idempotency-Key`` header. ``index`` is its place in the document (1-based; 0 for a table row)."""

    operation_id: str
    http_method: str
    path: str
    params: tuple[OperationParam, ...] = ()
    idempotency_key: bool = False
    index: int = 0

    @property
    def key(self) -> str:
        """``"POST /v3/videos"``, like :attr:`Endpoint.key`."""
        return f"{self.http_method} {self.path}"

    def param(self, name: str) -> OperationParam:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)


@attrs.frozen(kw_only=True)
class OpenAPIDocument:
    """An OpenAPI document's v3 operations, its ``openapi`` version, and how many other operations it has."""

    version: str
    operations: tuple[Operation, ...] = ()
    ignored: int = 0


def is_openapi(document: Any) -> bool:
    """Whether a decoded JSON document is an OpenAPI one (it says so with its ``openapi`` key)."""
    return isinstance(document, Mapping) and "openapi" in document


# -- Reading a document ----------------------------------------------------------------------------------------


def read_openapi(document: Any, *, source: str = "document") -> OpenAPIDocument:
    """The v3 operations of an already-decoded OpenAPI document; a malformed one raises :class:`OpenAPIError`."""
    if not is_openapi(document):
        raise OpenAPIError(f"{source} is not an OpenAPI document: it has no 'openapi' key")
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        found = "missing" if paths is None else f"a {type(paths).__name__}"
        raise OpenAPIError(f"{source} is not an OpenAPI document: 'paths' should be an object, found {found}")
    components = document.get("components")
    components = components if isinstance(components, Mapping) else {}
    reader = _Reader(source, components)
    operations: list[Operation] = []
    ignored = 0
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            raise OpenAPIError(f"{source}: path {path!r} should be an object of operations")
        for method in _METHODS:
            if method not in item:
                continue
            if not str(path).startswith("/v3/"):
                ignored += 1
                continue
            operations.append(reader.operation(str(path), method, item, index=len(operations) + ignored + 1))
    return OpenAPIDocument(version=str(document["openapi"]), operations=tuple(operations), ignored=ignored)


@attrs.frozen
class _Reader:
    source: str
    components: Mapping[str, Any]

    @property
    def schemas(self) -> Mapping[str, Any]:
        schemas = self.components.get("schemas")
        return schemas if isinstance(schemas, Mapping) else {}

    def _follow(self, value: Any, section: str, where: str) -> Any:
        """A ``$ref`` to ``#/components/<section>/...`` followed (parameters and request bodies may be refs)."""
        prefix = f"#/components/{section}/"
        seen = 0
        while isinstance(value, Mapping) and "$ref" in value:
            ref = value["$ref"]
            stock = self.components.get(section)
            name = ref[len(prefix) :] if isinstance(ref, str) and ref.startswith(prefix) else None
            if name is None or not isinstance(stock, Mapping) or name not in stock or seen > 32:
                raise OpenAPIError(f"{self.source}: {where} refers to {ref!r}, which the document does not define")
            value = stock[name]
            seen += 1
        return value

    def operation(self, path: str, method: str, item: Mapping[str, Any], *, index: int) -> Operation:
        where = f"{method.upper()} {path}"
        spec = item[method]
        if not isinstance(spec, Mapping):
            raise OpenAPIError(f"{self.source}: {where} should be an object")
        declared: dict[tuple[str, Literal["path", "query", "header", "cookie"]], Mapping[str, Any]] = {}
        for owner in (item, spec):  # an operation's own parameters override its path's
            raw = owner.get("parameters", ())
            raw = () if raw is None else raw
            if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)):
                raise OpenAPIError(f"{self.source}: {where}: 'parameters' should be a list")
            for entry in raw:
                parameter = self._follow(entry, "parameters", where)
                if not isinstance(parameter, Mapping) or not isinstance(parameter.get("name"), str):
                    raise OpenAPIError(f"{self.source}: {where} has a parameter without a name")
                if parameter.get("in") not in ("path", "query", "header", "cookie"):
                    raise OpenAPIError(
                        f"{self.source}: {where}: parameter {parameter['name']!r} has 'in' {parameter.get('in')!r}"
                    )
                declared[(parameter["name"], parameter["in"])] = parameter
        params: list[OperationParam] = []
        idempotency = False
        for (name, location), parameter in declared.items():
            if location != "path" and location != "query":  # headers and cookies are no arguments
                idempotency = idempotency or (location == "header" and name.lower() == "idempotency-key")
                continue
            required = bool(parameter.get("required")) or location == "path"
            schema = parameter.get("schema")
            params.append(_param(name, location, schema if isinstance(schema, Mapping) else {}, required, self.schemas))
        fields, required_fields = self._body_fields(spec, where)
        for name, sub in fields.items():
            if name.isidentifier() and not keyword.iskeyword(name):  # others are not arguments (tools/v3gen.py)
                params.append(_param(name, "body", sub, name in required_fields, self.schemas))
        operation_id = spec.get("operationId")
        return Operation(
            operation_id=operation_id if isinstance(operation_id, str) else "",
            http_method=method.upper(),
            path=path,
            params=tuple(params),
            idempotency_key=idempotency,
            index=index,
        )

    def _body_fields(self, spec: Mapping[str, Any], where: str) -> tuple[dict[str, Any], set[str]]:
        body = self._follow(spec.get("requestBody"), "requestBodies", where)
        if not isinstance(body, Mapping):
            return {}, set()
        content = body.get("content")
        content = content if isinstance(content, Mapping) else {}
        media = content.get("application/json") or content.get("multipart/form-data") or {}
        schema = media.get("schema") if isinstance(media, Mapping) else None
        if not isinstance(schema, Mapping):
            return {}, set()
        return _fields_of(schema, self.schemas)


def _fields_of(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """A request body's fields (every variant's, for a ``oneOf`` union; a field two variants describe differently
    is an ``anyOf`` of both) and the ones every variant requires: what tools/v3gen.py makes parameters of."""
    target = _resolve(schema, schemas)
    options = target.get("oneOf")
    variants = [_resolve(v, schemas) for v in options] if isinstance(options, list) and options else [target]
    fields: dict[str, Any] = {}
    required: set[str] | None = None
    for variant in variants:
        properties = variant.get("properties")
        for name, sub in (properties if isinstance(properties, Mapping) else {}).items():
            if name in fields and fields[name] != sub:
                fields[name] = {"anyOf": [fields[name], sub]}
            else:
                fields.setdefault(name, sub)
        needs = variant.get("required")
        needs = set(needs) if isinstance(needs, list) else set()
        required = needs if required is None else required & needs
    return fields, required or set()


def _resolve(schema: Any, schemas: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` with its ``$ref`` followed; an unknown reference (or a cycle) stays as it is."""
    seen = 0
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and seen < 32:
        name = _ref_name(schema["$ref"])
        if name is None or not isinstance(schemas.get(name), Mapping):
            break
        schema = schemas[name]
        seen += 1
    return schema if isinstance(schema, Mapping) else {}


def _ref_name(ref: str) -> str | None:
    return ref[len(_REF) :] if ref.startswith(_REF) else None


def _non_null(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """An ``anyOf [X, null]`` (HeyGen's optional field) as X, as the table holds it."""
    options = schema.get("anyOf")
    if isinstance(options, list) and options:
        real = [o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")]
        if len(real) == 1 and isinstance(real[0], Mapping):
            return {**{k: v for k, v in schema.items() if k != "anyOf"}, **real[0]}
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        rest = [k for k in kind if k != "null"]
        if len(rest) == 1:
            return {**schema, "type": rest[0]}
    return schema


def _scalar(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if kind == "string" and schema.get("format") != "binary":
        return "str"
    if kind in ("integer", "number", "boolean"):
        return {"integer": "int", "number": "number", "boolean": "bool"}[kind]
    items = schema.get("items")
    if kind == "array" and isinstance(items, Mapping) and _non_null(items).get("type") == "string":
        return None if "enum" in items else "list[str]"
    return None


def _param(
    name: str, location: Location, schema: Mapping[str, Any], required: bool, schemas: Mapping[str, Any]
) -> OperationParam:
    """A document's parameter as the table would hold it (the rules of tools/v3gen.py's ``param_row``)."""
    schema = _non_null(schema)
    target = _resolve(schema, schemas)
    if location != "body" and (scalar := _scalar(target)) is not None:
        facts: list[tuple[str, Any]] = []
        if scalar == "str" and isinstance(target.get("enum"), list):
            facts.append(("enum", tuple(target["enum"])))
        for key, fact in (("minimum", "minimum"), ("maximum", "maximum"), ("maxLength", "max_length")):
            if key in target:
                facts.append((fact, target[key]))
        if scalar == "list[str]":
            facts += [
                (fact, target[key])
                for key, fact in (("minItems", "min_items"), ("maxItems", "max_items"))
                if key in target
            ]
        return OperationParam(name=name, location=location, type=scalar, required=required, facts=_ordered(facts))
    if location == "body" and target.get("format") == "binary":
        return OperationParam(name=name, location=location, type="file", required=required)
    return OperationParam(
        name=name, location=location, type="schema", required=required, schema=_param_schema(schema, schemas)
    )


def _param_schema(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> Any:
    """A schema-typed parameter's schema, compared: plain, and optional-as-null folded once more (an ``anyOf`` of
    one repeated option folds into ``anyOf [X, null]`` only once the words are gone)."""
    plain = _plain(schema, schemas)
    return _non_null(plain) if isinstance(plain, Mapping) else plain


def _ordered(facts: Iterable[tuple[str, Any]]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(facts, key=lambda fact: _FACTS.index(fact[0])))


def _plain(schema: Any, schemas: Mapping[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``schema`` as what it constrains: ``$ref``\\ s replaced by their schemas (a reference back into one being
    expanded, or to one not defined, stays a reference) and prose (descriptions, titles, examples, ``x-``
    extensions) left out, so two documents that differ only in wording compare equal."""
    if isinstance(schema, list):
        return [_plain(item, schemas, seen) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = _ref_name(ref)
        rest = {key: value for key, value in schema.items() if key != "$ref"}
        if name is None or name in seen or not isinstance(schemas.get(name), Mapping):
            return {"$ref": ref, **_plain(rest, schemas, seen)}
        expanded = _plain(schemas[name], schemas, (*seen, name))
        return {**expanded, **_plain(rest, schemas, seen)} if rest else expanded
    plain: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _PROSE or str(key).startswith("x-"):
            continue
        if key == "properties" and isinstance(value, Mapping):  # its keys are field names, not keywords
            plain[key] = {field: _plain(sub, schemas, seen) for field, sub in value.items()}
        else:
            plain[key] = _plain(value, schemas, seen)
    return _one_option(plain)


def _one_option(plain: dict[str, Any]) -> Any:
    """An ``anyOf`` of one schema repeated, as that schema: a body field two union variants describe alike but in
    different words is merged into such an ``anyOf`` by the generator, and only the words told them apart."""
    options = plain.get("anyOf")
    if not isinstance(options, list) or not options or any(option != options[0] for option in options):
        return plain
    rest = {key: value for key, value in plain.items() if key != "anyOf"}
    only = options[0]
    if not rest:
        return only
    if isinstance(only, Mapping) and not set(only) & set(rest):
        return {**rest, **only}
    return plain


# -- The table's side -----------------------------------------------------------------------------------------


def table_operation(endpoint: Endpoint, schemas: Mapping[str, Any] | None = None) -> Operation:
    """A v3 table row as the same neutral record (``schemas``: the table's, ``V3_SCHEMAS``, by default)."""
    if schemas is None:
        from ._v3_table import V3_SCHEMAS

        schemas = V3_SCHEMAS
    return Operation(
        operation_id=endpoint.seed_name,
        http_method=endpoint.http_method,
        path=endpoint.path,
        params=tuple(_table_param(param, schemas) for param in endpoint.params),
        idempotency_key=endpoint.idempotency_key,
    )


def _table_param(param: Param, schemas: Mapping[str, Any]) -> OperationParam:
    facts = [
        (name, tuple(value) if name == "enum" else value)
        for name in _FACTS
        if (value := getattr(param, name)) is not None
    ]
    return OperationParam(
        name=param.name,
        location=param.location,
        type=param.type,
        required=param.required,
        facts=_ordered(facts),
        schema=None if param.schema is None else _param_schema(param.schema, schemas),
    )


# -- Comparing ------------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Change:
    """One thing that differs between a document operation and its table row.

    ``field`` is ``"method"``, ``"path"``, ``"operation_id"``, ``"idempotency_key"`` or ``"param"`` (with
    ``param`` naming it and ``kind`` saying what differs: it is only on one side, or its ``location``,
    ``required``, ``type``, ``schema`` or one of its facts such as ``enum`` or ``maximum``); ``document`` and
    ``table`` are the two sides' values.
    """

    field: str
    kind: str = "value"
    param: str | None = None
    document: Any = None
    table: Any = None

    def describe(self) -> str:
        """One readable line."""
        if self.field == "idempotency_key":
            return (
                f"Idempotency-Key header: document {'takes' if self.document else 'does not take'} it, table "
                f"{'sends' if self.table else 'does not send'} one"
            )
        if self.field != "param":
            return f"{self.field}: document {self.document!r}, table {self.table!r}"
        name = f"param {self.param}"
        if self.kind == "only_in_document":
            return f"{name} ({_summary(self.document)}) is in the document, not in the table"
        if self.kind == "only_in_table":
            return f"{name} ({_summary(self.table)}) is in the table, not in the document"
        if self.kind == "required":
            return f"{name} required: document {_yes_no(self.document)}, table {_yes_no(self.table)}"
        if self.kind == "schema":
            changes = _schema_changes(self.document, self.table)
            shown = "; ".join(
                f"{at}: document {_short(theirs)}, table {_short(ours)}"
                for at, theirs, ours in changes[:_SHOWN_SCHEMA_CHANGES]
            )
            more = len(changes) - _SHOWN_SCHEMA_CHANGES
            return f"{name} schema: {shown}" + (f" (and {more} more)" if more > 0 else "")
        if self.kind in _FACTS:
            return f"{name} {self.kind}: document {_fact(self.document)}, table {_fact(self.table)}"
        return f"{name} {self.kind}: document {self.document!r}, table {self.table!r}"

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "param": self.param,
            "kind": self.kind,
            "document": _jsonable(self.document),
            "table": _jsonable(self.table),
            "description": self.describe(),
        }


@attrs.frozen(kw_only=True)
class OperationDiff:
    """A document operation and the table row it was matched with, and how they differ."""

    operation: Operation
    endpoint: Endpoint
    matched_by: Literal["method and path", "operation id"]
    changes: tuple[Change, ...] = ()
    extras: tuple[Change, ...] = ()

    def to_json(self, changes: Iterable[Change]) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint.qualname,
            "operation_id": self.endpoint.seed_name,
            "method": self.endpoint.http_method,
            "path": self.endpoint.path,
            "document_operation": self.operation.index,
            "matched_by": self.matched_by,
            "differences": [change.to_json() for change in changes],
        }


@attrs.frozen(kw_only=True)
class OpenAPIDiff(Comparison):
    """What :func:`diff_openapi` found: operations only in the document (``added``), rows only in the table
    (``removed``), and every matched pair (a difference means: regenerate the table)."""

    added: tuple[Operation, ...] = ()
    removed: tuple[Endpoint, ...] = ()
    matched: tuple[OperationDiff, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``spec diff --json`` prints for an OpenAPI document)."""
        return {
            "differences": self.has_differences,
            "counts": self.counts(),
            "added": [
                {"document_operation": o.index, "operation_id": o.operation_id, "method": o.http_method, "path": o.path}
                for o in self.added
            ],
            "removed": [
                {"endpoint": e.qualname, "operation_id": e.seed_name, "method": e.http_method, "path": e.path}
                for e in self.removed
            ],
            "changed": [m.to_json(m.changes) for m in self.changed],
            "table_extras": [m.to_json(m.extras) for m in self.with_extras],
        }


def diff_openapi(operations: Iterable[Operation], table: Iterable[Endpoint] | None = None) -> OpenAPIDiff:
    """Match each document operation with a v3 table row (``V3_ENDPOINTS`` by default): the same method and
    path shape first, then the same ``operationId``; and compare the pairs."""
    if table is None:
        from ._v3_table import V3_ENDPOINTS

        table = V3_ENDPOINTS
    rows = list(table)
    unmatched_rows = list(rows)
    pairs: list[tuple[Operation, Endpoint, Literal["method and path", "operation id"]]] = []
    unmatched: list[Operation] = []
    for operation in operations:
        shape = (operation.http_method, _shape(operation.path))
        row = next((e for e in unmatched_rows if (e.http_method, _shape(e.path)) == shape), None)
        if row is None:
            unmatched.append(operation)
        else:
            unmatched_rows.remove(row)
            pairs.append((operation, row, "method and path"))
    added: list[Operation] = []
    for operation in unmatched:
        row = next(
            (e for e in unmatched_rows if operation.operation_id and e.seed_name == operation.operation_id), None
        )
        if row is None:
            added.append(operation)
        else:
            unmatched_rows.remove(row)
            pairs.append((operation, row, "operation id"))
    pairs.sort(key=lambda pair: rows.index(pair[1]))
    return OpenAPIDiff(
        added=tuple(added),
        removed=tuple(unmatched_rows),
        matched=tuple(_compare(operation, row, how) for operation, row, how in pairs),
    )


def _shape(path: str) -> str:
    """The path with placeholder names blanked, so a renamed placeholder still matches (and shows as a change)."""
    return _PLACEHOLDER.sub("{}", path)


def _compare(
    operation: Operation, endpoint: Endpoint, matched_by: Literal["method and path", "operation id"]
) -> OperationDiff:
    ours = table_operation(endpoint)
    changes: list[Change] = []
    extras: list[Change] = []
    for field, theirs, mine in (
        ("method", operation.http_method, ours.http_method),
        ("path", operation.path, ours.path),
        ("operation_id", operation.operation_id, ours.operation_id),
    ):
        if theirs and theirs != mine:
            changes.append(Change(field=field, document=theirs, table=mine))
    if operation.idempotency_key != ours.idempotency_key:
        change = Change(field="idempotency_key", document=operation.idempotency_key, table=ours.idempotency_key)
        # A key the table sends on a create the document leaves unsaid is HeyGen's changelog's word (extra);
        # one the document offers and the table does not send is a create that could be retried safely.
        (extras if ours.idempotency_key else changes).append(change)
    changes.extend(_compare_params(operation, ours))
    return OperationDiff(
        operation=operation, endpoint=endpoint, matched_by=matched_by, changes=tuple(changes), extras=tuple(extras)
    )


def _compare_params(theirs: Operation, ours: Operation) -> list[Change]:
    mine = {param.name: param for param in ours.params}
    found: list[Change] = []
    for param in theirs.params:
        other = mine.pop(param.name, None)
        if other is None:
            found.append(Change(field="param", kind="only_in_document", param=param.name, document=_param_json(param)))
            continue
        for kind in ("location", "required", "type"):
            if getattr(param, kind) != getattr(other, kind):
                found.append(
                    Change(
                        field="param",
                        kind=kind,
                        param=param.name,
                        document=getattr(param, kind),
                        table=getattr(other, kind),
                    )
                )
        if param.type == other.type:  # a new type says it all; its facts would only repeat it
            their_facts, our_facts = dict(param.facts), dict(other.facts)
            for fact in _FACTS:
                if their_facts.get(fact) != our_facts.get(fact):
                    found.append(
                        Change(
                            field="param",
                            kind=fact,
                            param=param.name,
                            document=their_facts.get(fact),
                            table=our_facts.get(fact),
                        )
                    )
            if param.schema != other.schema:
                found.append(
                    Change(field="param", kind="schema", param=param.name, document=param.schema, table=other.schema)
                )
    found.extend(
        Change(field="param", kind="only_in_table", param=param.name, table=_param_json(param))
        for param in mine.values()
    )
    return found


_ABSENT: Final = object()


def _schema_changes(document: Any, table: Any, at: str = "") -> list[tuple[str, Any, Any]]:
    """Where two plain schemas differ: ``(dotted place, document's value, table's value)`` for each differing
    leaf (``properties.type.enum``); a keyword one side lacks shows as ``absent``."""
    if isinstance(document, Mapping) and isinstance(table, Mapping):
        found: list[tuple[str, Any, Any]] = []
        for key in sorted({*document, *table}, key=str):
            place = f"{at}.{key}" if at else str(key)
            found += _schema_changes(document.get(key, _ABSENT), table.get(key, _ABSENT), place)
        return found
    if isinstance(document, list) and isinstance(table, list) and len(document) == len(table):
        found = []
        for number, (theirs, ours) in enumerate(zip(document, table, strict=True)):
            found += _schema_changes(theirs, ours, f"{at}[{number}]")
        return found
    return [] if document == table else [(at or "(the schema)", document, table)]


def _param_json(param: OperationParam) -> dict[str, Any]:
    return {
        "location": param.location,
        "type": param.type,
        "required": param.required,
        **{name: _jsonable(value) for name, value in param.facts},
    }


def _summary(value: Any) -> str:
    if not isinstance(value, Mapping):
        return repr(value)
    parts = [str(value.get("location") or "?"), str(value.get("type") or "untyped")]
    if value.get("required"):
        parts.append("required")
    return ", ".join(parts)


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _fact(value: Any) -> str:
    return "unstated" if value is None else _short(value)


def _short(value: Any) -> str:
    if value is _ABSENT:
        return "absent"
    text = json.dumps(_jsonable(value), sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _jsonable(value: Any) -> Any:
    if value is _ABSENT:
        return None
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value
