"""Language server front (pygls): a thin adapter over coder's core (``coder.workspace``).

``server.py`` holds the handlers, ``convert.py`` the core <-> LSP types; ``command.py``
is the `coder lsp` command, registered with coder's CLI through the ``coder.commands``
entry point (the core never imports a front)."""
