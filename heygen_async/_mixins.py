"""Which hand-written mixin each generated namespace class inherits (read by ``_codegen``)."""

from __future__ import annotations

from typing import Final

from ._jobs._methods import PhotoAvatarsJobs, TranslationsJobs, VideosJobs
from ._resources._base import Resource
from ._streaming._methods import StreamingSessions
from .webhooks._management import WebhookEndpoints

__all__ = ["MIXINS"]

MIXINS: Final[dict[str, type[Resource]]] = {
    "videos": VideosJobs,
    "translations": TranslationsJobs,
    "photo_avatars": PhotoAvatarsJobs,
    "streaming": StreamingSessions,
    "webhooks": WebhookEndpoints,
}
