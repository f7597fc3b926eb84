"""The generated resources match the endpoint table, and every row of the design page is reachable."""

from __future__ import annotations

import gc
import inspect
import re
import weakref

import heygen_async as hg
from heygen_async._spec._table import ENDPOINTS
from tests.support import DATA
from tools import codegen as _codegen

DESIGN = DATA / "api-methods.txt"


def test_checked_in_generated_code_is_up_to_date() -> None:
    stale = [
        str(path.name) for path, text in _codegen.render_all().items() if not path.exists() or path.read_text() != text
    ]
    assert stale == [], f"run `python -m tools.codegen` (or `make generate`); stale: {stale}"
    generated_on_disk = {p.name for p in _codegen.OUTPUT_DIR.glob("*.py") if p.read_text().startswith(_codegen.HEADER)}
    assert generated_on_disk == {p.name for p in _codegen.render_all()}, "a generated module the table no longer makes"


def test_generated_files_say_they_are_generated() -> None:
    for path in _codegen.render_all():
        assert path.read_text().startswith(_codegen.HEADER), path.name


def test_every_row_of_the_design_page_is_a_coroutine_on_the_client() -> None:
    rows = [line.split() for line in DESIGN.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert len(rows) == 48
    client = hg.HeyGenClient("at_x")
    for namespace, method, http_method, path in rows:
        function = getattr(getattr(client, namespace), method)
        assert inspect.iscoroutinefunction(function), f"{namespace}.{method}"
        doc = inspect.getdoc(function) or ""
        assert f"``{http_method} {path}``" in doc, f"{namespace}.{method}"
        assert "https://docs.heygen.com/reference/" in doc


def test_client_endpoints_lists_the_table() -> None:
    client = hg.HeyGenClient("at_x")
    assert client.endpoints == ENDPOINTS
    assert len(client.endpoints) == 48
    assert len({e.qualname for e in client.endpoints}) == 48
    assert all(e.docs_url.startswith("https://docs.heygen.com/reference/") for e in client.endpoints)


def test_signatures_follow_the_table() -> None:
    client = hg.HeyGenClient("at_x")
    for endpoint in ENDPOINTS:
        signature = inspect.signature(getattr(getattr(client, endpoint.namespace), endpoint.method))
        for param in endpoint.params:
            declared = signature.parameters[param.name]
            assert declared.annotation != inspect.Parameter.empty
            if param.required:
                assert declared.default is inspect.Parameter.empty, f"{endpoint.qualname}.{param.name}"
            else:
                kind = inspect.Parameter.POSITIONAL_OR_KEYWORD if param.positional else inspect.Parameter.KEYWORD_ONLY
                assert declared.kind is kind, f"{endpoint.qualname}.{param.name}"
                assert declared.default == param.default, f"{endpoint.qualname}.{param.name}"
        for option in ("timeout", "max_retries", "extra_query"):
            assert option in signature.parameters, f"{endpoint.qualname} lacks {option}"
        assert signature.return_annotation == endpoint.result


def test_enum_parameters_are_literal_types() -> None:
    source = (_codegen.OUTPUT_DIR / "photo_avatars.py").read_text()
    assert re.search(r'^Pose = Literal\["half_body", "close_up", "full_body"\]$', source, re.M)
    assert "        pose: Pose," in source


def test_paginated_lists_have_an_async_iterator() -> None:
    client = hg.HeyGenClient("at_x")
    for namespace in ("videos", "brand_voices", "folders"):
        iterator = getattr(client, namespace).iter_all
        assert inspect.isasyncgenfunction(iterator)
        assert "token" not in inspect.signature(iterator).parameters


def test_namespaces_do_not_form_a_reference_cycle_with_the_client() -> None:
    """With the cycle collector off, dropping the last reference frees the client at once: no cycle holds it."""
    gc.disable()
    try:
        client = hg.HeyGenClient("at_x")
        client.with_options(api_token="at_y").videos  # noqa: B018  (a handle and a namespace, then dropped)
        alive = weakref.ref(client)
        del client
        assert alive() is None
    finally:
        gc.enable()


def test_the_packages_type_checking_imports_are_generated_from_its_one_list_of_lazy_names() -> None:
    text = _codegen.PUBLIC_INIT.read_text()
    assert _codegen.render_public_init(text) == text, "run `python -m tools.codegen` (or `make generate`)"


def test_each_namespace_class_inherits_the_helpers_its_rows_name() -> None:
    import importlib

    from heygen_async._resources._base import Resource
    from heygen_async._spec._table import NAMESPACE_HELPERS

    assert set(NAMESPACE_HELPERS) == {"videos", "translations", "photo_avatars", "streaming", "webhooks"}
    for namespace, helpers in NAMESPACE_HELPERS.items():
        module, name = helpers.split(":")
        mixin = getattr(importlib.import_module(module), name)
        generated = getattr(
            importlib.import_module(f"heygen_async._resources.{namespace}"), _codegen.class_name(namespace)
        )
        assert issubclass(mixin, Resource)
        assert issubclass(generated, mixin), namespace


def test_every_job_kind_has_its_status_endpoint_and_every_create_names_a_kind() -> None:
    from heygen_async._jobs._kinds import KINDS
    from heygen_async._spec._table import STATUS_ENDPOINTS
    from heygen_async._spec._v3_table import V3_ENDPOINTS, V3_STATUS_ENDPOINTS

    assert set(STATUS_ENDPOINTS) | set(V3_STATUS_ENDPOINTS) == set(KINDS)
    assert not set(STATUS_ENDPOINTS) & set(V3_STATUS_ENDPOINTS)
    for kind in KINDS.values():
        assert kind.status_endpoint.polls == kind.name
    rows = (*ENDPOINTS, *V3_ENDPOINTS)
    started = {e.creates.job for e in rows if e.creates is not None and e.creates.job is not None}
    assert started == set(KINDS)
