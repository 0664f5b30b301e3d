"""`coder lsp` with only its chat model scripted, for the code-action mechanics.

Run as ``python tests/lsp/scripted_chat_server.py``: the real server, the real
sandbox and the project's real tests; the chat replies come, in order, from the JSON
list in ``CODER_TEST_CHAT_REPLIES`` (the way tests/loops/test_loops_cli.py scripts
the CLI). ``CODER_TEST_CHAT_DELAY`` (seconds between pieces) slows the replies so
a test can cancel one midway. What proves the features on a real model is
test_lsp_code_actions_real_model.py.
"""

import json
import os
import sys
from pathlib import Path

sys.path[0:1] = [str(Path(__file__).resolve().parents[2])]  # the checkout, not tests/lsp

from coder.workspace import Workspace  # noqa: E402
from tests.support.scripted_backend import ScriptedBackend  # noqa: E402


def main() -> int:
    backend = ScriptedBackend(json.loads(os.environ.get("CODER_TEST_CHAT_REPLIES", "[]")),
                              delay_s=float(os.environ.get("CODER_TEST_CHAT_DELAY", "0")))
    opened = Workspace.open.__func__

    def open_with_scripted(cls, start=".", **kwargs):
        kwargs["chat_backend"] = backend
        return opened(cls, start, **kwargs)

    Workspace.open = classmethod(open_with_scripted)
    from coder.cli.main import main as coder_main

    return coder_main(["lsp"])


if __name__ == "__main__":
    sys.exit(main())
