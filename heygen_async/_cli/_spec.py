"""``heygen-async spec diff FILE``: compare a LowCodeAPI definition document with the bundled endpoint table, or a
HeyGen OpenAPI document (it has an ``openapi`` key) with the bundled v3 table.

Exit status 0 when nothing differs (known deviations and table extras are fine), 1 when something does, 2 for
a usage error (unreadable file, malformed document); ``--emit-rows`` drafts table rows for a LowCodeAPI
document's new routes (the v3 table is regenerated from an OpenAPI document instead: ``tools/v3gen.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ._common import EXIT_OK, UsageError, refuse_connection_options

if TYPE_CHECKING:
    from heygen_async._spec._definition import Definition, Diff, Difference, RouteDiff
    from heygen_async._spec._openapi_diff import Change, OpenAPIDiff, OpenAPIDocument, OperationDiff

__all__ = ["EXIT_DIFFERENCES", "add_spec"]

EXIT_DIFFERENCES = 1


def add_spec(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    spec = commands.add_parser(
        "spec", help="inspect the bundled endpoint table", description="Inspect the bundled endpoint table."
    )
    spec_commands = spec.add_subparsers(dest="spec_command", metavar="COMMAND", required=True)
    diff = spec_commands.add_parser(
        "diff",
        help="compare a LowCodeAPI definition or a HeyGen OpenAPI document with the endpoint tables",
        description="Report the endpoints added, removed or changed between a LowCodeAPI HeyGen definition "
        "document and the bundled endpoint table, or between HeyGen's OpenAPI document (a file with an 'openapi' "
        "key) and the bundled v3 table (its /v3/ operations: method and path, parameters, Idempotency-Key header). "
        "Exit status: 0 no differences, 1 differences, 2 usage error.",
    )
    diff.add_argument("file", metavar="FILE", help="a LowCodeAPI definition or HeyGen OpenAPI JSON file")
    diff.add_argument("--json", action="store_true", help="print a machine-readable JSON object")
    diff.add_argument(
        "--emit-rows",
        action="store_true",
        help="also print draft endpoint-table rows (Python) for the routes a LowCodeAPI document adds",
    )
    refuse_connection_options(diff, "spec diff reads a file and calls no API")
    diff.set_defaults(handler=_spec_diff)


def _spec_diff(args: argparse.Namespace) -> int:
    from heygen_async._spec._definition import DefinitionError, diff, draft_row, load_json, read_document
    from heygen_async._spec._openapi_diff import is_openapi
    from heygen_async._spec._table import ENDPOINTS

    try:
        document = load_json(args.file)
        if is_openapi(document):
            return _openapi_diff(args, document)
        definition = read_document(document, source=args.file)
    except DefinitionError as exc:
        raise UsageError(str(exc)) from None
    result = diff(definition.routes, ENDPOINTS)
    if args.json:
        report: dict[str, Any] = {
            "file": args.file,
            "document_routes": len(definition.routes),
            "table_endpoints": len(ENDPOINTS),
            **result.to_json(),
        }
        if args.emit_rows:
            report["draft_rows"] = [draft_row(route) for route in result.added]
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_report(sys.stdout, args.file, definition, len(ENDPOINTS), result)
        if args.emit_rows and result.added:
            print("\nDraft rows for heygen_async/_spec/_table.py (review every TODO):\n")
            for route in result.added:
                print(draft_row(route) + ",")
    return EXIT_DIFFERENCES if result.has_differences else EXIT_OK


def _openapi_diff(args: argparse.Namespace, document: Any) -> int:
    """``spec diff`` on an OpenAPI document: its v3 operations against the v3 table, reported like a LowCodeAPI
    document's routes against the legacy table."""
    from heygen_async._spec._openapi_diff import diff_openapi, read_openapi
    from heygen_async._spec._v3_table import V3_ENDPOINTS

    if args.emit_rows:
        raise UsageError(
            "--emit-rows drafts rows from a LowCodeAPI definition; the v3 table is generated from an OpenAPI "
            "document (python -m tools.v3gen)"
        )
    openapi = read_openapi(document, source=args.file)
    result = diff_openapi(openapi.operations, V3_ENDPOINTS)
    if args.json:
        report = {
            "file": args.file,
            "openapi": openapi.version,
            "document_operations": len(openapi.operations),
            "ignored_operations": openapi.ignored,
            "table_endpoints": len(V3_ENDPOINTS),
            **result.to_json(),
        }
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_openapi_report(sys.stdout, args.file, openapi, len(V3_ENDPOINTS), result)
    return EXIT_DIFFERENCES if result.has_differences else EXIT_OK


def _print_report(out: TextIO, file: str, definition: Definition, table_size: int, result: Diff) -> None:
    counts = result.counts()
    claimed = f", claims {definition.total_api}" if definition.total_api not in (None, len(definition.routes)) else ""
    out.write(f"{file}: {len(definition.routes)} routes{claimed}; endpoint table: {table_size} endpoints\n")
    out.write(
        f"matched {counts['matched']}, added {counts['added']}, removed {counts['removed']}, "
        f"changed {counts['changed']} ({counts['changes']} changes); "
        f"{counts['known_deviations']} known deviations, {counts['table_extras']} table extras\n"
    )
    if result.added:
        out.write("\nAdded (in the document, not in the table):\n")
        for route in result.added:
            host = "" if route.host == "api" else f" [{route.host}]"
            out.write(f"  {route.key}{host}  {route.seed_name!r}\n")
    if result.removed:
        out.write("\nRemoved (in the table, not in the document):\n")
        for endpoint in result.removed:
            out.write(f"  {endpoint.qualname}  {endpoint.key}  {endpoint.seed_name!r}\n")
    if result.changed:
        out.write("\nChanged:\n")
        for match in result.changed:
            _write_route(out, match, match.changes, explain=False)
    if result.with_known_deviations:
        out.write("\nKnown deviations (explained by the table's notes):\n")
        for match in result.with_known_deviations:
            _write_route(out, match, match.known, explain=True)
    if result.with_extras:
        out.write("\nTable extras (stated by the table, not by the document):\n")
        for match in result.with_extras:
            out.write(f"  {match.endpoint.qualname}: {', '.join(_extra_text(d) for d in match.extras)}\n")
    out.write("\n" + ("Differences found.\n" if result.has_differences else "No differences.\n"))


def _write_route(out: TextIO, match: RouteDiff, differences: Sequence[Difference], *, explain: bool) -> None:
    via = "" if match.matched_by == "method and path" else " (matched by seed name)"
    out.write(f"  {match.endpoint.qualname}  {match.endpoint.key}{via}\n")
    for difference in differences:
        out.write(f"    - {difference.describe()}\n")
        if explain:
            out.write(f"      ({difference.explanation})\n")


def _extra_text(difference: Difference) -> str:
    if difference.kind == "only_in_table":
        return f"param {difference.param}"
    return f"{difference.kind} {difference.param}"


def _print_openapi_report(
    out: TextIO, file: str, openapi: OpenAPIDocument, table_size: int, result: OpenAPIDiff
) -> None:
    counts = result.counts()
    others = f" ({openapi.ignored} other operations ignored)" if openapi.ignored else ""
    out.write(
        f"{file}: OpenAPI {openapi.version}, {len(openapi.operations)} v3 operations{others}; "
        f"v3 table: {table_size} endpoints\n"
    )
    out.write(
        f"matched {counts['matched']}, added {counts['added']}, removed {counts['removed']}, "
        f"changed {counts['changed']} ({counts['changes']} changes); {counts['table_extras']} table extras\n"
    )
    if result.added:
        out.write("\nAdded (in the document, not in the table):\n")
        for operation in result.added:
            out.write(f"  {operation.key}  {operation.operation_id!r}\n")
    if result.removed:
        out.write("\nRemoved (in the table, not in the document):\n")
        for endpoint in result.removed:
            out.write(f"  {endpoint.qualname}  {endpoint.key}  {endpoint.seed_name!r}\n")
    if result.changed:
        out.write("\nChanged:\n")
        for match in result.changed:
            _write_operation(out, match, match.changes)
    if result.with_extras:
        out.write("\nTable extras (stated by the table, not by the document):\n")
        for match in result.with_extras:
            out.write(f"  {match.endpoint.qualname}: {'; '.join(c.describe() for c in match.extras)}\n")
    out.write("\n" + ("Differences found.\n" if result.has_differences else "No differences.\n"))


def _write_operation(out: TextIO, match: OperationDiff, changes: Sequence[Change]) -> None:
    via = "" if match.matched_by == "method and path" else " (matched by operationId)"
    out.write(f"  {match.endpoint.qualname}  {match.endpoint.key}{via}\n")
    for change in changes:
        out.write(f"    - {change.describe()}\n")
