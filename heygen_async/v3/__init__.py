"""HeyGen v3's result models: ``hg.v3.VideoDetail``, ``hg.v3.VideoStatus``, ...

The calls themselves are on a client, ``client.v3.<namespace>.<method>`` (``HeyGenClient.direct()``: v3 is
served by HeyGen directly, not through the LowCodeAPI gateway). The models are generated from HeyGen's OpenAPI
document (``tools/v3gen.py``); every field is optional and unknown fields are kept in ``raw``.
"""

from __future__ import annotations

from ._models import *  # noqa: F403 - the generated module's __all__ is this package's
from ._models import __all__ as __all__
