"""HeyGen webhooks: verify a delivery, parse it into a typed event, receive deliveries in a web app.

::

    from heygen_async import webhooks

    event = webhooks.construct_event(raw_body, request.headers, secret)   # InvalidSignatureError if forged
    receiver = webhooks.WebhookReceiver(secret, handle_event, client=client)
    app.router.add_route("*", "/webhooks/heygen", receiver.aiohttp_handler)   # aiohttp
    # or mount ``receiver`` itself: it is a plain ASGI app

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
    AvatarVideoEvent,
    AvatarVideoFail,
    AvatarVideoGifFail,
    AvatarVideoGifSuccess,
    AvatarVideoSuccess,
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
    UnknownEvent,
    VideoTranslateEvent,
    VideoTranslateFail,
    VideoTranslateSuccess,
    WebhookEvent,
    parse_event,
)
from ._receiver import DEFAULT_MAX_BODY_SIZE, Handler, ReceiverStats, Reply, WebhookReceiver
from ._signature import DEFAULT_SIGNATURE_HEADERS, Headers, Secret, sign, verify

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_SIGNATURE_HEADERS",
    "EVENT_CLASSES",
    "KNOWN_EVENT_TYPES",
    "AvatarVideoEvent",
    "AvatarVideoFail",
    "AvatarVideoGifFail",
    "AvatarVideoGifSuccess",
    "AvatarVideoSuccess",
    "Claim",
    "DeliveryLog",
    "Handler",
    "Headers",
    "InvalidSignatureError",
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
    "ReceiverStats",
    "Reply",
    "Secret",
    "UnknownEvent",
    "VideoTranslateEvent",
    "VideoTranslateFail",
    "VideoTranslateSuccess",
    "WebhookError",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookReceiver",
    "construct_event",
    "delivery_key",
    "parse_event",
    "sign",
    "verify",
]


def construct_event(
    raw_body: bytes | bytearray | memoryview,
    headers: Headers,
    secret: Secret,
    *,
    header: str | Sequence[str] = DEFAULT_SIGNATURE_HEADERS,
) -> WebhookEvent:
    """:func:`verify` the delivery, then :func:`parse_event` it: the typed event, ``verified`` True.

    Raises :class:`InvalidSignatureError` (nothing parsed) or :class:`WebhookPayloadError`.
    """
    verify(raw_body, headers, secret, header=header)
    return attrs.evolve(parse_event(raw_body), verified=True)
