"""coder: a local, offline coding assistant built around a small code model.

This package is the engine. The fronts (``lsp``, ``tui``, the git hook) are thin
adapters over it; nothing here imports them.
"""

__version__ = "0.1.0"
