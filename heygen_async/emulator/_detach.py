"""``python -m heygen_async.emulator._detach LOG COMMAND...``: start COMMAND in a session of its own, its output
to LOG (created with mode 0600), print its pid and exit at once.

``heygen-async emulator --background`` starts the emulator through this short-lived process, so the emulator
is nobody's child: it outlives the terminal and the command that started it, and no ``Popen`` in that command
is left to wait for it.
"""

from __future__ import annotations

import os
import subprocess
import sys


def main() -> None:
    log, command = sys.argv[1], sys.argv[2:]
    # Appending: an emulator started at the same moment writes to the same log, without overwriting this one's.
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o600)
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=fd, stderr=fd, start_new_session=True, close_fds=True
    )
    print(process.pid, flush=True)
    os._exit(0)  # at once, without clean-up: the child is meant to outlive this process


if __name__ == "__main__":
    main()
