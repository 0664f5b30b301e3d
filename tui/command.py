"""`coder tui [PATH]`: the terminal app over a repository (Textual, in ``tui/``).

The front is imported only when the command runs, so the core stays importable (and
the other commands stay quick) without Textual."""

from __future__ import annotations

import argparse
from pathlib import Path

from coder.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tui", help="open the terminal UI on a repository or a file")
    parser.add_argument("path", nargs="?", default=".", help="a repository folder or a file to open (default: here)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from coder.workspace import Workspace

    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    if path.is_file() and b"\0" in path.read_bytes()[:8192]:
        raise UsageError(f"{path}: is a binary file; open a text file or a folder")
    from tui.app import CoderApp

    workspace = Workspace.open(path, explicit_model=args.model)
    try:
        CoderApp(workspace, open_path=path.resolve() if path.is_file() else None).run()
    finally:
        workspace.close()
    return 0
