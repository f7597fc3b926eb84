"""The one import surface for what tests share (``from tests.support import ...``); fixtures stay in the
conftest.py files, which use these too. One module per subject, all re-exported here."""

from ._background import Background, open_streaming_session
from ._cli import CLI_TOKEN, ProgressLine, progress_lines
from ._emulated import (
    AVATAR_ID,
    CHARACTER,
    MARK,
    NO_WAIT_RETRY,
    ONE_TRY,
    PHOTO,
    PNG,
    STREAMING_AVATAR,
    VOICE_ID,
    requests_to,
    running,
    scene,
    ticking,
    wait_until,
)
from ._examples import load_example, run_script
from ._http import (
    BASE,
    FAST,
    GATEWAY_OK,
    HEYGEN_OK,
    TOKEN,
    ServerFactory,
    SlowApp,
    refused,
    sent,
    sent_content_type,
    sent_json,
)
from ._jobs import (
    FAST_POLL,
    KIND_CASES,
    REJECTED_TOKEN,
    SETTLE,
    SLOW_POLL,
    VIDEO,
    Kind,
    Waiter,
    fast_client,
    make_motion,
    make_training,
    max_in_any_window,
    polls_settled,
    submit_video,
    submit_videos,
    video_success,
)
from ._leaks import Hygiene, connector_of
from ._paths import DATA, EXAMPLES, README, ROOT
from ._readme import code_blocks, section
from ._secrets import error_text, library_locals
from ._state import MakeState, crash
from ._streaming import (
    SESSION_PARAMS,
    SLOW_ANSWER,
    STREAMING_ENDPOINTS,
    CheckpointBackend,
    FailingStop,
    Gated,
    Recorder,
    StubBackend,
    failed_stops,
    hold_session,
    in_flight,
    needs_stop,
    open_at_emulator,
    rounds_of_stops,
    stop_faults,
    streaming_requests,
)
from ._structuring import outcome, slowly, snapshot
from ._v3 import openapi_from_table, sample_arguments, sample_value, v3_method
from ._webhooks import WAYS, WEBHOOK_SECRET, Start, body_of, post_delivery, serve_asgi, serving, signed_headers

__all__ = [
    # the repository
    "ROOT",
    "README",
    "EXAMPLES",
    "DATA",
    "code_blocks",
    "section",
    "load_example",
    "run_script",
    # calls against aioresponses or a local app
    "TOKEN",
    "BASE",
    "FAST",
    "ServerFactory",
    "sent",
    "sent_content_type",
    "sent_json",
    "GATEWAY_OK",
    "HEYGEN_OK",
    "refused",
    "SlowApp",
    # secrets
    "library_locals",
    "error_text",
    # the emulator
    "NO_WAIT_RETRY",
    "ONE_TRY",
    "AVATAR_ID",
    "VOICE_ID",
    "STREAMING_AVATAR",
    "CHARACTER",
    "PHOTO",
    "MARK",
    "PNG",
    "scene",
    "wait_until",
    "requests_to",
    "running",
    "ticking",
    "Background",
    "open_streaming_session",
    # jobs
    "FAST_POLL",
    "SLOW_POLL",
    "SETTLE",
    "REJECTED_TOKEN",
    "fast_client",
    "submit_video",
    "submit_videos",
    "video_success",
    "polls_settled",
    "Kind",
    "Waiter",
    "VIDEO",
    "KIND_CASES",
    "make_motion",
    "make_training",
    "max_in_any_window",
    # streaming
    "SESSION_PARAMS",
    "SLOW_ANSWER",
    "STREAMING_ENDPOINTS",
    "streaming_requests",
    "needs_stop",
    "failed_stops",
    "stop_faults",
    "rounds_of_stops",
    "in_flight",
    "open_at_emulator",
    "Recorder",
    "CheckpointBackend",
    "FailingStop",
    "Gated",
    "StubBackend",
    "hold_session",
    # result models
    "slowly",
    "snapshot",
    "outcome",
    # shared state
    "MakeState",
    "crash",
    # webhooks
    "WAYS",
    "Start",
    "serving",
    "serve_asgi",
    "WEBHOOK_SECRET",
    "body_of",
    "signed_headers",
    "post_delivery",
    # the command line
    "CLI_TOKEN",
    "ProgressLine",
    "progress_lines",
    # leaks
    "Hygiene",
    "connector_of",
    # HeyGen v3
    "openapi_from_table",
    "sample_arguments",
    "sample_value",
    "v3_method",
]
