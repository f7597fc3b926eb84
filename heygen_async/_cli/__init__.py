"""The ``heygen-async`` command line: ``main`` is the console script (also ``python -m heygen_async``)."""

from ._main import main

__all__ = ["main"]
