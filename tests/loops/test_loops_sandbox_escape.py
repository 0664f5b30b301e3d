"""The sandbox escape suite: model-written code that tries to do harm, in a real bubblewrap.

Each case is a test file the "candidate" brings into its copy, run by pytest inside the
sandbox exactly as the loops run candidates; each test passes only if its harm
succeeded, so a passing run is an escape. Every case must end safely: the user's
tree and its .git byte-identical afterwards (hashed), nothing outside the copy
written, and no process left running.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from coder.loops.sandbox import Limits, Sandbox, bubblewrap_problem, interpreter_paths
from coder.loops.test_feedback import install_plugin, run_tests
from loop_support import tree_hash

pytestmark = pytest.mark.skipif(bubblewrap_problem() is not None, reason=str(bubblewrap_problem()))

# The suite's own venv autoloads heavy pytest plugins (pytest-lsp: 2 s of imports);
# the fixture tests need none of them.
QUICK = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
LIMITS = Limits(wall_s=5.0, memory_bytes=1 << 30, processes=32, output_bytes=4 << 20)

CASES = {
    "write_outside": """
import os, pathlib
def test_it():
    for target in [REPO + "/stats.py", REPO + "/.git/HEAD", os.path.expanduser("~/coder-escape"),
                   "/etc/coder-escape", "/var/tmp/coder-escape", OUTSIDE]:
        try:
            pathlib.Path(target).write_text("owned")
        except OSError:
            pass
    assert pathlib.Path(REPO + "/stats.py").read_text() == "owned"  # passes only if it escaped
""",
    "delete_with_os_shutil_ctypes": """
import ctypes, os, shutil
def test_it():
    for action in (lambda: os.remove(REPO + "/stats.py"), lambda: shutil.rmtree(REPO + "/.git"),
                   lambda: shutil.rmtree(REPO), lambda: os.rename(REPO + "/tests", REPO + "/gone")):
        try:
            action()
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    libc.unlink((REPO + "/stats.py").encode())
    libc.rmdir((REPO + "/tests").encode())
    assert os.path.isdir(REPO + "/.git")  # the user's repository is visible in here
    assert not os.path.exists(REPO + "/stats.py")  # passes only if it escaped
""",
    "network_to_loopback": """
import socket
def test_it():
    connection = socket.create_connection(("127.0.0.1", PORT), timeout=2)
    connection.sendall(b"escaped")
""",
    "fork_bomb": """
import os
def test_it():
    while True:
        try:
            os.fork()
        except OSError:
            pass
""",
    "allocate_4_gib": """
def test_it():
    block = bytearray(4 << 30)
    assert block
""",
    "infinite_loop": """
def test_it():
    while True:
        pass
""",
    "print_1_gb": """
import os, sys
def test_it():
    chunk = "x" * (1 << 20)
    for _ in range(1024):
        os.write(1, chunk.encode())
        sys.stdout.write(chunk)
""",
    "close_stdout": """
import os, sys
def test_it():
    os.close(1)
    os.close(2)
    sys.stdout.close()
""",
    "read_stdin_forever": """
import os, sys
def test_it():
    while True:
        data = os.read(0, 1024)
        if not data:
            open("/dev/tty").read()
""",
    "sleep_past_the_limit": """
import time
def test_it():
    time.sleep(3600)
""",
    "escape_the_process_group": """
import os, subprocess, time
def test_it():
    subprocess.Popen(["sleep", "3600"], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        time.sleep(3600)
    time.sleep(3600)
""",
}


def _processes_mentioning(marker: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                cmdline = handle.read().decode(errors="replace")
            cwd = os.readlink(f"/proc/{entry.name}/cwd")
        except OSError:
            continue
        if marker in cmdline or cwd.startswith(marker):
            found.append(int(entry.name))
    return found


@pytest.fixture
def listener():
    """A real listener on the host's loopback; records whether anyone connected."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    connected = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                connected.append(connection.recv(100))
                connection.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connected
    stop.set()
    thread.join(2)
    server.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_escape_attempt_fails_safely(case, buggy_repo, tmp_path, listener, python):
    port, connected = listener
    outside = tmp_path / "outside-the-copy.txt"
    before = tree_hash(buggy_repo)
    code = f"REPO = {str(buggy_repo)!r}\nOUTSIDE = {str(outside)!r}\nPORT = {port}\n" + CASES[case]
    home_file = Path(os.path.expanduser("~/coder-escape"))
    # The user's repository is made visible (read-only) inside, as a checkout outside
    # /tmp is: the attacks must fail on the mount, not because the path is hidden.
    visible = (*interpreter_paths(python), buggy_repo)
    with Sandbox(buggy_repo, limits=LIMITS, read_only_paths=visible) as sandbox:
        install_plugin(sandbox)
        copy = sandbox.new_copy({"tests/test_escape.py": code})
        run = run_tests(sandbox, copy, Path(python), "tests/test_escape.py", env=QUICK)
        run_dir = sandbox.run_dir
        assert not run.ok, f"{case}: the harmful test should not count as passing"
        assert _processes_mentioning(str(run_dir)) == [], f"{case}: processes left running"
    assert not run_dir.exists()
    assert tree_hash(buggy_repo) == before, f"{case}: the user's tree or .git changed"
    assert not outside.exists() and not home_file.exists() and not Path("/etc/coder-escape").exists()
    assert not Path("/var/tmp/coder-escape").exists()
    assert connected == [], f"{case}: reached a listener on the host's loopback"
    assert run.run.wall_s < LIMITS.wall_s + 5
    if case in ("infinite_loop", "sleep_past_the_limit", "read_stdin_forever", "escape_the_process_group"):
        assert run.run.timed_out or run.failures, case
    if case == "print_1_gb":
        assert run.run.output_exceeded or run.run.timed_out or run.failures  # pytest captures to a file in /tmp
        assert len(run.run.output) <= LIMITS.kept_output_bytes + 200


def test_a_write_inside_the_copy_works_and_stays_there(buggy_repo, python):
    """The sandbox is not just a wall: the copy and the private /tmp are writable."""
    code = ("import pathlib, tempfile\n"
            "def test_it():\n"
            "    pathlib.Path('made.txt').write_text('ok')\n"
            "    with tempfile.NamedTemporaryFile() as handle:\n"
            "        handle.write(b'ok')\n")
    before = tree_hash(buggy_repo)
    with Sandbox(buggy_repo, limits=LIMITS, read_only_paths=interpreter_paths(python)) as sandbox:
        install_plugin(sandbox)
        copy = sandbox.new_copy({"tests/test_write.py": code})
        run = run_tests(sandbox, copy, Path(python), "tests/test_write.py", env=QUICK)
        assert run.ok, run.run.output
        assert (copy / "made.txt").read_text() == "ok"
    assert tree_hash(buggy_repo) == before
    assert not (buggy_repo / "made.txt").exists()


def test_the_projects_own_interpreter_runs_only_inside(buggy_repo, tmp_path):
    """A .pth file in the project's venv runs whenever that interpreter starts: coder
    must never start it outside the sandbox (not even to ask it for its paths)."""
    import subprocess
    import sys

    from coder.errors import UsageError
    from coder.loops.api import fix
    from coder.loops.session import LoopOptions
    from tests.support.scripted_backend import ScriptedBackend

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(buggy_repo / ".venv")], check=True)
    marker = tmp_path / "ran-on-the-host"
    site = next((buggy_repo / ".venv" / "lib").glob("python*/site-packages"))
    (site / "hostile.pth").write_text(f"import pathlib; pathlib.Path({str(marker)!r}).write_text('owned')\n")
    before = tree_hash(buggy_repo)
    with pytest.raises(UsageError, match="pytest is not installed"):  # a bare venv: no pytest in it
        fix(buggy_repo, None, ScriptedBackend([]), LoopOptions(limits=LIMITS))
    assert not marker.exists()
    assert tree_hash(buggy_repo) == before


def test_a_flood_on_stdout_is_cut_at_the_output_limit(buggy_repo, python):
    """Output pytest does not capture (a subprocess, a plain script) meets the output limit."""
    with Sandbox(buggy_repo, limits=LIMITS, read_only_paths=interpreter_paths(python)) as sandbox:
        copy = sandbox.new_copy()
        run = sandbox.run([python, "-c", "import os\nwhile True: os.write(1, b'x' * 65536)"], copy)
    assert run.output_exceeded and not run.timed_out
    assert len(run.output) <= LIMITS.kept_output_bytes + 200
