"""One error family for everything a user can cause or fix.

Each front turns a ``CoderError`` into its own form: the CLI prints ``message`` on one
line and exits with ``exit_code``; the LSP server shows it as a window message; the TUI
as a notification. Anything that is *not* a ``CoderError`` is a bug in coder.
"""

from __future__ import annotations


class CoderError(Exception):
    """An error with a one-line message that names the thing and the fix."""

    exit_code = 1
    title = "coder"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(CoderError):
    """A settings file or value is invalid."""

    title = "configuration"
    exit_code = 2


class ModelError(CoderError):
    """A model file cannot be found, read or loaded."""

    title = "model"
    exit_code = 3


class BackendError(CoderError):
    """The model backend failed while serving a request (worker crash, server error)."""

    title = "backend"
    exit_code = 4


class GenerationCancelled(CoderError):
    """A generation was stopped because a newer request superseded it."""

    title = "cancelled"
    exit_code = 5


class UsageError(CoderError):
    """The command line or a request was malformed."""

    title = "usage"
    exit_code = 2
