"""``python -m heygen_async``: the ``heygen-async`` command line."""

from __future__ import annotations

from ._cli._main import main

if __name__ == "__main__":
    raise SystemExit(main())
