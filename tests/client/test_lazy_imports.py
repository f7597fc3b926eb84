"""``import heygen_async`` loads the client, its settings and its errors; results, inputs, jobs, streaming,
webhooks and the namespaces load with the code that needs them (import time is issue 9's goal)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import heygen_async as hg

HEAVY = (
    "heygen_async._models",
    "heygen_async._converter",
    "heygen_async._inputs",
    "heygen_async._jobs._handle",
    "heygen_async._jobs._scheduler",
    "heygen_async._spec._table",
    "heygen_async._resources.videos",
    "heygen_async._streaming._session",
    "heygen_async.webhooks._events",
    "heygen_async.webhooks",
    "cattrs",
)


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    return set(done.stdout.split())


def test_importing_the_package_loads_no_heavy_module() -> None:
    loaded = _loaded_after("import heygen_async")
    assert "heygen_async._client" in loaded
    assert sorted(loaded & set(HEAVY)) == []


def test_a_client_loads_a_namespace_only_when_it_is_used() -> None:
    loaded = _loaded_after("import heygen_async as hg\nclient = hg.HeyGenClient('at_x')\nclient.avatars\nclient.jobs")
    assert "heygen_async._resources.avatars" in loaded
    assert "heygen_async._jobs._handle" in loaded
    assert "heygen_async._resources.videos" not in loaded
    assert "heygen_async._streaming._session" not in loaded
    assert "heygen_async.webhooks._events" not in loaded


def test_every_lazy_name_resolves_to_its_object() -> None:
    from heygen_async import _models, webhooks

    assert hg.Video is _models.Video
    assert hg.webhooks is webhooks
    assert hg.StreamingSession.__name__ == "StreamingSession"
    assert "Video" in dir(hg)


async def test_namespaces_are_made_once_per_handle_and_bound_to_its_transport() -> None:
    async with hg.HeyGenClient("at_one-token-value", base_url="http://127.0.0.1:9/heygen") as client:
        videos = client.videos
        assert client.videos is videos
        assert videos._transport is client._transport
        handle = client.with_options(api_token="at_another-token-value")
        assert handle.videos is not videos
        assert handle.videos._transport is handle._transport
        assert handle.jobs is not client.jobs
        assert type(hg.HeyGenClient.videos).__name__ == "_Namespace"


@pytest.mark.parametrize("module", ["._models", "._inputs"])
def test_every_public_result_and_input_class_is_exported(module: str) -> None:
    """The lazy map names each module's public classes itself (reading ``__all__`` would import them): a class
    added to the module but not to the map would be missing from ``heygen_async``."""
    defined = importlib.import_module(module, "heygen_async").__all__
    assert sorted(hg._LAZY[module]) == sorted(defined)
