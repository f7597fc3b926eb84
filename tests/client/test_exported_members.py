"""``__all__`` is exactly the public surface, and public objects report ``heygen_async`` as their module."""

from __future__ import annotations

import types

import heygen_async


def test_all_lists_every_public_name() -> None:
    # Public subpackages (heygen_async.emulator) are imported on their own, not re-exported.
    public = {
        name
        for name in dir(heygen_async)
        if not name.startswith("_") and not isinstance(getattr(heygen_async, name), types.ModuleType)
    }
    assert set(heygen_async.__all__) - {"__version__"} == public
    assert len(heygen_async.__all__) == len(set(heygen_async.__all__))


def test_public_classes_live_in_the_package_namespace() -> None:
    for name in heygen_async.__all__:
        obj = getattr(heygen_async, name)
        if isinstance(obj, type) and (issubclass(obj, BaseException) or name in ("HeyGenClient", "PathStyleMemory")):
            assert obj.__module__ == "heygen_async", name
