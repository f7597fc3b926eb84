"""Reading LowCodeAPI's definition format and ``heygen-async spec diff``: the bundled document agrees with the
table (every difference explained), and edited copies report exactly what was edited."""

from __future__ import annotations

import copy
import json
import runpy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from heygen_async._cli._main import main
from heygen_async._spec._definition import (
    DefinitionError,
    Diff,
    RouteDiff,
    diff,
    load_definition,
    parse_definition,
    read_document,
    types_compatible,
)
from heygen_async._spec._table import ENDPOINTS, ENDPOINTS_BY_NAME
from tests.support import DATA

DEFINITION = DATA / "lowcodeapi-heygen-definition.json"

Document = dict[str, Any]


@pytest.fixture
def document() -> Document:
    """A fresh, editable copy of the bundled definition."""
    data: Document = json.loads(DEFINITION.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def write(tmp_path: Path) -> Callable[[Any], str]:
    """Write a document (or raw text) to a file and return its path."""

    def _write(content: Any) -> str:
        path = tmp_path / "definition.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return str(path)

    return _write


def route(document: Document, seed_name: str) -> dict[str, Any]:
    for entry in document["routes"]:
        if entry["text"] == seed_name:
            found: dict[str, Any] = entry
            return found
    raise KeyError(seed_name)


def run_diff(document: Document) -> Diff:
    return diff(read_document(document).routes, ENDPOINTS)


def matched(result: Diff, qualname: str) -> RouteDiff:
    return next(m for m in result.matched if m.endpoint.qualname == qualname)


def kinds(differences: Any) -> set[tuple[str, str | None, str]]:
    return {(d.field, d.param, d.kind) for d in differences}


# -- Reading ------------------------------------------------------------------------------------------------


def test_reads_the_bundled_definition() -> None:
    definition = load_definition(DEFINITION)
    assert definition.provider == "heygen"
    assert definition.total_api == len(definition.routes) == 48
    photo = next(r for r in definition.routes if r.seed_name == "Photo avatar details")
    assert (photo.http_method, photo.path, photo.host) == ("GET", "/v2/photo_avatar/{id}", "api")
    assert photo.alias == "/v2/photo_avatar/id"
    assert photo.docs_url == "https://docs.heygen.com/reference/photo-avatar-details"
    assert photo.category == "Photo Avatars"  # LowCodeAPI writes "Photo  Avatars"
    assert photo.param("id").location == "path"
    assert photo.param("id").required is True
    upload = next(r for r in definition.routes if r.seed_name == "Upload Asset")
    assert (upload.host, upload.path, upload.request_type) == ("upload", "/v1/asset", "Upload")
    generate = next(r for r in definition.routes if r.seed_name == "Create Avatar Video (V2)")
    assert generate.path == "/v2/video/generate"  # a relative proxy intent
    assert generate.param("video_id").location == "query"
    assert generate.param("video_inputs").type == "array of objects"
    assert generate.param("title").required is None
    assert generate.param("callback_url").required is False
    groups = next(r for r in definition.routes if r.seed_name == "List All Avatar Groups")
    assert groups.param("include_public").enum == (True, False)


def test_tolerates_missing_keys_and_rebuilds_the_path_from_the_alias() -> None:
    definition = read_document(
        {
            "routes": [
                {"method": "get", "provider_proxy_intent": "v1/thing"},
                {"method": "POST", "provider_alias_intent": "/v2/folder/folder_id/item", "path": {"folder_id": {}}},
                {"method": "GET", "provider_alias_intent": "https//upload.heygen.com/v1/asset"},
                {"method": "GET", "provider_proxy_intent": "https://example.com/v9/x/:id?fixed=1"},
            ]
        }
    )
    first, second, third, fourth = definition.routes
    assert (first.http_method, first.path, first.host, first.seed_name, first.params) == (
        "GET",
        "/v1/thing",
        "api",
        "",
        (),
    )
    assert second.path == "/v2/folder/{folder_id}/item"
    assert second.param("folder_id").type == ""
    assert (third.host, third.path) == ("upload", "/v1/asset")
    assert (fourth.host, fourth.path) == ("example.com", "/v9/x/{id}")
    assert definition.provider == ""
    assert definition.total_api is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not JSON"),
        ("[]", "expected a JSON object"),
        ('{"config": {}}', "'routes' should be a list, found missing"),
        ('{"routes": {}}', "'routes' should be a list, found a dict"),
        ('{"routes": [3]}', "route 1 is not a JSON object"),
        ('{"routes": [{"text": "X", "provider_proxy_intent": "/a"}]}', "route 1 ('X') has no HTTP method"),
        ('{"routes": [{"text": "X", "method": "GET"}]}', "route 1 ('X') has no path"),
        ('{"routes": [{"method": "GET", "path": "/a"}]}', "'path' should be an object of parameters"),
        ('{"routes": [{"method": "GET", "provider_proxy_intent": "/a", "body": {"x": 1}}]}', "parameter 'x' should"),
        (
            '{"routes": [{"method": "GET", "provider_proxy_intent": "/a", "body": {"x": {"required": "maybe"}}}]}',
            "'required' 'maybe'",
        ),
        ('{"routes": [{"method": "GET", "provider_proxy_intent": "/a", "body": {"x": {"enum": "a"}}}]}', "'enum'"),
    ],
)
def test_malformed_documents_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_definition(text, source="doc.json")
    assert issubclass(DefinitionError, ValueError)


def test_type_mapping_accepts_our_richer_types() -> None:
    for theirs, ours in [
        ("string", "str"),
        ("number", "int"),
        ("number", "number"),
        ("boolean", "bool"),
        ("object", "Dimension"),
        ("object", "Sdp"),
        ("object", "StreamingVoice"),
        ("object", "TemplateVariables"),
        ("object", "object"),
        ("array of objects", "list[VideoInput]"),
        ("array of strings", "list[str]"),
        ("file", "file"),
        ("Array  of Strings", "list[str]"),
        ("", "anything"),
    ]:
        assert types_compatible(theirs, ours), (theirs, ours)
    for theirs, ours in [("string", "int"), ("number", "str"), ("object", "list[str]"), ("date", "str")]:
        assert not types_compatible(theirs, ours), (theirs, ours)


# -- The bundled document -----------------------------------------------------------------------------------


def test_the_bundled_definition_matches_the_table() -> None:
    result = diff(load_definition(DEFINITION).routes, ENDPOINTS)
    assert not result.has_differences
    assert (result.added, result.removed, result.changed) == ((), (), ())
    assert len(result.matched) == 48
    assert {m.matched_by for m in result.matched} == {"method and path"}
    assert {m.endpoint.qualname for m in result.matched} == set(ENDPOINTS_BY_NAME)
    assert all(m.route.seed_name == m.endpoint.seed_name for m in result.matched)


def test_the_bundled_definitions_known_deviations() -> None:
    result = diff(load_definition(DEFINITION).routes, ENDPOINTS)
    known = {(m.endpoint.qualname, d.field, d.param, d.kind) for m in result.matched for d in m.known}
    assert known >= {
        ("videos.generate", "param", "video_id", "only_in_document"),
        ("videos.generate", "param", "dimension", "required"),
        ("templates.generate", "param", "video_id", "only_in_document"),
        ("templates.generate", "param", "variables", "only_in_table"),
        ("translations.create", "param", "video_translate_id", "only_in_document"),
        ("streaming.new", "param", "video_translate_id", "only_in_document"),
        ("translations.target_languages", "param", "languages", "only_in_document"),
        ("streaming.create_token", "param", "raw_body", "only_in_document"),
        ("streaming.start", "param", "sdp.sdp", "only_in_document"),
        ("streaming.start", "param", "sdp.type", "only_in_document"),
        ("brand_voices.list", "param", "limit", "required"),
        ("brand_voices.list", "param", "token", "required"),
        ("brand_voices.list", "param", "name_only", "required"),
        ("videos.list", "param", "limit", "required"),
        ("videos.list", "param", "token", "required"),
        ("photo_avatars.create_group", "param", "generation_id", "required"),
        ("videos.generate_webm", "param", "avatar_pose_id", "required"),
        ("webhooks.delete_endpoint", "docs_url", None, "value"),
    }
    assert all(d.explanation for m in result.matched for d in m.known)
    raw_body = next(d for d in matched(result, "streaming.create_token").known if d.param == "raw_body")
    assert "raw_body" in raw_body.explanation
    # Extras are what the table adds from HeyGen's docs; they never count as differences.
    extras = {(m.endpoint.qualname, d.param, d.kind) for m in result.matched for d in m.extras}
    assert ("videos.generate", "test", "only_in_table") in extras
    assert ("streaming.new", "quality", "enum") in extras
    assert ("assets.upload", "content_type", "only_in_table") in extras


def test_the_upload_body_matches_by_type() -> None:
    result = diff(load_definition(DEFINITION).routes, ENDPOINTS)
    upload = matched(result, "assets.upload")
    assert upload.route.param("RAW_BODY").type == "file"
    assert upload.changes == upload.known == ()
    assert "RAW_BODY" not in {d.param for d in upload.extras}


def test_booleans_listing_true_and_false_have_no_enum() -> None:
    result = diff(load_definition(DEFINITION).routes, ENDPOINTS)
    assert matched(result, "avatar_groups.list").changes == ()


# -- Edited copies ----------------------------------------------------------------------------------------------


def test_a_removed_route(document: Document) -> None:
    document["routes"].remove(route(document, "Trash Folder"))
    result = run_diff(document)
    assert [e.qualname for e in result.removed] == ["folders.trash"]
    assert not result.added
    assert not result.changed
    assert result.has_differences


def test_an_added_route(document: Document) -> None:
    new = copy.deepcopy(route(document, "Close Session"))
    new.update(
        text="Keep Alive",
        provider_alias_intent="/v1/streaming.keep_alive",
        provider_proxy_intent="/v1/streaming.keep_alive",
    )
    document["routes"].append(new)
    result = run_diff(document)
    assert [(r.seed_name, r.key) for r in result.added] == [("Keep Alive", "POST /v1/streaming.keep_alive")]
    assert not result.removed
    assert not result.changed


def test_an_added_param(document: Document) -> None:
    route(document, "Create Avatar Video (V2)")["body"]["fps"] = {"type": "number", "text": "Frames per second."}
    route(document, "List All Avatars")["params"] = {"page": {"type": "number", "required": True}}
    result = run_diff(document)
    assert [m.endpoint.qualname for m in result.changed] == ["avatars.list", "videos.generate"]
    generate = matched(result, "videos.generate")
    assert kinds(generate.changes) == {("param", "fps", "only_in_document")}
    assert generate.changes[0].document == {"location": "body", "type": "number", "required": None, "enum": None}
    assert "param fps (body, number) is in the document, not in the table" in generate.changes[0].describe()
    assert ("param", "video_id", "only_in_document") in kinds(generate.known)  # still known, not a change
    assert kinds(matched(result, "avatars.list").changes) == {("param", "page", "only_in_document")}


def test_a_flipped_required_flag(document: Document) -> None:
    route(document, "Retrieve Video Details")["params"]["video_id"]["required"] = False
    route(document, "Create photo avatar group")["body"]["name"]["required"] = False
    route(document, "Train photo avatar group")["body"]["group_id"]["required"] = False
    result = run_diff(document)
    assert [m.endpoint.qualname for m in result.changed] == [
        "photo_avatars.create_group",
        "photo_avatars.train",
        "videos.status",
    ]
    status = matched(result, "videos.status").changes
    assert kinds(status) == {("param", "video_id", "required")}
    assert (status[0].document, status[0].table) == (False, True)
    assert status[0].describe() == "param video_id required: document no, table yes"
    # Once the document states it, a required flag the table merely added becomes a change.
    assert kinds(matched(result, "photo_avatars.train").changes) == {("param", "group_id", "required")}


def test_a_noted_param_stays_known_and_agreement_clears_it(document: Document) -> None:
    del route(document, "Create a WebM Video")["body"]["avatar_pose_id"]["required"]  # false -> unstated
    route(document, "Create Avatar Video (V2)")["body"]["dimension"]["required"] = False  # now agrees with us
    result = run_diff(document)
    assert not result.has_differences
    assert ("param", "avatar_pose_id", "required") in kinds(matched(result, "videos.generate_webm").known)
    assert ("param", "dimension", "required") not in kinds(matched(result, "videos.generate").known)


def test_a_changed_method(document: Document) -> None:
    route(document, "Update a Webhook Endpoint")["method"] = "PUT"
    result = run_diff(document)
    assert not result.added
    assert not result.removed
    update = matched(result, "webhooks.update_endpoint")
    assert update.matched_by == "seed name"
    assert [(d.field, d.document, d.table) for d in update.changes] == [("method", "PUT", "PATCH")]


def test_a_changed_path_type_enum_and_location(document: Document) -> None:
    photo = route(document, "Photo avatar details")
    photo["provider_proxy_intent"] = "https://api.heygen.com/v2/photo_avatar/{look_id}"
    photo["path"] = {"look_id": photo["path"].pop("id")}
    translate = route(document, "Translate Video")
    translate["body"]["speaker_num"]["type"] = "string"
    translate["body"]["mode"] = {"type": "string", "enum": ["fast", "precise"]}
    route(document, "Send Task")["body"]["task_mode"]["enum"] = ["sync", "async"]
    route(document, "Create Folder")["params"] = {"name": route(document, "Create Folder")["body"].pop("name")}
    route(document, "Upload Asset")["provider_proxy_intent"] = "https://api.heygen.com/v1/asset"
    result = run_diff(document)
    assert kinds(matched(result, "photo_avatars.get").changes) == {
        ("path", None, "value"),
        ("param", "look_id", "only_in_document"),
    }
    assert ("param", "id", "only_in_table") in kinds(matched(result, "photo_avatars.get").extras)
    translated = {(d.param, d.kind): (d.document, d.table) for d in matched(result, "translations.create").changes}
    assert translated == {
        ("speaker_num", "type"): ("string", "int"),
        ("mode", "enum"): (("fast", "precise"), ("fast", "quality")),
    }
    assert matched(result, "streaming.task").changes == ()  # the same enum as ours
    assert kinds(matched(result, "folders.create").changes) == {("param", "name", "location")}
    assert [(d.field, d.document, d.table) for d in matched(result, "assets.upload").changes] == [
        ("host", "api", "upload")
    ]


# -- The command ----------------------------------------------------------------------------------------------------


def test_cli_no_differences(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "diff", str(DEFINITION)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "48 routes; endpoint table: 48 endpoints" in out
    assert "matched 48, added 0, removed 0, changed 0 (0 changes)" in out
    assert "Known deviations" in out
    assert "param video_id (query, string) is in the document, not in the table" in out
    assert out.rstrip().endswith("No differences.")


def test_cli_differences(document: Document, write: Callable[[Any], str], capsys: pytest.CaptureFixture[str]) -> None:
    document["routes"].remove(route(document, "Trash Folder"))
    route(document, "Update a Webhook Endpoint")["method"] = "PUT"
    assert main(["spec", "diff", write(document)]) == 1
    out, _ = capsys.readouterr()
    assert "Removed (in the table, not in the document):\n  folders.trash  POST /v1/folders/{folder_id}/trash" in out
    assert "webhooks.update_endpoint  PATCH /v1/webhook/endpoint.update (matched by seed name)" in out
    assert "- method: document 'PUT', table 'PATCH'" in out
    assert out.rstrip().endswith("Differences found.")


def test_cli_json(document: Document, write: Callable[[Any], str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "diff", str(DEFINITION), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["differences"] is False
    assert report["document_routes"] == report["table_endpoints"] == report["counts"]["matched"] == 48
    assert report["counts"]["changed"] == report["counts"]["added"] == report["counts"]["removed"] == 0
    known = {(e["endpoint"], d["param"]) for e in report["known_deviations"] for d in e["differences"]}
    assert ("videos.generate", "video_id") in known
    assert ("streaming.create_token", "raw_body") in known

    route(document, "Create Avatar Video (V2)")["body"]["fps"] = {"type": "number"}
    document["routes"].append({"text": "Keep Alive", "method": "POST", "provider_proxy_intent": "/v1/streaming.ka"})
    assert main(["spec", "diff", "--json", write(document)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["differences"] is True
    assert report["added"] == [
        {"document_route": 49, "seed_name": "Keep Alive", "method": "POST", "path": "/v1/streaming.ka", "host": "api"}
    ]
    [changed] = report["changed"]
    assert changed["endpoint"] == "videos.generate"
    assert [(d["param"], d["kind"], d["document"]["type"]) for d in changed["differences"]] == [
        ("fps", "only_in_document", "number")
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ({"config": {"id": "heygen"}}, "'routes' should be a list"),
        ({"routes": [{"text": "X", "provider_proxy_intent": "/a"}]}, "route 1 ('X') has no HTTP method"),
    ],
)
def test_cli_malformed_definitions(
    content: Any, message: str, write: Callable[[Any], str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["spec", "diff", write(content)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("heygen-async: error: ")
    assert message in err
    assert "Traceback" not in err


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "diff", str(tmp_path / "absent.json"), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"heygen-async: error: cannot read {tmp_path / 'absent.json'}: No such file or directory\n"


@pytest.mark.parametrize("argv", [[], ["spec"], ["spec", "diff"], ["spec", "merge", "x"], ["nope"]])
def test_cli_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error:" in capsys.readouterr().err


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "diff", "--help"]) == 0
    assert "LowCodeAPI" in capsys.readouterr().out


def test_python_dash_m(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["heygen_async", "spec", "diff", "--json", str(DEFINITION)])
    with pytest.raises(SystemExit) as caught:
        runpy.run_module("heygen_async", run_name="__main__", alter_sys=True)
    assert caught.value.code == 0
    assert json.loads(capsys.readouterr().out)["differences"] is False


KEEP_ALIVE: dict[str, Any] = {
    "provider_alias_intent": "/v1/streaming.keep_alive",
    "provider_proxy_intent": "/v1/streaming.keep_alive",
    "text": "Keep Session Alive",
    "category": "Streaming API",
    "method": "POST",
    "params": {},
    "path": {},
    "body": {
        "session_id": {"text": "The session to keep open", "type": "string", "required": True},
        "mode": {"text": "How", "type": "string", "enum": ["soft", "hard"]},
        "ids": {"text": "Several", "type": "array of objects"},
    },
    "meta": {"api_ref": "https://docs.heygen.com/reference/keep-alive"},
}


def test_emit_rows_drafts_table_rows_that_close_the_difference(
    document: Document, write: Callable[[Any], str], capsys: pytest.CaptureFixture[str]
) -> None:
    document["routes"].append(KEEP_ALIVE)
    assert main(["spec", "diff", write(document), "--emit-rows"]) == 1
    out = capsys.readouterr().out
    draft = out.split("Draft rows for heygen_async/_spec/_table.py (review every TODO):\n\n", 1)[1].strip()
    from heygen_async._spec._types import Endpoint, Param

    row = eval(draft.rstrip(","), {"Endpoint": Endpoint, "Param": Param})
    assert isinstance(row, Endpoint)
    assert (row.http_method, row.path, row.seed_name) == ("POST", "/v1/streaming.keep_alive", "Keep Session Alive")
    assert row.param("session_id").required
    assert row.param("mode").enum == ("soft", "hard")
    assert "array of objects" in row.param("ids").note
    assert not row.idempotent
    assert not diff(read_document(document).routes, (*ENDPOINTS, row)).has_differences


def test_emit_rows_in_json(document: Document, write: Callable[[Any], str], capsys: pytest.CaptureFixture[str]) -> None:
    document["routes"].append(KEEP_ALIVE)
    assert main(["spec", "diff", write(document), "--json", "--emit-rows"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert len(report["draft_rows"]) == 1
    assert report["draft_rows"][0].startswith("Endpoint(")
