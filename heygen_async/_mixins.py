"""Which hand-written mixin each generated namespace class inherits (read by ``_codegen``)."""

from __future__ import annotations

from typing import Final

from ._job_methods import PhotoAvatarsJobs, TranslationsJobs, VideosJobs
from ._resource import Resource
from ._streaming_methods import StreamingSessions
from ._webhook_methods import WebhookEndpoints

__all__ = ["MIXINS"]

MIXINS: Final[dict[str, type[Resource]]] = {
    "videos": VideosJobs,
    "translations": TranslationsJobs,
    "photo_avatars": PhotoAvatarsJobs,
    "streaming": StreamingSessions,
    "webhooks": WebhookEndpoints,
}
