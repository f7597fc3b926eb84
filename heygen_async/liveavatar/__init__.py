"""LiveAvatar's result models: ``hg.liveavatar.LiveSessionSummary``, ``hg.liveavatar.LiveAvatarDetails``, ...

The calls are on :class:`~heygen_async.LiveAvatarClient` (``live.sessions``, ``live.avatars``, ...); a live
session is ``live.session(...)``. Every field is optional and unknown fields are kept in ``raw``; credentials
(session tokens, LiveKit tokens, the WebSocket URL) are kept out of reprs.
"""

from __future__ import annotations

from ._models import *  # noqa: F403 - the models module's __all__ is this package's
from ._models import __all__ as __all__
