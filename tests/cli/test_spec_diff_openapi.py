"""`heygen-async spec diff FILE` on an OpenAPI document: it is told apart by its ``openapi`` key, its v3 operations
are compared with the bundled v3 table, and the report, the JSON and the exit codes are the LowCodeAPI diff's."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from heygen_async._cli._main import main
from heygen_async._spec._v3_table import V3_ENDPOINTS
from tests.support import openapi_from_table

Write = Callable[[Any], str]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """Write a document (or raw text) to a file and return its path."""

    def _write(content: Any) -> str:
        path = tmp_path / "openapi.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return str(path)

    return _write


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(openapi_from_table())


def test_the_bundled_v3_table_against_a_document_built_from_it_shows_no_difference(
    document: dict[str, Any], write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    document["paths"]["/v1/user/me"] = {"get": {"operationId": "getUserMeV1"}}  # legacy: ignored
    path = write(document)
    assert main(["spec", "diff", path]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    size = len(V3_ENDPOINTS)
    assert out.splitlines()[:2] == [
        f"{path}: OpenAPI 3.1.0, {size} v3 operations (1 other operations ignored); v3 table: {size} endpoints",
        f"matched {size}, added 0, removed 0, changed 0 (0 changes); 0 table extras",
    ]
    assert out.rstrip().endswith("No differences.")


def test_a_small_document_reports_added_removed_and_changed_operations(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two operations: one the table has, with a new query parameter and an Idempotency-Key it does not send,
    and one it lacks; every other row of the table is removed."""
    small = {
        "openapi": "3.1.0",
        "paths": {
            "/v3/users/me": {
                "get": {
                    "operationId": "getUserMeV3",
                    "parameters": [
                        {"name": "expand", "in": "query", "schema": {"type": "string"}},
                        {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}},
                    ],
                }
            },
            "/v3/sparkles": {"get": {"operationId": "listSparkles"}},
        },
    }
    assert main(["spec", "diff", write(small)]) == 1
    out, _ = capsys.readouterr()
    assert f"matched 1, added 1, removed {len(V3_ENDPOINTS) - 1}, changed 1 (2 changes); 0 table extras" in out
    assert "Added (in the document, not in the table):\n  GET /v3/sparkles  'listSparkles'\n" in out
    first = next(e for e in V3_ENDPOINTS if e.qualname != "v3.users.me")
    assert (
        f"Removed (in the table, not in the document):\n  {first.qualname}  {first.key}  {first.seed_name!r}\n" in out
    )
    assert (
        "Changed:\n  v3.users.me  GET /v3/users/me\n"
        "    - Idempotency-Key header: document takes it, table does not send one\n"
        "    - param expand (query, str) is in the document, not in the table\n"
    ) in out
    assert out.rstrip().endswith("Differences found.")


def test_table_extras_are_listed_and_are_no_difference(
    document: dict[str, Any], write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    for item in document["paths"].values():
        for operation in item.values():
            operation["parameters"] = [p for p in operation["parameters"] if p["in"] != "header"]
    assert main(["spec", "diff", write(document)]) == 0
    out, _ = capsys.readouterr()
    extras = sum(1 for e in V3_ENDPOINTS if e.idempotency_key)
    assert f"{extras} table extras" in out
    first = next(e for e in V3_ENDPOINTS if e.idempotency_key)
    assert (
        "Table extras (stated by the table, not by the document):\n"
        f"  {first.qualname}: Idempotency-Key header: document does not take it, table sends one\n"
    ) in out
    assert out.rstrip().endswith("No differences.")


def test_json_output(document: dict[str, Any], write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    listing = document["paths"]["/v3/videos"]["get"]["parameters"]
    next(p for p in listing if p["name"] == "limit")["schema"]["maximum"] = 500
    document["paths"]["/v3/sparkles"] = {"get": {"operationId": "listSparkles"}}
    path = write(document)
    assert main(["spec", "diff", path, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert {k: report[k] for k in ("file", "openapi", "document_operations", "ignored_operations")} == {
        "file": path,
        "openapi": "3.1.0",
        "document_operations": len(V3_ENDPOINTS) + 1,
        "ignored_operations": 0,
    }
    assert report["table_endpoints"] == len(V3_ENDPOINTS)
    assert report["differences"] is True
    assert report["counts"] == {
        "matched": len(V3_ENDPOINTS),
        "added": 1,
        "removed": 0,
        "changed": 1,
        "changes": 1,
        "table_extras": 0,
    }
    assert report["added"] == [
        {
            "document_operation": len(V3_ENDPOINTS) + 1,
            "operation_id": "listSparkles",
            "method": "GET",
            "path": "/v3/sparkles",
        }
    ]
    [changed] = report["changed"]
    assert (changed["endpoint"], changed["method"], changed["path"]) == ("v3.videos.list", "GET", "/v3/videos")
    assert [(d["param"], d["kind"], d["document"], d["table"]) for d in changed["differences"]] == [
        ("limit", "maximum", 500, 100)
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"openapi": "3.1.0", "paths": []}, "'paths' should be an object, found a list"),
        ({"openapi": "3.1.0", "paths": {"/v3/x": {"post": {"parameters": [{"in": "query"}]}}}}, "without a name"),
    ],
)
def test_a_malformed_openapi_document_is_a_usage_error(
    content: Any, message: str, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["spec", "diff", write(content)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("heygen-async: error: ")
    assert message in err


def test_emit_rows_is_refused_for_an_openapi_document_saying_what_to_do(
    document: dict[str, Any], write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["spec", "diff", write(document), "--emit-rows"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "tools.v3gen" in err


def test_the_help_names_both_kinds_of_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "diff", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "LowCodeAPI" in out
    assert "OpenAPI" in out
