"""Keeping the repository index current while the user edits.

An unsaved buffer is re-indexed (as an overlay on the files on disk) once the user
pauses, not on every keystroke: extracting a file's tags costs a parse of the whole
file. Saves, closes and the client's file-watcher events re-read the file from disk.
All of it runs off the event loop and does nothing until the index is built.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)
BUFFER_PAUSE_S = 1.0


class IndexUpdates:
    def __init__(self, workspace, current_text, pause_s: float = BUFFER_PAUSE_S):
        self.workspace = workspace
        self._current_text = current_text  # path -> the buffer's text now, or None
        self._pause_s = pause_s
        self._timers: dict[str, threading.Timer] = {}
        self._lock = threading.Lock()
        self.applied = 0

    def _index(self):
        if not self.workspace.index_ready.is_set():
            return None
        return self.workspace.index(refresh=False)

    def _run(self, action, path: str) -> None:
        index = self._index()
        if index is None:
            return
        try:
            action(index)
            self.applied += 1
        except Exception as error:  # noqa: BLE001 - a stale index entry beats a dead server
            log.warning("index update of %s failed: %s", path, error)

    def edited(self, path: str) -> None:
        def fire() -> None:
            with self._lock:
                self._timers.pop(path, None)
            text = self._current_text(path)
            if text is not None:
                self._run(lambda index: index.update_file(path, text), path)

        with self._lock:
            old = self._timers.pop(path, None)
            if old is not None:
                old.cancel()
            timer = threading.Timer(self._pause_s, fire)
            timer.daemon = True
            self._timers[path] = timer
            timer.start()

    def from_disk(self, path: str) -> None:
        """A save, a close or a watcher's create/change: the file on disk is the truth."""
        with self._lock:
            old = self._timers.pop(path, None)
            if old is not None:
                old.cancel()
        threading.Thread(target=self._run, args=(lambda index: index.update_file(path), path), daemon=True).start()

    def deleted(self, path: str) -> None:
        threading.Thread(target=self._run, args=(lambda index: index.remove_file(path), path), daemon=True).start()

    def close(self) -> None:
        with self._lock:
            for timer in self._timers.values():
                timer.cancel()
            self._timers.clear()
