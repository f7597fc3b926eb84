"""HeyGen webhooks: verify a delivery, parse it into a typed event, receive deliveries in a web app.

::

    from heygen_async import webhooks

    event = webhooks.construct_event(raw_body, request.headers, secret)   # InvalidSignatureError if forged
    receiver = webhooks.WebhookReceiver(secret, handle_event, client=client)
    app.router.add_route("*", "/webhooks/heygen", receiver.aiohttp_handler)   # aiohttp
    # or mount ``receiver`` itself: it is a plain ASGI app
    # v3 deliveries with a Heygen-Timestamp: scheme=webhooks.TimestampedSignature(), refusing stale stamps

Endpoint management lives on the client: ``client.webhooks.register/ensure/find/remove``. Mounted as an
aiohttp sub-application (``app.add_subapp("/hooks", receiver.aiohttp_app())``) the receiver answers at
``/hooks/`` (with the slash): register that URL.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from heygen_async._exceptions import InvalidSignatureError, WebhookError, WebhookPayloadError

from ._dedup import Claim, DeliveryLog, MemoryDeliveryLog, delivery_key
from ._events import (
    EVENT_CLASSES,
    KNOWN_EVENT_TYPES,
    V3_EVENT_TYPES,
    AIClippingEvent,
    AIClippingFail,
    AIClippingSuccess,
    AvatarVideoCaptionFail,
    AvatarVideoCaptionSuccess,
    AvatarVideoEvent,
    AvatarVideoFail,
    AvatarVideoGifFail,
    AvatarVideoGifSuccess,
    AvatarVideoSuccess,
    BatchFinished,
    HyperframesVideoEvent,
    HyperframesVideoFail,
    HyperframesVideoSuccess,
    InstantAvatarEvent,
    InstantAvatarFail,
    InstantAvatarSuccess,
    LiveAvatarEvent,
    LiveAvatarFail,
    LiveAvatarSuccess,
    PersonalizedVideo,
    PhotoAvatarAddMotionEvent,
    PhotoAvatarAddMotionFail,
    PhotoAvatarAddMotionSuccess,
    PhotoAvatarGenerationEvent,
    PhotoAvatarGenerationFail,
    PhotoAvatarGenerationSuccess,
    PhotoAvatarTrainEvent,
    PhotoAvatarTrainFail,
    PhotoAvatarTrainSuccess,
    ProofreadCreationEvent,
    ProofreadCreationFail,
    ProofreadCreationSuccess,
    UnknownEvent,
    VideoAgentEvent,
    VideoAgentFail,
    VideoAgentSuccess,
    VideoTranslateEvent,
    VideoTranslateFail,
    VideoTranslatePreflightDownloadFailed,
    VideoTranslatePreflightValidationFailed,
    VideoTranslateSuccess,
    WebhookEvent,
    parse_event,
)
from ._receiver import DEFAULT_MAX_BODY_SIZE, Handler, ReceiverStats, Reply, WebhookReceiver
from ._signature import (
    BODY_ONLY,
    DEFAULT_SIGNATURE_HEADERS,
    TIMESTAMP_AND_BODY,
    BodySignature,
    Headers,
    Secret,
    SignatureScheme,
    TimestampedSignature,
    scheme_of,
    sign,
    sign_timestamped,
    signed_event_id,
    verify,
)

__all__ = [
    "BODY_ONLY",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_SIGNATURE_HEADERS",
    "EVENT_CLASSES",
    "KNOWN_EVENT_TYPES",
    "TIMESTAMP_AND_BODY",
    "V3_EVENT_TYPES",
    "AIClippingEvent",
    "AIClippingFail",
    "AIClippingSuccess",
    "AvatarVideoCaptionFail",
    "AvatarVideoCaptionSuccess",
    "AvatarVideoEvent",
    "AvatarVideoFail",
    "AvatarVideoGifFail",
    "AvatarVideoGifSuccess",
    "AvatarVideoSuccess",
    "BatchFinished",
    "BodySignature",
    "Claim",
    "DeliveryLog",
    "Handler",
    "Headers",
    "HyperframesVideoEvent",
    "HyperframesVideoFail",
    "HyperframesVideoSuccess",
    "InstantAvatarEvent",
    "InstantAvatarFail",
    "InstantAvatarSuccess",
    "InvalidSignatureError",
    "LiveAvatarEvent",
    "LiveAvatarFail",
    "LiveAvatarSuccess",
    "MemoryDeliveryLog",
    "PersonalizedVideo",
    "PhotoAvatarAddMotionEvent",
    "PhotoAvatarAddMotionFail",
    "PhotoAvatarAddMotionSuccess",
    "PhotoAvatarGenerationEvent",
    "PhotoAvatarGenerationFail",
    "PhotoAvatarGenerationSuccess",
    "PhotoAvatarTrainEvent",
    "PhotoAvatarTrainFail",
    "PhotoAvatarTrainSuccess",
    "ProofreadCreationEvent",
    "ProofreadCreationFail",
    "ProofreadCreationSuccess",
    "ReceiverStats",
    "Reply",
    "Secret",
    "SignatureScheme",
    "TimestampedSignature",
    "UnknownEvent",
    "VideoAgentEvent",
    "VideoAgentFail",
    "VideoAgentSuccess",
    "VideoTranslateEvent",
    "VideoTranslateFail",
    "VideoTranslatePreflightDownloadFailed",
    "VideoTranslatePreflightValidationFailed",
    "VideoTranslateSuccess",
    "WebhookError",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookReceiver",
    "construct_event",
    "delivery_key",
    "parse_event",
    "sign",
    "sign_timestamped",
    "verify",
]


def construct_event(
    raw_body: bytes | bytearray | memoryview,
    headers: Headers,
    secret: Secret,
    *,
    header: str | Sequence[str] | None = None,
    scheme: SignatureScheme | None = None,
    now: float | None = None,
) -> WebhookEvent:
    """:func:`verify` the delivery, then :func:`parse_event` it: the typed event, ``verified`` True.

    Raises :class:`InvalidSignatureError` (nothing parsed) or :class:`WebhookPayloadError`.
    """
    scheme = scheme_of(scheme, header, "header")
    verify(raw_body, headers, secret, scheme=scheme, now=now)
    event = parse_event(raw_body)
    return attrs.evolve(event, verified=True, event_id=event.event_id or signed_event_id(scheme, headers))
