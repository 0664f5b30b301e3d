"""Commands whose capability belongs to later issues.

They are listed in ``coder --help`` so the command surface is stable from the start,
and say plainly that they are not available yet instead of pretending to work.
"""

from __future__ import annotations

import argparse

from coder.errors import CoderError

LATER_COMMANDS = {
    "lsp": "run the language server for editors (stdio)",
    "review": "review the staged diff with the model",
    "fix": "fix failing tests in a model/test feedback loop",
    "optimize": "make slow code faster in a model/test feedback loop",
}


class NotYetAvailable(CoderError):
    exit_code = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, help_text in LATER_COMMANDS.items():
        parser = subparsers.add_parser(name, help=f"{help_text} (not yet available)")
        parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        parser.set_defaults(handler=_not_yet(name))


def _not_yet(name: str):
    def handler(args: argparse.Namespace) -> int:
        raise NotYetAvailable(f"`coder {name}` is not yet available in this version")

    return handler
