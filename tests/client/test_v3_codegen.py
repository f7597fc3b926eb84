"""The v3 surface is what tools/v3gen.py makes from HeyGen's OpenAPI document: the checked-in table, models and
namespaces are current, every operation is a coroutine on ``client.v3`` with its route in its docstring, and the
table's facts (idempotency, creates, polls, bulk) are the document's and tools/v3names.py's."""

from __future__ import annotations

import inspect
from typing import Any

import heygen_async as hg
from heygen_async._spec._v3_table import V3_BULK_ENDPOINTS, V3_ENDPOINTS, V3_STATUS_ENDPOINTS
from tools import v3gen
from tools.v3names import NAMES


def test_checked_in_v3_code_is_what_the_generator_makes() -> None:
    files = v3gen.render_all()
    stale = [str(path) for path, text in files.items() if not path.exists() or path.read_text() != text]
    assert stale == [], f"run `python -m tools.v3gen` (or `make generate`); stale: {stale}"
    on_disk = {p for p in v3gen.RESOURCES_DIR.glob("*.py") if p.read_text().startswith(v3gen.HEADER)}
    assert on_disk == {p for p in files if p.parent == v3gen.RESOURCES_DIR}
    for path in files:
        assert path.read_text().startswith(v3gen.HEADER), path


def test_every_operation_is_a_coroutine_on_client_v3() -> None:
    client = hg.HeyGenClient.direct("k")
    assert client.v3_endpoints == V3_ENDPOINTS
    assert len(V3_ENDPOINTS) == len(NAMES)
    assert len({e.qualname for e in V3_ENDPOINTS}) == len(V3_ENDPOINTS)
    for endpoint in V3_ENDPOINTS:
        assert endpoint.api == "v3"
        target: Any = client.v3
        for part in endpoint.namespace.split("."):
            target = getattr(target, part)
        function = getattr(target, endpoint.method)
        assert inspect.iscoroutinefunction(function), endpoint.qualname
        assert f"``{endpoint.http_method} {endpoint.path}``" in (inspect.getdoc(function) or ""), endpoint.qualname
        signature = inspect.signature(function)
        for param in endpoint.params:
            declared = signature.parameters[param.name]
            if param.location == "path":
                assert declared.default is inspect.Parameter.empty, f"{endpoint.qualname}.{param.name}"
        assert ("idempotency_key" in signature.parameters) == endpoint.idempotency_key, endpoint.qualname


def test_every_cursor_list_has_an_iterator_over_all_its_pages() -> None:
    client = hg.HeyGenClient.direct("k")
    paged = [e for e in V3_ENDPOINTS if e.pagination]
    assert paged
    for endpoint in paged:
        target: Any = client.v3
        for part in endpoint.namespace.split("."):
            target = getattr(target, part)
        name = "iter_all" if endpoint.method == "list" else f"iter_{endpoint.method}"
        assert inspect.isasyncgenfunction(getattr(target, name)), endpoint.qualname
        assert any(p.name == "token" for p in endpoint.params), endpoint.qualname


def test_the_creates_heygen_documents_as_idempotent_send_a_key() -> None:
    keyed = {e.key for e in V3_ENDPOINTS if e.idempotency_key}
    assert {"POST /v3/videos", "POST /v3/lipsyncs", "POST /v3/video-translations", "POST /v3/avatars"} <= keyed
    assert all(e.http_method == "POST" for e in V3_ENDPOINTS if e.idempotency_key)
    repeatable = {"POST /v3/assets/{asset_id}/complete", "POST /v3/assets/complete/batches"}  # idempotent by nature
    for endpoint in V3_ENDPOINTS:
        safe = endpoint.idempotency_key or endpoint.idempotency_field is not None or endpoint.key in repeatable
        assert endpoint.route.idempotent == (endpoint.http_method in ("GET", "PUT", "DELETE") or safe)
    (deduplicated,) = [e for e in V3_ENDPOINTS if e.idempotency_field is not None]
    assert (deduplicated.key, deduplicated.idempotency_field) == ("POST /v3/background-removals", "request_id")


def test_each_job_kind_has_its_detail_endpoint_and_the_bulk_ones_theirs() -> None:
    from heygen_async._jobs._kinds import KINDS, V3Statuses

    v3_kinds = {name for name in KINDS if name.startswith("v3_")}
    assert set(V3_STATUS_ENDPOINTS) == v3_kinds
    for name in v3_kinds:
        endpoint = KINDS[name].status_endpoint
        assert endpoint.http_method == "GET"
        assert [p.location for p in endpoint.params] == ["path"]
    for name, endpoint in V3_BULK_ENDPOINTS.items():
        bulk = KINDS[name].bulk
        assert isinstance(bulk, V3Statuses)
        assert bulk.endpoint is endpoint
        assert any(p.name == bulk.ids and p.location == "query" for p in endpoint.params), endpoint.key
    creates = {e.creates.job for e in V3_ENDPOINTS if e.creates is not None and e.creates.job is not None}
    assert creates <= v3_kinds
