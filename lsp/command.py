"""`coder lsp`: the language server for editors, over stdio (or TCP for debugging).

The server itself lives in the ``lsp`` package, a front like the TUI; this command
only imports it when run, so the core never depends on pygls.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys

from coder.errors import UsageError

ADDRESS = re.compile(r"^(?P<host>[^:]+|\[[^\]]+\]):(?P<port>\d{1,5})$")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lsp", help="run the language server for editors (stdio)")
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port instead (for debugging)")
    parser.add_argument("--log-file", metavar="PATH", help="write the server log here (default: stderr)")
    parser.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"),
                        help="how much the server logs")
    parser.set_defaults(handler=run)


def parse_address(value: str) -> tuple[str, int]:
    match = ADDRESS.match(value)
    port = int(match["port"]) if match else 0
    if not match or not 0 < port < 65536:
        raise UsageError(f"--tcp {value!r} is not HOST:PORT (e.g. 127.0.0.1:2087)")
    return match["host"].strip("[]"), port


def run(args: argparse.Namespace) -> int:
    address = parse_address(args.tcp) if args.tcp else None
    handler = logging.FileHandler(args.log_file) if args.log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=args.log_level.upper(), handlers=[handler])
    if args.model:
        import os

        os.environ["CODER_MODEL"] = args.model  # the server opens its workspace at initialize
    from lsp.server import server

    try:
        if address:
            server.start_tcp(*address)
        else:
            server.start_io()
    finally:
        server.shutdown_parts()
    return 0 if server.protocol._shutdown else 1
