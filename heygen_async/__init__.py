"""heygen_async: an asyncio-native, typed client for the HeyGen video API.

Through the LowCodeAPI gateway (``HeyGenClient()``) or directly (``HeyGenClient.direct()``)::

    async with heygen_async.HeyGenClient() as client:
        quota = await client.user.remaining_quota()
        job = await client.videos.generate([heygen_async.VideoInput(...)], dimension=heygen_async.Dimension(1280, 720))
"""

import importlib as _importlib
import typing as _typing

from ._client import (
    DEFAULT_BASE_URL as DEFAULT_BASE_URL,
    HeyGenClient as HeyGenClient,
)
from ._config import (
    USE_CLIENT_DEFAULT as USE_CLIENT_DEFAULT,
    Limits as Limits,
    PollPolicy as PollPolicy,
    RetryEvent as RetryEvent,
    RetryPolicy as RetryPolicy,
    Timeout as Timeout,
)
from ._exceptions import (
    APIConnectionError as APIConnectionError,
    APIError as APIError,
    APIResponseError as APIResponseError,
    APIStatusError as APIStatusError,
    APITimeoutError as APITimeoutError,
    AudioFormatError as AudioFormatError,
    AuthenticationError as AuthenticationError,
    AvatarFailed as AvatarFailed,
    BackgroundRemovalFailed as BackgroundRemovalFailed,
    BadRequestError as BadRequestError,
    ClientClosedError as ClientClosedError,
    ClippingFailed as ClippingFailed,
    ConfigurationError as ConfigurationError,
    ConflictError as ConflictError,
    CreatedResponseError as CreatedResponseError,
    HeyGenError as HeyGenError,
    InsufficientCreditError as InsufficientCreditError,
    InvalidSignatureError as InvalidSignatureError,
    JobError as JobError,
    JobFailed as JobFailed,
    LipsyncFailed as LipsyncFailed,
    NotFoundError as NotFoundError,
    NotSubmitted as NotSubmitted,
    PermissionDeniedError as PermissionDeniedError,
    PhotoAvatarFailed as PhotoAvatarFailed,
    PhotoGenerationFailed as PhotoGenerationFailed,
    PollTimeout as PollTimeout,
    ProofreadFailed as ProofreadFailed,
    RateLimitError as RateLimitError,
    ServerError as ServerError,
    SessionClosedError as SessionClosedError,
    SessionError as SessionError,
    SessionLimitError as SessionLimitError,
    StateBackendError as StateBackendError,
    TaskInterrupted as TaskInterrupted,
    TrainingFailed as TrainingFailed,
    TranslationFailed as TranslationFailed,
    ValidationError as ValidationError,
    VideoAgentFailed as VideoAgentFailed,
    VideoFailed as VideoFailed,
    VoiceCloneFailed as VoiceCloneFailed,
    WebhookError as WebhookError,
    WebhookPayloadError as WebhookPayloadError,
)
from ._transport._pool import (
    ClientStats as ClientStats,
)
from ._transport._urls import (
    PathStyleMemory as PathStyleMemory,
)
from ._version import __version__ as __version__

_EAGER: _typing.Final = (*(name for name in globals() if not name.startswith("_")), "__version__")
"""The public names imported with the package: the client, its settings and its errors."""

_LAZY: _typing.Final[dict[str, tuple[str, ...]]] = {
    ".webhooks": ("webhooks",),
    ".v3": ("v3",),
    ".liveavatar": ("liveavatar",),
    "._inputs": (
        "AudioVoice",
        "AvatarCharacter",
        "CharacterVariable",
        "ColorBackground",
        "Dimension",
        "ImageBackground",
        "ImageVariable",
        "Input",
        "Offset",
        "Sdp",
        "SilenceVoice",
        "StreamingVoice",
        "TalkingPhotoCharacter",
        "TextVariable",
        "TextVoice",
        "VideoBackground",
        "VideoInput",
        "VoiceVariable",
    ),
    "._jobs._batch": (
        "BatchItem",
        "BatchSummary",
    ),
    "._jobs._handle": ("Job",),
    "._jobs._manager": ("JobManager",),
    "._jobs._progress": ("JobProgress",),
    "._jobs._scheduler": ("PollStats",),
    "._liveavatar._audio": (
        "Pacer",
        "PacingStats",
        "decode_audio",
        "pcm_frames",
    ),
    "._liveavatar._backend": ("LiveAvatarBackend",),
    "._liveavatar._client": ("LiveAvatarClient",),
    "._liveavatar._full": ("FullChannel",),
    "._liveavatar._session": (
        "LiveAvatarSession",
        "Viewer",
    ),
    "._liveavatar._tts": (
        "HeyGenSpeech",
        "TextToSpeech",
    ),
    "._models": (
        "Ack",
        "Asset",
        "Avatar",
        "AvatarGroup",
        "AvatarGroupList",
        "AvatarList",
        "BrandVoice",
        "BrandVoicePage",
        "Folder",
        "FolderPage",
        "GenerationJob",
        "GenerationStatus",
        "LanguageList",
        "ListModel",
        "Model",
        "PhotoAvatar",
        "PhotoAvatarList",
        "PhotoAvatarRef",
        "PhotoAvatarStatus",
        "PhotoGeneration",
        "Quota",
        "SessionStatus",
        "StreamingAvatar",
        "StreamingAvatarList",
        "StreamingAvatarStatus",
        "StreamingSessionInfo",
        "StreamingSessionList",
        "StreamingSessionSummary",
        "StreamingTask",
        "StreamingToken",
        "TalkingPhoto",
        "Template",
        "TemplateDetails",
        "TemplateList",
        "TemplateVariable",
        "TolerantEnum",
        "Training",
        "TrainingStatus",
        "Translation",
        "TranslationJob",
        "TranslationStatus",
        "UpscaleAvailability",
        "User",
        "Video",
        "VideoError",
        "VideoJob",
        "VideoPage",
        "VideoStatus",
        "VideoSummary",
        "Voice",
        "VoiceList",
        "WebhookEndpoint",
        "WebhookEndpointList",
        "WebhookEventList",
    ),
    "._spec._types": (
        "Endpoint",
        "Param",
    ),
    "._state._memory": ("MemoryState",),
    "._state._protocol": (
        "JobRecord",
        "SessionRecord",
        "StateBackend",
    ),
    "._state._redis": ("RedisState",),
    "._streaming._backend": (
        "RestStreamingBackend",
        "StreamingBackend",
        "TaskBackend",
    ),
    "._streaming._events": (
        "ExpiryWarning",
        "IdleWarning",
        "KeepAliveFailed",
        "KeepAliveSent",
        "Reconnected",
        "ServerEvent",
        "SessionEvent",
        "SessionState",
        "StateChanged",
        "StopFailed",
        "TaskFinished",
        "TaskSent",
    ),
    "._streaming._manager": (
        "ReapReport",
        "SessionManager",
    ),
    "._streaming._session": ("StreamingSession",),
}
"""THE list of the public names imported on first use (PEP 562), by the module that defines them: ``import
heygen_async`` loads the client, its settings and its errors; results, inputs, jobs, streaming, state and
webhooks load with the code that needs them. The ``TYPE_CHECKING`` block below is generated from it."""

# BEGIN generated from _LAZY by tools/codegen.py (make generate): what type checkers see of the lazy names.
if _typing.TYPE_CHECKING:
    from . import liveavatar as liveavatar, v3 as v3, webhooks as webhooks
    from ._inputs import (
        AudioVoice as AudioVoice,
        AvatarCharacter as AvatarCharacter,
        CharacterVariable as CharacterVariable,
        ColorBackground as ColorBackground,
        Dimension as Dimension,
        ImageBackground as ImageBackground,
        ImageVariable as ImageVariable,
        Input as Input,
        Offset as Offset,
        Sdp as Sdp,
        SilenceVoice as SilenceVoice,
        StreamingVoice as StreamingVoice,
        TalkingPhotoCharacter as TalkingPhotoCharacter,
        TextVariable as TextVariable,
        TextVoice as TextVoice,
        VideoBackground as VideoBackground,
        VideoInput as VideoInput,
        VoiceVariable as VoiceVariable,
    )
    from ._jobs._batch import (
        BatchItem as BatchItem,
        BatchSummary as BatchSummary,
    )
    from ._jobs._handle import (
        Job as Job,
    )
    from ._jobs._manager import (
        JobManager as JobManager,
    )
    from ._jobs._progress import (
        JobProgress as JobProgress,
    )
    from ._jobs._scheduler import (
        PollStats as PollStats,
    )
    from ._liveavatar._audio import (
        Pacer as Pacer,
        PacingStats as PacingStats,
        decode_audio as decode_audio,
        pcm_frames as pcm_frames,
    )
    from ._liveavatar._backend import (
        LiveAvatarBackend as LiveAvatarBackend,
    )
    from ._liveavatar._client import (
        LiveAvatarClient as LiveAvatarClient,
    )
    from ._liveavatar._full import (
        FullChannel as FullChannel,
    )
    from ._liveavatar._session import (
        LiveAvatarSession as LiveAvatarSession,
        Viewer as Viewer,
    )
    from ._liveavatar._tts import (
        HeyGenSpeech as HeyGenSpeech,
        TextToSpeech as TextToSpeech,
    )
    from ._models import (
        Ack as Ack,
        Asset as Asset,
        Avatar as Avatar,
        AvatarGroup as AvatarGroup,
        AvatarGroupList as AvatarGroupList,
        AvatarList as AvatarList,
        BrandVoice as BrandVoice,
        BrandVoicePage as BrandVoicePage,
        Folder as Folder,
        FolderPage as FolderPage,
        GenerationJob as GenerationJob,
        GenerationStatus as GenerationStatus,
        LanguageList as LanguageList,
        ListModel as ListModel,
        Model as Model,
        PhotoAvatar as PhotoAvatar,
        PhotoAvatarList as PhotoAvatarList,
        PhotoAvatarRef as PhotoAvatarRef,
        PhotoAvatarStatus as PhotoAvatarStatus,
        PhotoGeneration as PhotoGeneration,
        Quota as Quota,
        SessionStatus as SessionStatus,
        StreamingAvatar as StreamingAvatar,
        StreamingAvatarList as StreamingAvatarList,
        StreamingAvatarStatus as StreamingAvatarStatus,
        StreamingSessionInfo as StreamingSessionInfo,
        StreamingSessionList as StreamingSessionList,
        StreamingSessionSummary as StreamingSessionSummary,
        StreamingTask as StreamingTask,
        StreamingToken as StreamingToken,
        TalkingPhoto as TalkingPhoto,
        Template as Template,
        TemplateDetails as TemplateDetails,
        TemplateList as TemplateList,
        TemplateVariable as TemplateVariable,
        TolerantEnum as TolerantEnum,
        Training as Training,
        TrainingStatus as TrainingStatus,
        Translation as Translation,
        TranslationJob as TranslationJob,
        TranslationStatus as TranslationStatus,
        UpscaleAvailability as UpscaleAvailability,
        User as User,
        Video as Video,
        VideoError as VideoError,
        VideoJob as VideoJob,
        VideoPage as VideoPage,
        VideoStatus as VideoStatus,
        VideoSummary as VideoSummary,
        Voice as Voice,
        VoiceList as VoiceList,
        WebhookEndpoint as WebhookEndpoint,
        WebhookEndpointList as WebhookEndpointList,
        WebhookEventList as WebhookEventList,
    )
    from ._spec._types import (
        Endpoint as Endpoint,
        Param as Param,
    )
    from ._state._memory import (
        MemoryState as MemoryState,
    )
    from ._state._protocol import (
        JobRecord as JobRecord,
        SessionRecord as SessionRecord,
        StateBackend as StateBackend,
    )
    from ._state._redis import (
        RedisState as RedisState,
    )
    from ._streaming._backend import (
        RestStreamingBackend as RestStreamingBackend,
        StreamingBackend as StreamingBackend,
        TaskBackend as TaskBackend,
    )
    from ._streaming._events import (
        ExpiryWarning as ExpiryWarning,
        IdleWarning as IdleWarning,
        KeepAliveFailed as KeepAliveFailed,
        KeepAliveSent as KeepAliveSent,
        Reconnected as Reconnected,
        ServerEvent as ServerEvent,
        SessionEvent as SessionEvent,
        SessionState as SessionState,
        StateChanged as StateChanged,
        StopFailed as StopFailed,
        TaskFinished as TaskFinished,
        TaskSent as TaskSent,
    )
    from ._streaming._manager import (
        ReapReport as ReapReport,
        SessionManager as SessionManager,
    )
    from ._streaming._session import (
        StreamingSession as StreamingSession,
    )
# END generated

_MODULE_OF: _typing.Final = {name: module for module, names in _LAZY.items() for name in names}
_SUBPACKAGES: _typing.Final = ("webhooks", "v3", "liveavatar")
"""Public subpackages, imported on first access: ``hg.webhooks``, ``hg.v3`` (HeyGen v3's result models),
``hg.liveavatar`` (LiveAvatar's)."""
__all__ = sorted([*_EAGER, *(name for name in _MODULE_OF if name not in _SUBPACKAGES)])  # subpackages are no names


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    imported = _importlib.import_module(module, __name__)
    value = imported if name in _SUBPACKAGES else getattr(imported, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})


# The client and the errors report the package as their home, so reprs and tracebacks read
# ``heygen_async.HeyGenClient``. Data classes keep their modules: their string annotations resolve there.
for _name in _EAGER:
    _obj = globals()[_name]
    if isinstance(_obj, type) and (issubclass(_obj, BaseException) or _obj in (HeyGenClient, PathStyleMemory)):
        _obj.__module__ = __name__
del _name, _obj
