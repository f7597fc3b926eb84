"""LiveAvatar sessions for tests: one left open on an emulator, as a crashed process would leave it."""

from __future__ import annotations

from heygen_async._liveavatar._client import LiveAvatarClient
from heygen_async.emulator._liveavatar_fixtures import LITE_AVATAR_ID

from ._background import Background


def open_liveavatar_session(background: Background, api_key: str) -> str:
    """Mint and start a LITE session on ``background``'s LiveAvatar for the account of ``api_key``, and leave it
    open (billed, owned by nobody); its id."""

    async def open_one() -> str:
        assert background.emulator is not None
        async with LiveAvatarClient(api_key, base_url=background.emulator.liveavatar_url) as live:
            minted = await live.sessions.token(avatar_id=LITE_AVATAR_ID, mode="LITE")
            assert minted.session_id is not None
            assert minted.session_token is not None
            await live.with_session_token(minted.session_token).start()
            return minted.session_id

    return background.call(open_one)
