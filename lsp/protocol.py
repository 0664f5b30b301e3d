"""pygls' protocol with one gap closed: every request with an id gets a response.

pygls turns a request whose params do not fit the method's type into an exception
in its read loop, logs it, and answers nothing: the client waits forever. Here such
a request becomes a marker that is answered with InvalidParams (-32602), and a
message that is not JSON-RPC at all but carries an id is answered InvalidRequest.
"""

from __future__ import annotations

import logging

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)


class _Unanswerable:
    """A request that cannot be handled but must be answered."""

    def __init__(self, msg_id, error):
        self.id = msg_id
        self.error = error


def _valid_id(value) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


class CoderProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict):
        try:
            return super().structure_message(data)
        except Exception as failure:  # noqa: BLE001 - answered below instead of dropped
            if "method" in data and _valid_id(data.get("id")):
                log.warning("invalid params for %s: %s", data.get("method"), failure.__cause__ or failure)
                return _Unanswerable(data["id"], JsonRpcInvalidParams(
                    f"invalid params for {data.get('method')!r}: {failure.__cause__ or failure}"
                ))
            raise

    def handle_message(self, message):
        if isinstance(message, _Unanswerable):
            self._send_response(message.id, None, message.error.to_response_error())
            return
        if isinstance(message, dict):  # JSON without "jsonrpc": not a message we can route
            if _valid_id(message.get("id")) and "method" in message:
                self._send_response(message["id"], None, JsonRpcInvalidRequest(
                    "not a JSON-RPC 2.0 request (no \"jsonrpc\": \"2.0\")").to_response_error())
            return
        if not hasattr(message, "jsonrpc"):  # a JSON number, list, string...
            return
        is_request = hasattr(message, "method") and _valid_id(getattr(message, "id", None))
        if is_request and (message.jsonrpc != self.VERSION or self._shutdown):
            why = "the server is shut down" if self._shutdown else "not a JSON-RPC 2.0 request"
            self._send_response(message.id, None, JsonRpcInvalidRequest(why).to_response_error())
            return
        return super().handle_message(message)


def error_message(text: str) -> types.ShowMessageParams:
    return types.ShowMessageParams(type=types.MessageType.Warning, message=f"coder: {text}")
