"""Every error heygen_async raises, in one place.

    HeyGenError
    ├── ConfigurationError        bad client settings (no token, bad base_url); ValueError too
    ├── ValidationError           bad call arguments, raised before anything is sent; ValueError too
    │   └── AudioFormatError      audio that is not (or cannot become) PCM s16le 24 kHz mono
    ├── ClientClosedError         the client (or its pool) was closed; RuntimeError too
    ├── StateBackendError         the shared state (Redis) could not be reached or was not in use
    └── APIError                  talking to the API went wrong; carries the endpoint
        ├── APIConnectionError    no usable response (refused, reset, dropped); see ``maybe_processed``
        │   └── APITimeoutError   an attempt or the whole call ran out of time
        ├── APIResponseError      a success status whose body is not JSON or not understood
        │   └── CreatedResponseError  such an answer to a create that did create: ``created_id``
        └── APIStatusError        the API answered with an error (HTTP status and/or envelope)
            ├── BadRequestError          400, 422, or an error envelope on a 2xx
            ├── AuthenticationError      401, or HeyGen's credential codes
            ├── InsufficientCreditError  402, ``insufficient_credit``
            ├── PermissionDeniedError    403, or HeyGen's permission/plan codes
            ├── NotFoundError            404
            ├── ConflictError            409: v3's ``request_in_progress`` (an idempotent create still running)
            ├── RateLimitError           429; ``retry_after`` in seconds when the API said
            └── ServerError              5xx
    JobError                      a long-running job did not end well; ``job_id``, ``kind``, ``resume_token``
    ├── JobFailed                 HeyGen says the job failed; ``result`` is its last status, ``reason`` why
    │   ├── VideoFailed           ``error`` is HeyGen's error object (code, message, detail)
    │   ├── TranslationFailed
    │   ├── PhotoGenerationFailed
    │   ├── TrainingFailed
    │   ├── PhotoAvatarFailed     add_motion / upscale
    │   └── (v3) ProofreadFailed, LipsyncFailed, VideoAgentFailed, AvatarFailed, VoiceCloneFailed,
    │       BackgroundRemovalFailed, ClippingFailed
    └── PollTimeout               the wait's deadline passed first; ``last_status``, ``resume_token``
    NotSubmitted                  a batch's deadline passed before this input was submitted: safe to send again
    SessionError                  a live streaming session could not do what was asked
    ├── SessionClosedError        the session is closing or closed (or was never started)
    ├── SessionLimitError         no session slot came free within the manager's acquire timeout
    └── TaskInterrupted           interrupt() dropped this speech before it was sent

No message, repr or attribute of these errors holds a credential (the API token or key, a password in
``base_url``), in any encoding: the client scrubs every text it copies from a response or a setting before it
builds an error, and URLs appear only as path templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AudioFormatError",
    "AuthenticationError",
    "AvatarFailed",
    "BackgroundRemovalFailed",
    "BadRequestError",
    "ClientClosedError",
    "ClippingFailed",
    "ConfigurationError",
    "ConflictError",
    "CreatedResponseError",
    "HeyGenError",
    "InsufficientCreditError",
    "InvalidSignatureError",
    "JobError",
    "JobFailed",
    "LipsyncFailed",
    "NotFoundError",
    "NotSubmitted",
    "PermissionDeniedError",
    "PhotoAvatarFailed",
    "PhotoGenerationFailed",
    "PollTimeout",
    "ProofreadFailed",
    "RateLimitError",
    "ServerError",
    "SessionClosedError",
    "SessionError",
    "SessionLimitError",
    "StateBackendError",
    "TaskInterrupted",
    "TrainingFailed",
    "TranslationFailed",
    "ValidationError",
    "VideoAgentFailed",
    "VideoFailed",
    "VoiceCloneFailed",
    "WebhookError",
    "WebhookPayloadError",
]


class HeyGenError(Exception):
    """Base class of every error raised by heygen_async."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors defeat Exception's default pickling; rebuild from __dict__ instead.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[HeyGenError], state: dict[str, Any]) -> HeyGenError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


class ConfigurationError(HeyGenError, ValueError):
    """The client was configured in a way that cannot work (no token, a malformed base URL, ...)."""


class ValidationError(HeyGenError, ValueError):
    """A call's arguments are invalid. Raised before any request is sent, so nothing was spent.

    ``parameter`` names the offending argument (dotted for nested values, e.g. ``video_inputs[0].voice``).
    """

    def __init__(self, message: str, *, parameter: str | None = None, endpoint: str | None = None) -> None:
        prefix = f"{endpoint}: " if endpoint else ""
        super().__init__(f"{prefix}{message}")
        self.parameter = parameter
        self.endpoint = endpoint


class AudioFormatError(ValidationError):
    """Audio for a live avatar is not PCM s16le 24 kHz mono and cannot be made so: a container (WAV, MP3,
    ...) where raw PCM was expected, a chunk that is not bytes, a partial sample at the end, or a format that
    needs the optional ``audio`` extra (``pip install 'heygen-async[audio]'``) to convert. The message names
    what was found and what to do; it never holds the audio itself."""


class ClientClosedError(HeyGenError, RuntimeError):
    """The client, or the connection pool it shares, is closed."""


class StateBackendError(HeyGenError):
    """The shared state backend (e.g. Redis) failed, or was used outside ``async with``."""


class APIError(HeyGenError):
    """Something went wrong talking to the API.

    ``endpoint`` is the route as a template (``"GET /v2/photo_avatar/{id}"``), never a concrete URL;
    ``attempts`` is how many attempts the call made before giving up. ``idempotency_key`` is the
    ``Idempotency-Key`` a v3 create was sent with (for a background removal: its ``request_id``; None
    otherwise): sending the create again with it can never make a second job, since HeyGen replays the first
    answer for 24 hours (de-duplicates on the request id).
    """

    def __init__(self, message: str, *, endpoint: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.attempts = 1
        self.idempotency_key: str | None = None


class APIConnectionError(APIError):
    """No usable response arrived: the connection was refused, reset, dropped or the body cut short.

    ``maybe_processed`` is False only when the request surely never reached the server (for example the
    connection was refused); a create that fails with ``maybe_processed=True`` may have created something.
    """

    def __init__(self, message: str, *, endpoint: str, maybe_processed: bool) -> None:
        super().__init__(message, endpoint=endpoint)
        self.maybe_processed = maybe_processed


class APITimeoutError(APIConnectionError):
    """An attempt, or the call's whole time budget, ran out before a response arrived."""


class APIResponseError(APIError):
    """The API answered with a success status but a body that is not JSON or has no recognisable shape."""

    def __init__(self, message: str, *, endpoint: str, status_code: int, body: str) -> None:
        super().__init__(message, endpoint=endpoint)
        self.status_code = status_code
        self.body = body


class CreatedResponseError(APIResponseError):
    """A call that creates something billed (a job, a live session) succeeded, but its answer was not the
    documented object; an id was still found in it.

    ``created_id`` names what HeyGen created: follow the job with it, or stop the session (a session opened
    with ``client.streaming.session()`` is stopped for you). ``raw`` is the answer's data, scrubbed of
    credentials. An answer that is the documented object with some malformed fields is not an error: the
    result comes back with the fields that fit (a warning names the others).
    """

    def __init__(self, message: str, *, endpoint: str, body: str, created_id: str, raw: Any) -> None:
        super().__init__(message, endpoint=endpoint, status_code=200, body=body)
        self.created_id = created_id
        self.raw = raw


class APIStatusError(APIError):
    """The API answered with an error.

    Attributes: ``status_code`` (HTTP), ``code`` (HeyGen's code: an int such as 40119 or a string such as
    ``"invalid_parameter"``, when given), ``error_message`` (HeyGen's words), ``request_id`` (when a header
    carried one), ``body`` (the decoded JSON, or a short text excerpt for non-JSON bodies and bodies over
    1 MiB), ``headers``, and ``retry_after``: the seconds the API asked the client to wait (``Retry-After``),
    when it said. v3 errors also name the offending parameter (``param``) and a documentation link
    (``doc_url``). Every text in them is scrubbed of the credentials, in whatever form the server echoed them.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        status_code: int,
        code: int | str | None = None,
        error_message: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
        param: str | None = None,
        doc_url: str | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.retry_after = retry_after
        self.param = param
        self.doc_url = doc_url
        self.status_code = status_code
        self.code = code
        self.error_message = error_message
        self.request_id = request_id
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})


class BadRequestError(APIStatusError):
    """400 or 422, or an error envelope inside a 2xx answer: HeyGen refused the parameters."""


class AuthenticationError(APIStatusError):
    """401, or one of HeyGen's credential codes: the token or API key is missing, wrong or expired."""


class InsufficientCreditError(APIStatusError):
    """402 or ``insufficient_credit``: the account cannot pay for this."""


class PermissionDeniedError(APIStatusError):
    """403, or HeyGen's permission and plan codes: the account may not do this."""


class NotFoundError(APIStatusError):
    """404: the route or the resource does not exist."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the state of a resource; v3 answers ``request_in_progress`` while an
    earlier request with the same ``Idempotency-Key`` is still running (the client waits that out)."""


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the wait the API asked for, in seconds, when it said.

    Also raised when the API asks for a longer wait than the retry policy's ``retry_after_max``.
    """


class ServerError(APIStatusError):
    """5xx: the gateway or HeyGen failed."""


class JobError(HeyGenError):
    """A long-running job (render, translation, ...) did not end well.

    ``kind`` (``"video"``, ``"translation"``, ...), ``job_id``, and ``resume_token``: pass it to
    ``Job.resume(client, token)`` to pick the job up again, in this process or another.
    """

    def __init__(self, message: str, *, kind: str, job_id: str, resume_token: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.job_id = job_id
        self.resume_token = resume_token


class JobFailed(JobError):
    """HeyGen reports the job failed. ``result`` is the final status (a model), ``reason`` HeyGen's words."""

    def __init__(self, message: str, *, result: Any, reason: str | None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.result = result
        self.reason = reason


class VideoFailed(JobFailed):
    """A render failed; ``error`` is HeyGen's error object (``code`` such as 40119, ``message``, ``detail``)."""

    @property
    def error(self) -> Any:
        return getattr(self.result, "error", None)


class TranslationFailed(JobFailed):
    """A translation failed; ``reason`` is HeyGen's message."""


class PhotoGenerationFailed(JobFailed):
    """A photo or look generation failed."""


class TrainingFailed(JobFailed):
    """A photo avatar group's training failed."""


class PhotoAvatarFailed(JobFailed):
    """A photo avatar made by add_motion or upscale failed."""


class ProofreadFailed(JobFailed):
    """A v3 proofread (subtitle extraction before a translation) failed."""


class LipsyncFailed(JobFailed):
    """A v3 lipsync failed."""


class VideoAgentFailed(JobFailed):
    """A v3 Video Agent session failed."""


class AvatarFailed(JobFailed):
    """A v3 avatar (look) creation or training failed."""


class VoiceCloneFailed(JobFailed):
    """A v3 voice clone failed."""


class BackgroundRemovalFailed(JobFailed):
    """A v3 background removal failed."""


class ClippingFailed(JobFailed):
    """A v3 AI clipping job failed or was cancelled."""


class PollTimeout(JobError):
    """The wait's deadline passed before the job finished (the job itself goes on).

    ``last_status`` is the last status seen (None if no poll answered), ``last_result`` the last model.
    """

    def __init__(self, message: str, *, last_status: str | None, last_result: Any, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.last_status = last_status
        self.last_result = last_result


class NotSubmitted(HeyGenError):
    """A batch's deadline passed before this input was submitted: no job exists for it, so it is safe to
    submit again. ``index`` is its position in the batch's inputs."""

    def __init__(self, message: str, *, index: int) -> None:
        super().__init__(message)
        self.index = index


class SessionError(HeyGenError):
    """A live streaming session could not do what was asked; ``session_id`` names it (None before ``new``)."""

    def __init__(self, message: str, *, session_id: str | None = None) -> None:
        super().__init__(message)
        self.session_id = session_id


class SessionClosedError(SessionError, RuntimeError):
    """The session is closing or closed, or was never started: nothing more can be sent on it."""


class SessionLimitError(SessionError):
    """No slot under the session manager's cap came free within its acquire timeout; nothing was created."""


class TaskInterrupted(SessionError):
    """``interrupt()`` was called while this speech waited its turn: it was dropped, never sent."""


class WebhookError(HeyGenError):
    """A webhook delivery could not be accepted."""


class InvalidSignatureError(WebhookError):
    """The delivery's signature is missing, malformed, does not match its raw body under any secret, or (with a
    timestamped scheme) was stamped outside the tolerance window.

    ``reason`` is ``"missing"``, ``"malformed"``, ``"mismatch"`` or ``"stale"``. Neither the secret nor a
    signature (received or expected) appears in the message.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class WebhookPayloadError(WebhookError, ValueError):
    """The delivery's body is not a JSON object naming its event (``event_type`` or ``event``)."""
