"""Exit when the editor that started us is gone (``initialize``'s ``processId``).

An editor that crashes never sends ``exit``; a server left behind would keep a
model's memory. On Linux a pidfd wakes us the moment the process ends; elsewhere
the process is polled every second.
"""

from __future__ import annotations

import os
import select
import threading
import time

POLL_S = 1.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _wait_for_exit(pid: int) -> None:
    if hasattr(os, "pidfd_open"):
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            fd = None
        if fd is not None:
            try:
                select.select([fd], [], [])
                return
            finally:
                os.close(fd)
    while _alive(pid):
        time.sleep(POLL_S)


def watch(pid: int | None, on_exit) -> threading.Thread | None:
    """Call on_exit() from a thread when process pid ends (nothing for None, or our own pid)."""
    if not pid or pid == os.getpid():
        return None
    if not _alive(pid):
        on_exit()
        return None

    def run() -> None:
        _wait_for_exit(pid)
        on_exit()

    thread = threading.Thread(target=run, name="coder-client-watch", daemon=True)
    thread.start()
    return thread
