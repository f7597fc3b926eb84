"""The vocabulary of the endpoint table: what an endpoint and each of its parameters are.

The table itself (``_table.py``) is a list of :class:`Endpoint` values; the generated resource
methods, the request validation, the emulator's routes and ``client.endpoints`` are all read from it.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs

from heygen_async._transport._urls import Route

__all__ = ["PARAM_TYPES", "AtLeastOneOf", "Creates", "Endpoint", "Param", "Requires", "Rule", "body", "path", "query"]

Location = Literal["path", "query", "body"]

PARAM_TYPES: Final = frozenset(
    {
        "str",
        "int",
        "number",
        "bool",
        "list[str]",
        "object",
        "Dimension",
        "list[VideoInput]",
        "StreamingVoice",
        "TemplateVariables",
        "Sdp",
        "file",
        "schema",
    }
)
"""Parameter types the runtime validates and the generator annotates (see ``_validation.py``)."""


@attrs.frozen(kw_only=True)
class Param:
    """One parameter of an endpoint, as HeyGen documents it.

    ``minimum``/``maximum`` bound numbers; ``max_length`` bounds strings (characters); ``max_ids`` bounds a
    text that is a comma-separated list of ids (v3's statuses take ``video_ids=a,b,c``); ``min_items`` and
    ``max_items`` bound lists. ``also_in_body`` sends a query parameter in the JSON body as well. ``default``
    (an optional scalar parameter's) is what the generated method sends when the caller does not say
    (``None`` then leaves the parameter out). ``note`` says where this deviates from LowCodeAPI's definition
    and why. ``positional`` keeps an optional parameter positional in the generated method (after the required
    ones), for one that used to be required.
    """

    name: str
    location: Location
    type: str
    required: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    max_ids: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    also_in_body: bool = False
    default: str | int | float | bool | None = None
    doc: str = ""
    note: str = ""
    positional: bool = False
    schema: Any = attrs.field(default=None, repr=False)
    """The JSON schema (HeyGen v3's OpenAPI) a ``"schema"`` parameter's value is checked against; ``$ref``s name
    the table's schemas."""

    def __attrs_post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"parameter {self.name!r} has unknown type {self.type!r}")
        if self.location == "path" and not self.required:
            raise ValueError(f"path parameter {self.name!r} must be required")
        if (self.min_items is not None or self.max_items is not None) and not self.type.startswith("list["):
            raise ValueError(f"parameter {self.name!r}: min_items and max_items bound lists only")
        if self.default is not None and (self.required or self.type not in ("str", "int", "number", "bool")):
            raise ValueError(f"parameter {self.name!r}: only an optional scalar parameter has a default")
        if self.max_ids is not None and self.type != "str":
            raise ValueError(f"parameter {self.name!r}: max_ids bounds a comma-separated text only")
        if (self.type == "schema") != (self.schema is not None):
            raise ValueError(f"parameter {self.name!r}: a schema goes with the type 'schema', and only with it")


@attrs.frozen
class AtLeastOneOf:
    """At least one of ``names`` must be given."""

    names: tuple[str, ...]


@attrs.frozen
class Requires:
    """When ``name`` is given, every one of ``needs`` must be given too."""

    name: str
    needs: tuple[str, ...]


Rule = AtLeastOneOf | Requires


@attrs.frozen(kw_only=True)
class Creates:
    """What a successful call creates at HeyGen (billed: a job or a live session), so its id is never lost.

    The id is the answer's field ``id`` (dotted for a nested one: ``avatar_item.id``), or the call's argument
    ``argument`` (a group's training is named by the group); ``more`` names an answer's field listing further
    ids of the same kind (a translation into several languages makes one job each), and may be the only one
    (v3 answers some creates with a list of ids alone). ``job`` is the kind of job it starts (``"video"``,
    ``"translation"``, ...; see :data:`heygen_async._jobs._kinds.KINDS`), None for a live session.
    """

    id: str | None = None
    argument: str | None = None
    more: str | None = None
    job: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.id is not None and self.argument is not None:
            raise ValueError("Creates takes one of id (a field of the answer) and argument (of the call), not both")
        if self.id is None and self.argument is None and self.more is None:
            raise ValueError("Creates needs id (a field of the answer), argument (of the call) or more (a list)")


@attrs.frozen(kw_only=True)
class Endpoint:
    """One row of the endpoint table.

    ``namespace``/``method`` name the generated coroutine (``client.videos.status``; a v3 namespace may be
    dotted: ``avatars.looks``); ``seed_name`` is the LowCodeAPI integration page's name (a v3 row's: the
    OpenAPI ``operationId``); ``api`` says which of HeyGen's APIs serves it (the legacy routes, or v3, which
    only HeyGen serves directly); ``path`` is HeyGen's path, and ``host`` says which HeyGen host (the
    gateway's old-format alias is the same path with each placeholder's name in place). ``result`` names the
    model the answer is structured into; ``pagination`` names the field of that model holding the items when
    the endpoint is token-paginated; ``notes`` records every deliberate deviation from LowCodeAPI's definition.

    What the rest of the package builds on the endpoint is said here too, so nothing else keeps a table of
    endpoints: ``creates`` (what a success creates, and the job it starts), ``polls`` (the job kind whose
    status this endpoint reports), and ``extended_by`` (``"module:Class"``: the hand-written helpers built on
    this endpoint, which the generated namespace class inherits).

    v3 rows also say: ``idempotency_key`` (HeyGen takes an ``Idempotency-Key`` header on it, so the call
    sends one and is retried like a read), ``idempotency_field`` (a body field HeyGen de-duplicates on instead,
    such as background removals' ``request_id``: the call fills it when the caller does not, and is retried
    like a read too), ``body_schema`` (the JSON schema the whole body is checked against,
    e.g. a discriminated union) and ``bulk_polls`` (the job kind whose statuses it reports many at once).
    """

    namespace: str
    method: str
    seed_name: str
    category: str
    http_method: str
    path: str
    params: tuple[Param, ...] = ()
    idempotent: bool
    result: str
    docs_url: str
    summary: str = ""
    host: Literal["api", "upload"] = "api"
    rules: tuple[Rule, ...] = ()
    pagination: str | None = None
    notes: tuple[str, ...] = ()
    creates: Creates | None = None
    polls: str | None = None
    extended_by: str | None = None
    api: Literal["legacy", "v3", "liveavatar"] = "legacy"
    idempotency_key: bool = False
    idempotency_field: str | None = None
    body_schema: Any = attrs.field(default=None, repr=False)
    bulk_polls: str | None = None
    route: Route = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "route", Route(self.http_method, self.path, self.idempotent, self.host))
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.qualname}: duplicate parameter names")
        declared = {p.name for p in self.params if p.location == "path"}
        if declared != set(self.route.path_params):
            raise ValueError(f"{self.qualname}: path parameters {sorted(declared)} do not match {self.path}")
        for rule in self.rules:
            mentioned = rule.names if isinstance(rule, AtLeastOneOf) else (rule.name, *rule.needs)
            unknown = set(mentioned) - set(names)
            if unknown:
                raise ValueError(f"{self.qualname}: rule names unknown parameters {sorted(unknown)}")
        if self.creates is not None and self.creates.argument is not None and self.creates.argument not in names:
            raise ValueError(f"{self.qualname}: creates names an unknown argument {self.creates.argument!r}")
        if self.idempotency_field is not None and self.idempotency_field not in names:
            raise ValueError(f"{self.qualname}: idempotency_field names an unknown parameter")
        if self.extended_by is not None and ":" not in self.extended_by:
            raise ValueError(f"{self.qualname}: extended_by must read 'module:Class', got {self.extended_by!r}")

    @property
    def qualname(self) -> str:
        """``"videos.status"``."""
        if self.api == "legacy":
            return f"{self.namespace}.{self.method}"
        return f"{self.api}.{self.namespace}.{self.method}"

    @property
    def key(self) -> str:
        """``"GET /v1/video_status.get"``: how errors and logs name the route."""
        return self.route.key

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)


def path(name: str, doc: str) -> Param:
    """A path parameter (always required, always text)."""
    return Param(name=name, location="path", type="str", required=True, doc=doc)


def query(name: str, type: str, doc: str, **more: Any) -> Param:
    return Param(name=name, location="query", type=type, doc=doc, **more)


def body(name: str, type: str, doc: str, **more: Any) -> Param:
    return Param(name=name, location="body", type=type, doc=doc, **more)
