"""What HeyGen's OpenAPI document does not say about its v3 operations, one row per operation.

The generator (``tools/v3gen.py``) reads the document for each operation's shape (parameters, body, answer)
and this table for what the client makes of it: the namespace and method a user calls, what a create starts
(its job kind and where the new id is), which detail endpoint reports a job's status and which bulk endpoint
reports many. An operation in the document without a row here, or a row naming no operation, stops the
generator: nothing is added or dropped silently.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

__all__ = ["ID_LISTS", "NAMES", "Operation"]

ID_LISTS: Final = 100
"""How many ids a comma-separated id list (``video_ids=a,b,c``, ``batch_ids=...``) of a statuses endpoint takes at
most (notes A.6: "Bulk status <=100"; HeyGen answers 400 beyond)."""


@attrs.frozen(kw_only=True)
class Operation:
    """One v3 operation as the client offers it.

    ``name`` is ``"namespace.method"`` (the namespace may be dotted: ``avatars.looks.list`` is
    ``client.v3.avatars.looks.list``). ``creates_id`` (a field of the answer, dotted when nested) or
    ``creates_more`` (a field listing ids) with ``job`` say what a create starts; ``polls`` names the job kind
    whose status this endpoint reports, ``bulk_polls`` the kind whose statuses it reports many at once.
    ``dedup_field`` names a body field HeyGen de-duplicates a create on in place of an ``Idempotency-Key``;
    ``repeatable`` marks a POST that is idempotent by nature (finishing an upload twice finishes it once), so it
    is retried like a read.
    """

    name: str
    creates_id: str | None = None
    creates_more: str | None = None
    job: str | None = None
    polls: str | None = None
    bulk_polls: str | None = None
    dedup_field: str | None = None
    repeatable: bool = False


def _row(key: str, name: str, **facts: Any) -> tuple[str, Operation]:
    return key, Operation(name=name, **facts)


NAMES: Final[dict[str, Operation]] = dict(
    (
        # videos
        _row("POST /v3/videos", "videos.create", creates_id="video_id", job="v3_video"),
        _row("GET /v3/videos", "videos.list"),
        _row("GET /v3/videos/{video_id}", "videos.get", polls="v3_video"),
        _row("DELETE /v3/videos/{video_id}", "videos.delete"),
        _row("POST /v3/videos/batches", "videos.batches.create", creates_id="batch_id"),
        _row("GET /v3/videos/batches/{batch_id}", "videos.batches.get"),
        _row("GET /v3/videos/statuses", "videos.statuses", bulk_polls="v3_video"),
        # templates
        _row("POST /v3/templates/{template_id}", "templates.generate", creates_id="id", job="v3_video"),
        _row("GET /v3/templates", "templates.list"),
        _row("GET /v3/templates/{template_id}", "templates.get"),
        # video translations and proofreads
        _row(
            "POST /v3/video-translations",
            "video_translations.create",
            creates_more="video_translation_ids",
            job="v3_translation",
        ),
        _row("GET /v3/video-translations", "video_translations.list"),
        _row("GET /v3/video-translations/{video_translation_id}", "video_translations.get", polls="v3_translation"),
        _row("PATCH /v3/video-translations/{video_translation_id}", "video_translations.update"),
        _row("DELETE /v3/video-translations/{video_translation_id}", "video_translations.delete"),
        _row("GET /v3/video-translations/languages", "video_translations.languages"),
        _row("POST /v3/video-translations/batches", "video_translations.batches.create", creates_id="batch_id"),
        _row("GET /v3/video-translations/batches/{batch_id}", "video_translations.batches.get"),
        _row("GET /v3/video-translations/statuses", "video_translations.statuses", bulk_polls="v3_translation"),
        _row(
            "POST /v3/video-translations/proofreads",
            "video_translations.proofreads.create",
            creates_more="proofread_ids",
            job="v3_proofread",
        ),
        _row(
            "GET /v3/video-translations/proofreads/{proofread_id}",
            "video_translations.proofreads.get",
            polls="v3_proofread",
        ),
        _row("GET /v3/video-translations/proofreads/{proofread_id}/srt", "video_translations.proofreads.get_srt"),
        _row("PUT /v3/video-translations/proofreads/{proofread_id}/srt", "video_translations.proofreads.update_srt"),
        _row(
            "POST /v3/video-translations/proofreads/{proofread_id}/generate",
            "video_translations.proofreads.generate",
            creates_id="video_translation_id",
            job="v3_translation",
        ),
        # lipsyncs
        _row("POST /v3/lipsyncs", "lipsyncs.create", creates_id="lipsync_id", job="v3_lipsync"),
        _row("GET /v3/lipsyncs", "lipsyncs.list"),
        _row("GET /v3/lipsyncs/{lipsync_id}", "lipsyncs.get", polls="v3_lipsync"),
        _row("PATCH /v3/lipsyncs/{lipsync_id}", "lipsyncs.update"),
        _row("DELETE /v3/lipsyncs/{lipsync_id}", "lipsyncs.delete"),
        _row("POST /v3/lipsyncs/batches", "lipsyncs.batches.create", creates_id="batch_id"),
        _row("GET /v3/lipsyncs/batches/{batch_id}", "lipsyncs.batches.get"),
        _row("GET /v3/lipsyncs/statuses", "lipsyncs.statuses", bulk_polls="v3_lipsync"),
        # video agents
        _row("POST /v3/video-agents", "video_agents.create", creates_id="session_id", job="v3_video_agent"),
        _row("GET /v3/video-agents", "video_agents.list"),
        _row("GET /v3/video-agents/{session_id}", "video_agents.get", polls="v3_video_agent"),
        _row("POST /v3/video-agents/{session_id}", "video_agents.send_message"),
        _row("POST /v3/video-agents/{session_id}/stop", "video_agents.stop"),
        _row("GET /v3/video-agents/{session_id}/videos", "video_agents.videos"),
        _row("GET /v3/video-agents/{session_id}/resources/{resource_id}", "video_agents.resource"),
        _row("GET /v3/video-agents/styles", "video_agents.styles"),
        # avatars and looks
        _row("POST /v3/avatars", "avatars.create", creates_id="avatar_item.id", job="v3_avatar"),
        _row("GET /v3/avatars", "avatars.list"),
        _row("GET /v3/avatars/{group_id}", "avatars.get"),
        _row("DELETE /v3/avatars/{group_id}", "avatars.delete"),
        _row("POST /v3/avatars/{group_id}/consent", "avatars.consent"),
        _row("GET /v3/avatars/looks", "avatars.looks.list"),
        _row("GET /v3/avatars/looks/{look_id}", "avatars.looks.get", polls="v3_avatar"),
        _row("PATCH /v3/avatars/looks/{look_id}", "avatars.looks.update"),
        _row("DELETE /v3/avatars/looks/{look_id}", "avatars.looks.delete"),
        # voices
        _row("GET /v3/voices", "voices.list"),
        _row("GET /v3/voices/{voice_id}", "voices.get", polls="v3_voice_clone"),
        _row("POST /v3/voices", "voices.design"),
        _row("POST /v3/voices/clone", "voices.clone", creates_id="voice_clone_id", job="v3_voice_clone"),
        _row("DELETE /v3/voices/{voice_id}", "voices.delete"),
        _row("POST /v3/voices/speech", "voices.speech.create"),
        # assets
        _row("POST /v3/assets", "assets.upload"),
        _row("POST /v3/assets/direct-uploads", "assets.direct_uploads.create"),
        _row("POST /v3/assets/{asset_id}/complete", "assets.complete", repeatable=True),  # notes A.4
        _row("POST /v3/assets/direct-uploads/batches", "assets.direct_uploads.create_batch", creates_id="batch_id"),
        _row("POST /v3/assets/complete/batches", "assets.complete_batch", repeatable=True),
        _row("GET /v3/assets/batches/{batch_id}", "assets.batches.get"),
        _row("GET /v3/assets/statuses", "assets.statuses"),
        _row("GET /v3/assets", "assets.list"),
        _row("GET /v3/assets/{asset_id}", "assets.get"),
        _row("DELETE /v3/assets/{asset_id}", "assets.delete"),
        _row("GET /v3/assets/search", "assets.search"),
        # audio, background removal, clipping, brand
        _row("GET /v3/audio/sounds", "audio.sounds.list"),
        _row(
            "POST /v3/background-removals",
            "background_removals.create",
            creates_id="id",
            job="v3_background_removal",
            dedup_field="request_id",  # HeyGen does not honour an Idempotency-Key here (notes A.4); request_id
        ),
        _row("GET /v3/background-removals", "background_removals.list"),
        _row("GET /v3/background-removals/{job_id}", "background_removals.get", polls="v3_background_removal"),
        _row("DELETE /v3/background-removals/{job_id}", "background_removals.delete"),
        _row("POST /v3/ai-clipping", "ai_clipping.create", creates_id="id", job="v3_ai_clipping"),
        _row("GET /v3/ai-clipping", "ai_clipping.list"),
        _row("GET /v3/ai-clipping/{job_id}", "ai_clipping.get", polls="v3_ai_clipping"),
        _row("DELETE /v3/ai-clipping/{job_id}", "ai_clipping.delete"),
        _row("GET /v3/brand-kits", "brand_kits.list"),
        _row("GET /v3/brand-glossaries", "brand_glossaries.list"),
        # users
        _row("GET /v3/users/me", "users.me"),
        # webhooks
        _row("POST /v3/webhooks/endpoints", "webhooks.endpoints.create"),
        _row("GET /v3/webhooks/endpoints", "webhooks.endpoints.list"),
        _row("PATCH /v3/webhooks/endpoints/{endpoint_id}", "webhooks.endpoints.update"),
        _row("DELETE /v3/webhooks/endpoints/{endpoint_id}", "webhooks.endpoints.delete"),
        _row("POST /v3/webhooks/endpoints/{endpoint_id}/rotate-secret", "webhooks.endpoints.rotate_secret"),
        _row("GET /v3/webhooks/event-types", "webhooks.event_types.list"),
        _row("GET /v3/webhooks/events", "webhooks.events.list"),
    )
)
"""Every v3 operation the client offers, by ``"METHOD /path"``."""
