"""A local stand-in for the Hugging Face hub's file endpoint, on 127.0.0.1.

Serves `/{repo}/resolve/{revision}/{filename}` for HEAD and GET with the headers
huggingface_hub reads (X-Repo-Commit, X-Linked-Etag = the file's sha256, X-Linked-Size)
and Range requests, so downloads and resumes run through the real hub client.
`drop_after` makes the first `drop_count` GETs stop after that many bytes, like a
broken connection.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    def __init__(self, files: dict[str, bytes], *, drop_after: int | None = None, drop_count: int = 1, announced_sha: str | None = None):
        self.files = files  # "repo/filename" -> content
        self.drop_after = drop_after
        self.drop_count = drop_count
        self.announced_sha = announced_sha
        self.gets: list[str | None] = []  # Range header of each GET
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _lookup(self):
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) < 5 or parts[2] != "resolve":
                    return None
                return hub.files.get(f"{parts[0]}/{parts[1]}/{'/'.join(parts[4:])}")

            def _headers(self, content: bytes, status: int, length: int, start: int = 0):
                self.send_response(status)
                sha = hub.announced_sha or hashlib.sha256(content).hexdigest()
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{sha}"')
                self.send_header("X-Linked-Etag", f'"{sha}"')
                self.send_header("X-Linked-Size", str(len(content)))
                self.send_header("Content-Length", str(length))
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(content) - 1}/{len(content)}")
                self.end_headers()

            def do_HEAD(self):
                content = self._lookup()
                if content is None:
                    self.send_error(404)
                    return
                self._headers(content, 200, len(content))

            def do_GET(self):
                content = self._lookup()
                if content is None:
                    self.send_error(404)
                    return
                range_header = self.headers.get("Range")
                hub.gets.append(range_header)
                start = 0
                if range_header and range_header.startswith("bytes="):
                    start = int(range_header[6:].split("-")[0])
                body = content[start:]
                self._headers(content, 206 if start else 200, len(body), start)
                if hub.drop_after is not None and len(hub.gets) <= hub.drop_count:
                    self.wfile.write(body[: hub.drop_after])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
