"""``python -m heygen_async.emulator [--port N] [--faults SPEC] ...``: the same as ``heygen-async emulator``."""

import sys

from heygen_async._cli._main import main

if __name__ == "__main__":
    sys.exit(main(["emulator", *sys.argv[1:]]))
