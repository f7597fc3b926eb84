"""Where many jobs stand, for progress lines and dashboards: :class:`JobProgress`.

``client.jobs.as_completed(handles, on_progress=...)`` (and ``videos.as_completed`` / ``translations.
as_completed``) keeps one up to date and calls back on every status change and every job that ends; a loop
of your own (``watch()``, ``wait(on_status=...)``, ``generate_many``) can keep one with :meth:`JobProgress.update`
and :meth:`JobProgress.ended`. The command line draws its progress lines from it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

from heygen_async._exceptions import HeyGenError, PollTimeout

if TYPE_CHECKING:
    from ._handle import Job

__all__ = ["JobProgress", "JobState"]

JobState = Literal["running", "done", "failed", "timed_out"]
STATES: Final[tuple[JobState, ...]] = ("done", "failed", "timed_out", "running")


class JobProgress:
    """Counts of jobs by state and each job's last status.

    States: ``done`` (it succeeded), ``failed`` (HeyGen failed it, or its wait ended with an error such as a
    404), ``timed_out`` (the wait's deadline passed first: the job goes on at HeyGen), ``running`` (none of
    these yet). ``done + failed + timed_out + running == total``; a job counts once however many handles
    name it. ``statuses`` maps each job id to the last status seen (None before a poll answered), ``states``
    to its state. ``str(progress)`` reads like ``"2 done, 1 failed, 3 running (status processing 2, pending 1)"``.
    Keeps two short strings per job, not the jobs' results.
    """

    __slots__ = ("_jobs",)

    def __init__(self, jobs: Iterable[Job[Any]] = ()) -> None:
        self._jobs: dict[tuple[str, str], tuple[JobState, str | None]] = {}
        for job in jobs:
            self.update(job)

    def update(self, job: Job[Any]) -> None:
        """Note ``job`` (added if new): its last status and, if it has finished, whether it succeeded."""
        self._note(job, timed_out=False)

    def ended(self, job: Job[Any]) -> None:
        """``job`` is no longer waited for (``as_completed`` yielded it, a ``wait`` returned or raised): as
        :meth:`update`, and if it has not finished, it timed out."""
        self._note(job, timed_out=True)

    def _note(self, job: Job[Any], *, timed_out: bool) -> None:
        state: JobState = "running"
        if job.done:
            try:
                job.result()
            except PollTimeout:
                state = "timed_out"
            except HeyGenError:  # JobFailed, or an error that ended the wait (a 404, the client closing)
                state = "failed"
            else:
                state = "done"
        elif timed_out:
            state = "timed_out"
        self._jobs[(job.kind.name, job.id)] = (state, job.status)

    # -- counts ---------------------------------------------------------------------------------------------

    def _count(self, state: JobState) -> int:
        return sum(1 for entry in self._jobs.values() if entry[0] == state)

    @property
    def total(self) -> int:
        return len(self._jobs)

    @property
    def done(self) -> int:
        return self._count("done")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def timed_out(self) -> int:
        return self._count("timed_out")

    @property
    def running(self) -> int:
        return self._count("running")

    @property
    def statuses(self) -> Mapping[str, str | None]:
        """Each job's last status (lower case, as HeyGen sent it), by job id."""
        return {job_id: status for (_, job_id), (_, status) in self._jobs.items()}

    @property
    def states(self) -> Mapping[str, JobState]:
        """Each job's state, by job id."""
        return {job_id: state for (_, job_id), (state, _) in self._jobs.items()}

    def status_counts(self, state: JobState = "running") -> dict[str | None, int]:
        """How many jobs in ``state`` are at each last status, most common first (None: no status yet)."""
        counts = Counter(status for entry_state, status in self._jobs.values() if entry_state == state)
        return dict(counts.most_common())

    def __str__(self) -> str:
        if not self._jobs:
            return "no jobs"
        parts = [f"{count} {state.replace('_', ' ')}" for state in STATES if (count := self._count(state))]
        if self.running:
            parts[-1] += f" ({describe_statuses(self.status_counts('running'))})"
        return ", ".join(parts)

    def __repr__(self) -> str:
        counts = " ".join(f"{state}={self._count(state)}" for state in STATES)
        return f"<JobProgress total={self.total} {counts}>"


def describe_statuses(counts: Mapping[str | None, int]) -> str:
    """``"status processing 2, pending 1; no status yet 1"`` (counts only when there are several jobs)."""
    several = sum(counts.values()) > 1

    def counted(text: str, count: int) -> str:
        return f"{text} {count}" if several else text

    known = [counted(status, count) for status, count in counts.items() if status is not None]
    parts = ["status " + ", ".join(known)] if known else []
    if None in counts:
        parts.append(counted("no status yet", counts[None]))
    return "; ".join(parts)
