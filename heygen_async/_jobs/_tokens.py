"""Resume tokens: versioned JSON naming a job (kind, id, submission time, base URL as shown, and the
``Idempotency-Key`` a v3 create was sent with), never a credential.

A token lets another process (or a restarted one) pick a job up with ``Job.resume(client, token)``; it is
refused by a client that talks to another base URL.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import TYPE_CHECKING, Final

import attrs

from heygen_async._exceptions import ValidationError

if TYPE_CHECKING:
    from heygen_async._transport._call import Transport

__all__ = ["TOKEN_VERSION", "ResumeToken", "read_token", "resume_token"]

TOKEN_VERSION: Final = 1


@attrs.frozen
class ResumeToken:
    """What a resume token names."""

    kind: str
    id: str
    submitted_at: float | None
    idempotency_key: str | None = None


def resume_token(
    kind: str, job_id: str, transport: Transport, submitted_at: float | None, idempotency_key: str | None = None
) -> str:
    """The token for job ``job_id`` of ``kind`` submitted through ``transport`` (its base URL as shown); a v3
    job's carries the key its create was sent with: the same create sent again with it gets this job back."""
    named = {
        "heygen_async_job": TOKEN_VERSION,
        "kind": kind,
        "id": job_id,
        "submitted_at": submitted_at,
        "base_url": transport.shown_base_url,
    }
    if idempotency_key is not None:
        named["idempotency_key"] = idempotency_key
    return json.dumps(named, separators=(",", ":"), sort_keys=True)


def read_token(token: str, transport: Transport, kinds: Collection[str]) -> ResumeToken:
    """What ``token`` names, for a client talking through ``transport``; a token that is not one, names a kind
    not in ``kinds`` or another base URL is a :class:`ValidationError`."""
    try:
        data = json.loads(token)
    except (TypeError, ValueError):
        raise ValidationError("the resume token is not JSON", parameter="token") from None
    if not isinstance(data, dict) or data.get("heygen_async_job") != TOKEN_VERSION:
        raise ValidationError(f"not a version-{TOKEN_VERSION} heygen_async resume token", parameter="token")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        raise ValidationError(f"the resume token names an unknown job kind {data.get('kind')!r}", parameter="token")
    # Tokens hold the base URL as shown (credentials masked; older ones as given): compare shown with shown.
    theirs = data.get("base_url")
    theirs = transport.shown_url(theirs) if isinstance(theirs, str) else theirs
    if theirs != transport.shown_base_url:
        raise ValidationError(
            f"the resume token is for {theirs!r}, this client talks to {transport.shown_base_url!r}", parameter="token"
        )
    submitted = data.get("submitted_at")
    job_id = data.get("id")
    if not isinstance(job_id, str):
        raise ValidationError("the resume token names no job id", parameter="token")
    key = data.get("idempotency_key")
    if key is not None and not isinstance(key, str):
        raise ValidationError("the resume token's idempotency_key is not text", parameter="token")
    return ResumeToken(kind, job_id, submitted if isinstance(submitted, (int, float)) else None, key)
