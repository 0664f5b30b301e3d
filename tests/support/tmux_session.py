"""A real terminal for the TUI: a command in a tmux session of its own server,
driven with send-keys and read with capture-pane."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid


class TmuxSession:
    def __init__(self, command: list[str], *, cwd, env: dict, width: int = 140, height: int = 40):
        self.socket = f"coder-test-{uuid.uuid4().hex[:8]}"
        self.name = "tui"
        # The pane stays after the program ends and says how it ended.
        shell = f"{shlex.join(command)}; echo CODER-EXITED $?; sleep 600"
        self._tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                   "-c", str(cwd), *[f"-e{k}={v}" for k, v in env.items()], shell)

    def _tmux(self, *args: str) -> str:
        # tmux decides how wide a character is from its own locale: without a UTF-8
        # one it counts box-drawing characters wrong and the layout falls apart.
        result = subprocess.run(["tmux", "-u", "-L", self.socket, *args], capture_output=True, text=True,
                                timeout=30, env={**os.environ, "LC_ALL": "C.UTF-8"})
        if result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args[:2])} failed: {result.stderr.strip()}")
        return result.stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", self.name, key)
            time.sleep(0.05)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, condition, *, timeout_s: float = 60, what: str = "the screen") -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            text = self.screen()
            if condition(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen was:\n{text}")
            time.sleep(0.2)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)  # its own server only


def terminal_env(**extra: str) -> dict:
    """What the TUI needs from the environment in its own terminal."""
    keep = ("PATH", "HOME", "CODER_HOME", "LANG", "LC_ALL")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    env["TERM"] = "tmux-256color"
    env.update(extra)
    return env
