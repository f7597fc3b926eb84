"""heygen_async: an asyncio-native, typed client for the HeyGen video API.

Through the LowCodeAPI gateway (``HeyGenClient()``) or directly (``HeyGenClient.direct()``)::

    async with heygen_async.HeyGenClient() as client:
        quota = await client.request("GET", "/v2/user/remaining_quota")
"""

from ._client import DEFAULT_BASE_URL, HeyGenClient
from ._config import USE_CLIENT_DEFAULT, Limits, RetryEvent, RetryPolicy, Timeout
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConfigurationError,
    HeyGenError,
    InsufficientCreditError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from ._urls import PathStyleMemory
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "USE_CLIENT_DEFAULT",
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "HeyGenClient",
    "HeyGenError",
    "InsufficientCreditError",
    "Limits",
    "NotFoundError",
    "PathStyleMemory",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "Timeout",
    "ValidationError",
    "__version__",
]

# Public objects report the package as their home, so reprs and docs read ``heygen_async.HeyGenClient``.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
