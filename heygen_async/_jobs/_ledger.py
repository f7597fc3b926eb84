"""Writing what a client submits into the shared job ledger, so that no accepted job is ever lost track of.

With a shared state (``HeyGenClient(state=...)``), every job-starting call (an endpoint whose row ``creates`` a
job) is recorded with its resume token and a fingerprint of the credentials that submitted it, even if the
caller is cancelled meanwhile (bounded). Without one, nothing is written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from heygen_async._shield import finish
from heygen_async._state._protocol import JobRecord, StateBackend

from ._tokens import resume_token

if TYPE_CHECKING:
    from heygen_async._transport._call import Transport

__all__ = ["record_submission"]

logger = logging.getLogger("heygen_async")


async def record_submission(transport: Transport, state: StateBackend, kind: str, ids: Iterable[str]) -> None:
    """Put the jobs of ``kind`` a call through ``transport`` just started (``ids``) into ``state``'s job ledger,
    each with its resume token.

    The jobs exist at HeyGen already: if the ledger cannot be written, this logs (with the resume token, which
    holds no secret) and returns, so the caller still gets the answer and nothing accepted is lost.
    """
    now = time.time()
    cancelled = False
    for job_id in ids:
        record = JobRecord(
            kind=kind, id=job_id, resume_token=resume_token(kind, job_id, transport, now), submitted_at=now
        )
        # Finished even if the caller is cancelled meanwhile (bounded: 5 s more): the caller loses the answer,
        # the ledger still gets the job. The cancellation is raised once every id is accounted for.
        task, interrupted = await finish(_record_job(transport, state, record), grace=5.0)
        cancelled = cancelled or interrupted
        error = (task.exception() or None) if task.done() and not task.cancelled() else TimeoutError("abandoned")
        if error is not None:
            logger.warning(
                "job ledger: %s %s was submitted but not recorded (%s); resume token %s",
                kind,
                job_id,
                error,
                record.resume_token,
            )
    if cancelled:
        raise asyncio.CancelledError


async def _record_job(transport: Transport, state: StateBackend, record: JobRecord) -> None:
    """Record a job with the fingerprint of the credentials that submitted it (only they list or adopt it)."""
    credential = transport.ledger_credential(await state.credential_salt())
    await state.record_job(attrs.evolve(record, credential=credential))
