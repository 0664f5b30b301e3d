"""Shown and accepted suggestions, written to the history store off the request path.

A suggestion is answered first and recorded after, by one writer thread (a SQLite
commit can take milliseconds that a keystroke should not wait for). Items carry a
token instead of the store's row id, which does not exist yet when the item is sent;
the writer maps tokens to rows. A store that cannot be written costs the records
only, never a completion.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections import OrderedDict

log = logging.getLogger(__name__)
TOKENS_KEPT = 2000


class History:
    def __init__(self, open_store):
        self._open_store = open_store  # () -> coder.store.Store
        self._queue: queue.Queue = queue.Queue()
        self._rows: OrderedDict[str, int] = OrderedDict()
        self._tokens = itertools.count(1)
        self.failed: str | None = None
        self._thread = threading.Thread(target=self._run, name="coder-history", daemon=True)
        self._thread.start()

    def shown(self, **record) -> str:
        """Queue a shown suggestion (Store.record_completion's fields); its token."""
        token = f"s{next(self._tokens)}"
        self._queue.put(("shown", token, record))
        return token

    def accepted(self, token: str) -> None:
        self._queue.put(("accepted", str(token), None))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is written (tests, shutdown)."""
        done = threading.Event()
        self._queue.put(("flush", "", done))
        return done.wait(timeout)

    def close(self) -> None:
        self._queue.put(("stop", "", None))

    def _run(self) -> None:
        store = None
        while True:
            kind, token, payload = self._queue.get()
            if kind == "stop":
                break
            if kind == "flush":
                payload.set()
                continue
            try:
                if store is None:
                    store = self._open_store()
                if kind == "shown":
                    self._rows[token] = store.record_completion(**payload)
                    while len(self._rows) > TOKENS_KEPT:
                        self._rows.popitem(last=False)
                elif token in self._rows:
                    store.mark_accepted(self._rows[token])
            except Exception as error:  # noqa: BLE001 - history must never take the server down
                self.failed = str(getattr(error, "message", error))
                log.warning("history store: %s", self.failed)
        if store is not None:
            store.close()
