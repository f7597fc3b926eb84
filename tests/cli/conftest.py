"""An emulator serving in a background thread (the commands run their own event loops), a probe target, and
the token in the environment."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from heygen_async.emulator import EmulatorConfig
from tests.support import CLI_TOKEN, Background


@pytest.fixture(scope="module")
def background() -> Iterator[Background]:
    config = EmulatorConfig(render_seconds=4, pending_seconds=0.5, translation_seconds=4)
    server = Background(config, speed=10)
    server.start()
    yield server
    server.stop()


class _Probe(http.server.BaseHTTPRequestHandler):
    def do_OPTIONS(self) -> None:
        self.send_response(200)
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


@pytest.fixture(scope="module")
def hook_url() -> Iterator[str]:
    """An http URL on 127.0.0.1 that answers HeyGen's OPTIONS probe (and takes deliveries)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Probe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def cli_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line finds ``CLI_TOKEN`` in its environment, and no webhook secret."""
    monkeypatch.setenv("LOWCODEAPI_API_TOKEN", CLI_TOKEN)
    monkeypatch.delenv("HEYGEN_WEBHOOK_SECRET", raising=False)
