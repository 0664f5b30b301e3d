"""Entry point of the ``coder`` console script.

Each command group lives in its own module exposing ``register(subparsers)``; this
module only wires them together and turns a ``CoderError`` into one line on stderr
and its exit code, so a user never sees a traceback for a problem they can fix.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from coder import __version__
from coder.errors import CoderError

FRONT_COMMANDS = "coder.commands"
# Command modules, in the order --help lists them (the fronts' commands follow).
COMMAND_MODULES = (
    "coder.cli.complete_cmd",
    "coder.cli.ask_cmd",
    "coder.cli.index_cmd",
    "coder.cli.model_cmd",
    "coder.cli.doctor_cmd",
    "coder.cli.stats_cmd",
    "coder.cli.fix_cmd",
    "coder.cli.optimize_cmd",
    "coder.cli.runs_cmd",
    "coder.cli.review_cmd",
    "coder.cli.hook_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coder",
        description="A local coding assistant: completions, review and fix loops "
        "from a small code model on your own machine.",
    )
    parser.add_argument("--version", action="version", version=f"coder {__version__}")
    parser.add_argument(
        "--model",
        help="model name from `coder model list` or a path to a GGUF file "
        "(overrides CODER_MODEL and the config)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    for register in front_commands():
        register(subparsers)
    return parser


def front_commands():
    """The fronts' commands (`coder lsp`, `coder tui`), found through the
    ``coder.commands`` entry points the fronts declare: the core never imports a front,
    and an installation without one simply lacks its command."""
    from importlib.metadata import entry_points

    found = sorted(entry_points(group=FRONT_COMMANDS), key=lambda point: point.name)
    registers = []
    for point in found:
        try:
            registers.append(point.load())
        except ImportError:  # a front that is not installed whole: its command is left out
            continue
    return registers


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except CoderError as error:
        print(f"coder: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("coder: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
