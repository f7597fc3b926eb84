"""LowCodeAPI's provider "definition" documents, read into neutral records and compared with the endpoint table.

LowCodeAPI describes each provider with one JSON document (``{"config": {...}, "routes": [...]}``). Reading it lets
the generator take that format as an input, and :func:`diff` tells what changed between such a document and
``ENDPOINTS`` so the table can follow LowCodeAPI as it grows (``heygen-async spec diff FILE``).

:func:`diff` sorts what differs into three groups:

* **changes**: the document says something the table does not (a new parameter, a required flag, a type, an enum, a
  path, ...). These need a look.
* **known deviations**: differences the table already explains. The rule is deliberately simple: a difference about
  parameter ``x`` is explained when the table's ``x`` has a ``note``, or when ``x`` is named in the row's ``notes`` or
  in one of its parameters' notes; a difference in the path, host, category or docs URL is explained when the row's
  ``notes`` name that field's LowCodeAPI key (``provider_proxy_intent``, ``category``, ``api_ref``).
* **table extras**: what the table adds that the document does not state (parameters, enums and required flags from
  HeyGen's docs). LowCodeAPI passes unknown fields on, so these are listed but are not differences.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from ._types import Endpoint, Param

__all__ = [
    "Comparison",
    "Definition",
    "DefinitionError",
    "DefinitionParam",
    "DefinitionRoute",
    "Diff",
    "Difference",
    "RouteDiff",
    "diff",
    "load_definition",
    "load_json",
    "parse_definition",
    "types_compatible",
]

Location = Literal["path", "query", "body"]

_SECTIONS: Final[tuple[tuple[str, Location], ...]] = (("path", "path"), ("params", "query"), ("body", "body"))
"""Where a definition route keeps each kind of parameter: ``params`` holds the query."""

_HOSTS: Final = {"api.heygen.com": "api", "upload.heygen.com": "upload"}
_URL: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:?//([^/?#]*)(.*)$")
"""An absolute URL, also LowCodeAPI's colon-less ``https//upload.heygen.com/...``."""
_PLACEHOLDER: Final = re.compile(r"\{[^{}/]*\}")

TYPE_EQUIVALENTS: Final[Mapping[str, frozenset[str]]] = {
    "string": frozenset({"str"}),
    "number": frozenset({"int", "number"}),
    "integer": frozenset({"int"}),
    "boolean": frozenset({"bool"}),
    "object": frozenset({"object", "Dimension", "Sdp", "StreamingVoice", "TemplateVariables"}),
    "array of objects": frozenset({"list[VideoInput]"}),
    "array of strings": frozenset({"list[str]"}),
    "array": frozenset({"list[str]", "list[VideoInput]"}),
    "file": frozenset({"file"}),
}
"""Each LowCodeAPI type and the table types that agree with it (ours are richer: ``Dimension`` is an ``object``)."""

_FIELD_KEYS: Final = {
    "path": "provider_proxy_intent",
    "host": "provider_proxy_intent",
    "category": "category",
    "docs_url": "api_ref",
}
"""The LowCodeAPI key behind a route field; a row's ``notes`` naming it explain a difference in that field. A
different seed name or HTTP method is always a change."""


class DefinitionError(ValueError):
    """The definition document cannot be read: not JSON, no ``routes`` list, a route without method or path, ..."""


# -- Reading ------------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DefinitionParam:
    """One parameter of a definition route. ``type`` is LowCodeAPI's (``"array of strings"``), lower-cased, or
    ``""`` when unstated; ``required`` is ``None`` when the document does not say."""

    name: str
    location: Location
    type: str = ""
    required: bool | None = None
    enum: tuple[Any, ...] | None = None
    doc: str = ""


@attrs.frozen(kw_only=True)
class DefinitionRoute:
    """One route of a definition document, in the table's terms: ``path`` is HeyGen's template
    (``/v2/photo_avatar/{id}``) and ``host`` is ``"api"``, ``"upload"`` or any other host name as written."""

    seed_name: str
    http_method: str
    path: str
    host: str = "api"
    params: tuple[DefinitionParam, ...] = ()
    docs_url: str = ""
    category: str = ""
    alias: str = ""
    request_type: str = ""
    index: int = 0

    @property
    def key(self) -> str:
        """``"GET /v2/photo_avatar/{id}"``, like :attr:`Endpoint.key`."""
        return f"{self.http_method} {self.path}"

    def param(self, name: str) -> DefinitionParam:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)


@attrs.frozen(kw_only=True)
class Definition:
    """A whole definition document: the provider's id, the route count it claims, and its routes."""

    provider: str = ""
    total_api: int | None = None
    routes: tuple[DefinitionRoute, ...] = ()


def load_definition(path: str | os.PathLike[str]) -> Definition:
    """Read a definition document from a file; every failure is a :class:`DefinitionError`."""
    return read_document(load_json(path), source=os.fspath(path))


def load_json(path: str | os.PathLike[str]) -> Any:
    """A JSON file's content, whatever document it holds (``spec diff`` reads a file once, then looks at what
    it is); an unreadable file or one that is not JSON is a :class:`DefinitionError`."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        raise DefinitionError(f"cannot read {os.fspath(path)}: {exc.strerror or exc}") from None
    return _decode(data, os.fspath(path))


def parse_definition(text: str | bytes, *, source: str = "definition") -> Definition:
    """Parse a definition document's JSON text."""
    return read_document(_decode(text, source), source=source)


def _decode(text: str | bytes, source: str) -> Any:
    try:
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"{source} is not UTF-8 text: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"{source} is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def read_document(document: Any, *, source: str = "definition") -> Definition:
    """Read an already-decoded definition document."""
    if not isinstance(document, Mapping):
        raise DefinitionError(f"{source} is not a LowCodeAPI definition: expected a JSON object")
    routes = document.get("routes")
    if not isinstance(routes, list):
        found = "missing" if routes is None else f"a {type(routes).__name__}"
        raise DefinitionError(f"{source} is not a LowCodeAPI definition: 'routes' should be a list, found {found}")
    config = document.get("config")
    config = config if isinstance(config, Mapping) else {}
    total = config.get("total_api")
    return Definition(
        provider=str(config.get("id") or ""),
        total_api=total if isinstance(total, int) and not isinstance(total, bool) else None,
        routes=tuple(_read_route(route, index) for index, route in enumerate(routes, start=1)),
    )


def _clean(text: Any) -> str:
    return " ".join(text.split()) if isinstance(text, str) else ""


def _read_route(raw: Any, index: int) -> DefinitionRoute:
    if not isinstance(raw, Mapping):
        raise DefinitionError(f"route {index} is not a JSON object")
    name = _clean(raw.get("text"))
    where = f"route {index}" + (f" ({name!r})" if name else "")
    method = raw.get("method")
    if not isinstance(method, str) or not method.strip():
        raise DefinitionError(f"{where} has no HTTP method")
    params: list[DefinitionParam] = []
    for section, location in _SECTIONS:
        specs = raw.get(section)
        if specs is None:
            continue
        if not isinstance(specs, Mapping):
            raise DefinitionError(f"{where}: {section!r} should be an object of parameters")
        params.extend(_read_param(str(pname), spec, location, where) for pname, spec in specs.items())
    path_names = [p.name for p in params if p.location == "path"]
    host, path = _route_path(raw, path_names, where)
    meta = raw.get("meta")
    meta = meta if isinstance(meta, Mapping) else {}
    return DefinitionRoute(
        seed_name=name,
        http_method=method.strip().upper(),
        path=path,
        host=host,
        params=tuple(params),
        docs_url=_clean(meta.get("api_ref")),
        category=_clean(raw.get("category")),
        alias=_clean(raw.get("provider_alias_intent")),
        request_type=_clean(raw.get("type") or raw.get("request_type")),
        index=index,
    )


def _route_path(raw: Mapping[str, Any], path_names: Sequence[str], where: str) -> tuple[str, str]:
    """HeyGen's host and path template: from ``provider_proxy_intent``, else rebuilt from the old-format alias
    (whose segments named after path parameters are the placeholders)."""
    proxy = raw.get("provider_proxy_intent")
    if isinstance(proxy, str) and proxy.strip():
        host, path = _split_url(proxy.strip())
        return host, re.sub(r"/:([A-Za-z_]\w*)", r"/{\1}", path)
    alias = raw.get("provider_alias_intent")
    if isinstance(alias, str) and alias.strip():
        host, path = _split_url(alias.strip())
        segments = [f"{{{s}}}" if s in path_names else s for s in path.split("/")]
        return host, "/".join(segments)
    raise DefinitionError(f"{where} has no path (neither provider_proxy_intent nor provider_alias_intent)")


def _split_url(url: str) -> tuple[str, str]:
    host = "api"
    match = _URL.match(url)
    if match:
        host = _HOSTS.get(match.group(1).lower(), match.group(1).lower())
        url = match.group(2)
    path = url.split("?", 1)[0].split("#", 1)[0]
    return host, path if path.startswith("/") else "/" + path


def _read_param(name: str, spec: Any, location: Location, where: str) -> DefinitionParam:
    if not isinstance(spec, Mapping):
        raise DefinitionError(f"{where}: parameter {name!r} should be an object")
    type_ = spec.get("type", "")
    if not isinstance(type_, str):
        raise DefinitionError(f"{where}: parameter {name!r} has a non-text type {type_!r}")
    required = spec.get("required")
    if isinstance(required, str) and required.strip().lower() in ("true", "false"):
        required = required.strip().lower() == "true"
    if required is not None and not isinstance(required, bool):
        raise DefinitionError(f"{where}: parameter {name!r} has 'required' {required!r}, not true or false")
    enum = spec.get("enum")
    if enum is not None and not isinstance(enum, list):
        raise DefinitionError(f"{where}: parameter {name!r} has an 'enum' that is not a list")
    return DefinitionParam(
        name=name,
        location=location,
        type=_clean(type_).lower(),
        required=required,
        enum=tuple(enum) if enum is not None else None,
        doc=_clean(spec.get("text")),
    )


# -- Comparing ------------------------------------------------------------------------------------------------


def types_compatible(document_type: str, table_type: str) -> bool:
    """Whether a LowCodeAPI type agrees with a table type; an unstated document type agrees with anything."""
    if not document_type:
        return True
    return table_type in TYPE_EQUIVALENTS.get(_clean(document_type).lower(), frozenset())


DifferenceKind = Literal["value", "only_in_document", "only_in_table", "location", "type", "required", "enum"]


@attrs.frozen(kw_only=True)
class Difference:
    """One thing that differs between a document route and its table row.

    ``field`` is a route field (``"method"``, ``"path"``, ``"host"``, ``"seed_name"``, ``"category"``,
    ``"docs_url"``) or ``"param"`` with ``param`` naming it; ``document``/``table`` are the two sides' values;
    ``explanation`` is the table's note that accounts for it (known deviations only).
    """

    field: str
    kind: DifferenceKind = "value"
    param: str | None = None
    document: Any = None
    table: Any = None
    explanation: str = ""

    def describe(self) -> str:
        """One readable line."""
        if self.field != "param":
            return f"{self.field}: document {self.document!r}, table {self.table!r}"
        name = f"param {self.param}"
        if self.kind == "only_in_document":
            return f"{name} ({_param_summary(self.document)}) is in the document, not in the table"
        if self.kind == "only_in_table":
            return f"{name} ({_param_summary(self.table)}) is in the table, not in the document"
        if self.kind == "required":
            return f"{name} required: document {_yes_no(self.document)}, table {_yes_no(self.table)}"
        if self.kind == "enum":
            return f"{name} enum: document {_enum_text(self.document)}, table {_enum_text(self.table)}"
        return f"{name} {self.kind}: document {self.document!r}, table {self.table!r}"

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "param": self.param,
            "kind": self.kind,
            "document": _jsonable(self.document),
            "table": _jsonable(self.table),
            "explanation": self.explanation,
            "description": self.describe(),
        }


@attrs.frozen(kw_only=True)
class RouteDiff:
    """A document route and the table row it was matched with, and how they differ."""

    route: DefinitionRoute
    endpoint: Endpoint
    matched_by: Literal["method and path", "seed name"]
    changes: tuple[Difference, ...] = ()
    known: tuple[Difference, ...] = ()
    extras: tuple[Difference, ...] = ()

    def to_json(self, differences: Iterable[Difference]) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint.qualname,
            "seed_name": self.endpoint.seed_name,
            "method": self.endpoint.http_method,
            "path": self.endpoint.path,
            "document_route": self.route.index,
            "matched_by": self.matched_by,
            "differences": [d.to_json() for d in differences],
        }


class Comparison:
    """What a comparison of a document with a table has in common, whatever the document: ``added`` (in the
    document only), ``removed`` (in the table only) and ``matched`` pairs, each with its ``changes`` (to act on)
    and ``extras`` (what the table adds on purpose)."""

    __slots__ = ()
    added: tuple[Any, ...]
    removed: tuple[Endpoint, ...]
    matched: tuple[Any, ...]

    @property
    def changed(self) -> tuple[Any, ...]:
        return tuple(m for m in self.matched if m.changes)

    @property
    def with_extras(self) -> tuple[Any, ...]:
        return tuple(m for m in self.matched if m.extras)

    @property
    def has_differences(self) -> bool:
        """Anything to act on; known deviations and table extras are not."""
        return bool(self.added or self.removed or self.changed)

    def counts(self) -> dict[str, int]:
        return {
            "matched": len(self.matched),
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "changes": sum(len(m.changes) for m in self.matched),
            "table_extras": sum(len(m.extras) for m in self.matched),
        }


@attrs.frozen(kw_only=True)
class Diff(Comparison):
    """What :func:`diff` found: routes only in the document (``added``), rows only in the table (``removed``),
    and every matched pair."""

    added: tuple[DefinitionRoute, ...] = ()
    removed: tuple[Endpoint, ...] = ()
    matched: tuple[RouteDiff, ...] = ()

    @property
    def with_known_deviations(self) -> tuple[RouteDiff, ...]:
        return tuple(m for m in self.matched if m.known)

    def counts(self) -> dict[str, int]:
        return {**super().counts(), "known_deviations": sum(len(m.known) for m in self.matched)}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``spec diff --json`` prints)."""
        return {
            "differences": self.has_differences,
            "counts": self.counts(),
            "added": [
                {
                    "document_route": r.index,
                    "seed_name": r.seed_name,
                    "method": r.http_method,
                    "path": r.path,
                    "host": r.host,
                }
                for r in self.added
            ],
            "removed": [
                {
                    "endpoint": e.qualname,
                    "seed_name": e.seed_name,
                    "method": e.http_method,
                    "path": e.path,
                    "host": e.host,
                }
                for e in self.removed
            ],
            "changed": [m.to_json(m.changes) for m in self.changed],
            "known_deviations": [m.to_json(m.known) for m in self.with_known_deviations],
            "table_extras": [m.to_json(m.extras) for m in self.with_extras],
        }


def diff(document_routes: Iterable[DefinitionRoute], table: Iterable[Endpoint]) -> Diff:
    """Match each document route with a table row (same HTTP method and path shape first, then same seed name)
    and compare the pairs."""
    routes = list(document_routes)
    rows = list(table)
    unmatched_rows = list(rows)
    pairs: list[tuple[DefinitionRoute, Endpoint, Literal["method and path", "seed name"]]] = []
    unmatched_routes: list[DefinitionRoute] = []
    for route in routes:
        shape = (route.http_method, _shape(route.path))
        row = next((e for e in unmatched_rows if (e.http_method, _shape(e.path)) == shape), None)
        if row is None:
            unmatched_routes.append(route)
        else:
            unmatched_rows.remove(row)
            pairs.append((route, row, "method and path"))
    added: list[DefinitionRoute] = []
    for route in unmatched_routes:
        name = route.seed_name.casefold()
        row = next((e for e in unmatched_rows if name and _clean(e.seed_name).casefold() == name), None)
        if row is None:
            added.append(route)
        else:
            unmatched_rows.remove(row)
            pairs.append((route, row, "seed name"))
    pairs.sort(key=lambda pair: rows.index(pair[1]))
    return Diff(
        added=tuple(added),
        removed=tuple(unmatched_rows),
        matched=tuple(_compare(route, row, how) for route, row, how in pairs),
    )


def _shape(path: str) -> str:
    """The path with placeholder names blanked, so a renamed placeholder still matches (and shows as a change)."""
    return _PLACEHOLDER.sub("{}", path)


def _compare(
    route: DefinitionRoute, endpoint: Endpoint, matched_by: Literal["method and path", "seed name"]
) -> RouteDiff:
    found: list[Difference] = []
    fields = (
        ("seed_name", route.seed_name, _clean(endpoint.seed_name)),
        ("method", route.http_method, endpoint.http_method),
        ("path", route.path, endpoint.path),
        ("host", route.host, endpoint.host),
        ("category", route.category, _clean(endpoint.category)),
        ("docs_url", route.docs_url, endpoint.docs_url),
    )
    for field, theirs, ours in fields:
        if theirs and theirs != ours:  # an empty value is one the document leaves out
            found.append(Difference(field=field, document=theirs, table=ours))
    found.extend(_compare_params(route, endpoint))
    changes: list[Difference] = []
    known: list[Difference] = []
    extras: list[Difference] = []
    for difference in found:
        explanation = _explanation(difference, endpoint)
        if explanation:
            known.append(attrs.evolve(difference, explanation=explanation))
        elif _is_extra(difference):
            extras.append(difference)
        else:
            changes.append(difference)
    return RouteDiff(
        route=route,
        endpoint=endpoint,
        matched_by=matched_by,
        changes=tuple(changes),
        known=tuple(known),
        extras=tuple(extras),
    )


ParamPairing = tuple[list[tuple[DefinitionParam, Param]], list[DefinitionParam], list[Param]]


def _pair_params(route: DefinitionRoute, endpoint: Endpoint) -> ParamPairing:
    """Pair parameters by name. A route's file parameters pair by type whatever their names: LowCodeAPI calls the
    raw request body ``RAW_BODY`` (listed under ``params``), the table names the client's argument."""
    ours = {p.name: p for p in endpoint.params}
    pairs: list[tuple[DefinitionParam, Param]] = []
    only_document: list[DefinitionParam] = []
    for param in route.params:
        if param.name in ours:
            pairs.append((param, ours.pop(param.name)))
        else:
            only_document.append(param)
    for param in [p for p in only_document if p.type == "file"]:
        match = next((p for p in ours.values() if p.type == "file"), None)
        if match is not None:
            only_document.remove(param)
            pairs.append((param, ours.pop(match.name)))
    return pairs, only_document, list(ours.values())


def _compare_params(route: DefinitionRoute, endpoint: Endpoint) -> list[Difference]:
    pairs, only_document, only_table = _pair_params(route, endpoint)
    found = [
        Difference(field="param", kind="only_in_document", param=p.name, document=_param_json(p)) for p in only_document
    ]
    for theirs, ours in pairs:
        name = ours.name
        same_place = (
            theirs.location == ours.location or (ours.also_in_body and theirs.location == "body") or ours.type == "file"
        )
        if not same_place:
            found.append(
                Difference(field="param", kind="location", param=name, document=theirs.location, table=ours.location)
            )
        if not types_compatible(theirs.type, ours.type):
            found.append(Difference(field="param", kind="type", param=name, document=theirs.type, table=ours.type))
        stated_and_differs = theirs.required is not None and theirs.required != ours.required
        if stated_and_differs or (theirs.required is None and ours.required):
            found.append(
                Difference(field="param", kind="required", param=name, document=theirs.required, table=ours.required)
            )
        their_enum = _enum_set(theirs.enum, theirs.type)
        our_enum = _enum_set(ours.enum, "")
        if their_enum != our_enum:
            found.append(Difference(field="param", kind="enum", param=name, document=theirs.enum, table=ours.enum))
    found.extend(
        Difference(field="param", kind="only_in_table", param=p.name, table=_table_param_json(p)) for p in only_table
    )
    return found


def _is_extra(difference: Difference) -> bool:
    """What the table states and the document leaves unsaid: a parameter, an enum, or a required flag."""
    if difference.kind == "only_in_table":
        return True
    if difference.kind == "enum":
        return difference.document is None
    return difference.kind == "required" and difference.document is None


def _explanation(difference: Difference, endpoint: Endpoint) -> str:
    """The table's note that accounts for ``difference``, or ``""`` (see the module docstring for the rule)."""
    if difference.field != "param":
        key = _FIELD_KEYS.get(difference.field, "")
        return next((note for note in endpoint.notes if key and _mentions(note, key)), "")
    name = difference.param or ""
    for param in endpoint.params:
        if param.name == name and param.note:
            return param.note
    notes = (*endpoint.notes, *(p.note for p in endpoint.params if p.note))
    return next((note for note in notes if _mentions(note, name)), "")


def _mentions(text: str, name: str) -> bool:
    """``name`` appears in ``text`` as a whole word (``video_id`` is not in ``video_ids`` nor ``x.video_id``)."""
    return bool(name) and re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text) is not None


def _enum_set(values: tuple[Any, ...] | None, document_type: str) -> frozenset[str] | None:
    """An enum as a comparable set; a boolean's ``[true, false]`` says nothing, so it is no enum."""
    if values is None:
        return None
    keys = frozenset(json.dumps(v, sort_keys=True) for v in values)
    if document_type == "boolean" and keys <= {"true", "false", '"true"', '"false"'}:
        return None
    return keys


def _param_json(param: DefinitionParam) -> dict[str, Any]:
    return {
        "location": param.location,
        "type": param.type,
        "required": param.required,
        "enum": list(param.enum) if param.enum is not None else None,
    }


def _table_param_json(param: Param) -> dict[str, Any]:
    return {
        "location": param.location,
        "type": param.type,
        "required": param.required,
        "enum": list(param.enum) if param.enum is not None else None,
    }


def _param_summary(value: Any) -> str:
    if not isinstance(value, Mapping):
        return repr(value)
    parts = [str(value.get("location") or "?"), str(value.get("type") or "untyped")]
    if value.get("required"):
        parts.append("required")
    return ", ".join(parts)


def _yes_no(value: Any) -> str:
    return "unstated" if value is None else ("yes" if value else "no")


def _enum_text(value: Any) -> str:
    return "none" if value is None else json.dumps(list(value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


# -- Drafting table rows ---------------------------------------------------------------------------------------

_DRAFT_TYPES: Final = {
    "string": "str",
    "number": "number",
    "integer": "int",
    "boolean": "bool",
    "object": "object",
    "array of strings": "list[str]",
    "file": "file",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "todo"


def draft_row(route: DefinitionRoute) -> str:
    """An ``Endpoint(...)`` literal for the endpoint table, drafted from a definition route.

    Namespace, method name, result model and idempotency are guesses to review; every parameter keeps
    LowCodeAPI's type, required flag and enum, and a type the table has no word for is left as ``object``
    with a note, so nothing is silently lost.
    """
    lines = [
        "Endpoint(",
        f"    namespace={_slug(route.category)!r},  # TODO: pick the namespace",
        f"    method={_slug(route.seed_name)!r},  # TODO: pick the method name",
        f"    seed_name={route.seed_name!r},",
        f"    category={route.category!r},",
        f"    http_method={route.http_method!r},",
        f"    path={route.path!r},",
    ]
    if route.host != "api":
        lines.append(f"    host={route.host!r},")
    if route.params:
        lines.append("    params=(")
        for param in route.params:
            kind = _DRAFT_TYPES.get(param.type, "object")
            extras = [f"required={bool(param.required) or param.location == 'path'}"]
            if param.enum is not None and kind != "bool":
                extras.append(f"enum={tuple(param.enum)!r}")
            if kind == "object" and param.type not in ("object", ""):
                extras.append(f"note={'LowCodeAPI type ' + repr(param.type) + '; check the shape'!r}")
            lines.append(
                f"        Param(name={param.name!r}, location={param.location!r}, type={kind!r}, "
                f"doc={param.doc!r}, {', '.join(extras)}),"
            )
        lines.append("    ),")
    lines += [
        f"    idempotent={route.http_method in ('GET', 'HEAD', 'PUT', 'DELETE')},  # TODO: confirm",
        '    result="Ack",  # TODO: a model from _models.py',
        f"    docs_url={route.docs_url!r},",
        ")",
    ]
    return "\n".join(lines)
