"""The state file through which commands find a running emulator: private, atomic, only the URL, pid and run
id, trusted only once the emulator answers with that run id, and stale records ignored and removed."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from heygen_async.emulator import Emulator, _discovery as discovery
from tests.support import ServerFactory


def _dead_pid() -> int:
    """A process id that surely names no process: one that has just exited and been reaped."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def _registration(emulator: Emulator, **changes: object) -> discovery.Registration:
    fields: dict[str, object] = {"url": emulator.url, "pid": os.getpid(), "run_id": emulator.run_id, **changes}
    return discovery.Registration(**fields)  # type: ignore[arg-type]


async def test_the_emulator_says_who_it_is_at_its_control_api(heygen_emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as http, http.get(heygen_emulator.url + "/_emulator/info") as response:
        info = await response.json()
    assert info == {"emulator": "heygen_async", "run_id": heygen_emulator.run_id, "pid": os.getpid()}


async def test_a_record_is_written_private_and_whole_and_found_once_verified(
    heygen_emulator: Emulator, private_runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(discovery.RUNTIME_DIR_ENV, str(private_runtime / "sub"))  # made by the first record
    path = discovery.record(_registration(heygen_emulator))
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "url": heygen_emulator.url,
        "pid": os.getpid(),
        "run_id": heygen_emulator.run_id,
    }
    assert [p.name for p in path.parent.iterdir()] == ["emulator.json"]  # no temporary file left behind
    found = await discovery.find()
    assert found == _registration(heygen_emulator)
    assert found is not None
    assert found.base_url == heygen_emulator.base_url


@pytest.mark.parametrize(
    "why",
    ["another run answers there", "its process is gone", "nothing listens there", "the file is not a record"],
)
async def test_a_stale_record_is_ignored_and_removed(
    heygen_emulator: Emulator, private_runtime: Path, why: str
) -> None:
    path = private_runtime / "emulator.json"
    if why == "another run answers there":
        discovery.record(_registration(heygen_emulator, run_id="0" * 16))
    elif why == "its process is gone":
        discovery.record(_registration(heygen_emulator, pid=_dead_pid()))
    elif why == "nothing listens there":
        async with Emulator() as gone:
            stale = _registration(gone)
        discovery.record(stale)
    else:
        discovery.record(_registration(heygen_emulator))
        path.write_text('{"url": "http://example.com:80", "pid": 1, "run_id": "0123456789abcdef"}')
    assert await discovery.find() is None
    assert not path.exists()


async def test_a_busy_emulator_is_not_taken_for_a_stale_one(serve: ServerFactory, private_runtime: Path) -> None:
    """No answer in time is not proof the emulator is gone: it is not used, and its record stays."""

    async def busy(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/_emulator/info", busy)
    url = (await serve(app)).removesuffix("/heygen")
    discovery.record(discovery.Registration(url=url, pid=os.getpid(), run_id="0123456789abcdef"))
    assert await discovery.find(timeout=0.2) is None
    assert (private_runtime / "emulator.json").exists()


async def test_a_record_others_could_have_written_is_not_trusted(
    heygen_emulator: Emulator, private_runtime: Path
) -> None:
    path = discovery.record(_registration(heygen_emulator))
    path.chmod(0o644)
    with pytest.raises(discovery.DiscoveryError, match="readable by other users"):
        await discovery.find()
    path.chmod(0o600)
    os.chmod(private_runtime, 0o777)
    try:
        with pytest.raises(discovery.DiscoveryError, match="writable by other users"):
            await discovery.find()
        with pytest.raises(discovery.DiscoveryError, match="writable by other users"):
            discovery.record(_registration(heygen_emulator))
    finally:
        os.chmod(private_runtime, 0o700)
    assert await discovery.find() == _registration(heygen_emulator)


async def test_a_symlinked_state_file_is_not_followed(heygen_emulator: Emulator, private_runtime: Path) -> None:
    elsewhere = private_runtime.parent / "elsewhere.json"
    elsewhere.write_text(json.dumps(_registration(heygen_emulator).to_json()))
    elsewhere.chmod(0o600)
    (private_runtime / "emulator.json").symlink_to(elsewhere)
    with pytest.raises(discovery.DiscoveryError, match="cannot read"):
        await discovery.find()


async def test_leaving_clears_only_its_own_record(heygen_emulator: Emulator, private_runtime: Path) -> None:
    discovery.record(_registration(heygen_emulator))
    discovery.clear("f" * 16)  # another run leaving: not ours to clear
    assert (private_runtime / "emulator.json").exists()
    discovery.clear(heygen_emulator.run_id)
    assert not (private_runtime / "emulator.json").exists()
