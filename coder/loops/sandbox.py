"""Running untrusted, model-written code: a scratch copy of the repository in bubblewrap.

A loop run takes one snapshot of the user's repository (a plain copy, never a `git
worktree`, whose `.git` points back into the user's repo); each candidate runs in a
fresh copy of that snapshot. Inside bubblewrap the host file system is mounted
read-only, /tmp is a private tmpfs, the network namespace is empty, every capability
is dropped, and the only writable paths are the candidate's copy and that /tmp.

Limits are set in the child before bubblewrap starts (they are inherited by all it
runs): address space, processes, file size and CPU time; the wall-clock limit and the
output limit are enforced here by killing the whole process group (bubblewrap's pid
namespace then takes every process inside down with it). Run as root, the command
inside drops to the unprivileged `nobody` user (setpriv, no capabilities, no new
privileges), because the kernel does not count root's processes against RLIMIT_NPROC
(a fork bomb would not be stopped).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from coder.errors import CoderError

NOBODY = 65534
# Directories not worth copying into a scratch copy: version control, environments,
# caches. The project's environment is bound read-only where it lies instead.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", "env", ".tox", ".nox", "node_modules", "__pycache__",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".coder-cache", "build", "dist",
})
# Paths the sandbox replaces with its own, so what the run needs from under them on the
# host (a virtualenv or a checkout under /tmp, as CI clones often are) is bound explicitly.
HIDDEN_ROOTS = (Path("/tmp"),)


class SandboxUnavailable(CoderError):
    title = "sandbox"
    exit_code = 2


@dataclass(frozen=True)
class Limits:
    wall_s: float = 60.0
    """Wall-clock time of one run; the whole process group is killed beyond it."""
    cpu_s: int = 120
    memory_bytes: int = 2 << 30
    """Address space of each process (RLIMIT_AS)."""
    processes: int = 64
    """Processes and threads the run may add (RLIMIT_NPROC above the current count)."""
    file_bytes: int = 64 << 20
    """Largest file a process may write (RLIMIT_FSIZE)."""
    output_bytes: int = 16 << 20
    """stdout and stderr together; the run is killed beyond it."""
    kept_output_bytes: int = 256 << 10
    """How much of the output is kept for feedback (the start of it)."""
    tmp_bytes: int = 256 << 20
    """Size of the private /tmp."""


@dataclass
class RunResult:
    returncode: int | None
    output: str  # stdout and stderr interleaved, the first kept_output_bytes
    wall_s: float
    timed_out: bool = False
    output_exceeded: bool = False
    output_total_bytes: int = 0
    leftover_killed: int = 0  # processes still running afterwards (killed)

    @property
    def limit_hit(self) -> str | None:
        if self.timed_out:
            return "time limit"
        if self.output_exceeded:
            return "output limit"
        return None


@lru_cache(maxsize=None)
def bubblewrap_problem() -> str | None:
    """None when bubblewrap runs here, else what is wrong and how to fix it."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return ("bubblewrap (bwrap) is not installed, and coder runs model-written code only inside it: "
                "install it (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install "
                "bubblewrap), or pass --no-sandbox to run with resource limits only")
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return ("run as root, coder's sandbox needs setpriv (util-linux) to drop to an unprivileged user: "
                "install util-linux, or pass --no-sandbox")
    namespaces = ["--unshare-pid", "--unshare-net"] if os.geteuid() == 0 else ["--unshare-all"]
    probe = subprocess.run(
        [bwrap, "--ro-bind", "/", "/", *namespaces, "--die-with-parent", "true"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
    )
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"bubblewrap is installed but cannot create a sandbox here ({reason}); enable user "
                "namespaces (sysctl kernel.unprivileged_userns_clone=1), or pass --no-sandbox")
    return None


def require_bubblewrap() -> None:
    problem = bubblewrap_problem()
    if problem:
        raise SandboxUnavailable(problem)


def _tasks_of(uid: int) -> int:
    """Processes and threads the user runs now (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def copy_tree(source: Path, destination: Path) -> None:
    """A plain copy (never hard links: a write through one would reach the user's file)."""
    def ignore(folder, names):
        return [n for n in names if n in SKIPPED_DIRS or n.endswith(".egg-info")]

    shutil.copytree(source, destination, ignore=ignore, symlinks=True)


def _hand_to_nobody(path: Path) -> None:
    """Run as root, the sandboxed command is `nobody`: it must own what it may write."""
    if os.geteuid() != 0:
        return
    os.lchown(path, NOBODY, NOBODY)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), NOBODY, NOBODY)


@dataclass
class Sandbox:
    """One loop run's sandbox: the snapshot of the repository and how to run in a copy of it."""

    repo_root: Path
    isolated: bool = True  # False: --no-sandbox, resource limits only
    limits: Limits = field(default_factory=Limits)
    read_only_paths: tuple[Path, ...] = ()  # more host paths the runs need (e.g. the interpreter's venv)

    def __post_init__(self):
        self.repo_root = Path(self.repo_root).resolve()
        if self.isolated:
            require_bubblewrap()
        self.run_dir = Path(tempfile.mkdtemp(prefix="coder-loop-"))
        os.chmod(self.run_dir, 0o755)  # `nobody` must reach the binds below it
        self.snapshot = self.run_dir / "snapshot"
        copy_tree(self.repo_root, self.snapshot)
        self.support = self.run_dir / "support"  # coder's helper scripts, read-only inside
        self.support.mkdir()
        _hand_to_nobody(self.snapshot)  # readable inside whatever the user's modes were (bound read-only)
        self._copies = 0
        self._closed = False

    # -- copies ----------------------------------------------------------------

    def new_copy(self, replaced: dict[str, str] | None = None) -> Path:
        """A fresh writable copy of the snapshot with some files' text replaced."""
        self._copies += 1
        copy = self.run_dir / f"copy{self._copies}"
        shutil.copytree(self.snapshot, copy, symlinks=True)
        for relative, text in (replaced or {}).items():
            (copy / relative).write_bytes(text.encode("utf-8"))
        _hand_to_nobody(copy)
        return copy

    def discard(self, copy: Path) -> None:
        shutil.rmtree(copy, ignore_errors=True)

    def add_support_file(self, name: str, text: str) -> Path:
        path = self.support / name
        path.write_text(text, encoding="utf-8")
        return path

    # -- running ---------------------------------------------------------------

    def run(self, argv: list[str], copy: Path, *, env: dict[str, str] | None = None,
            limits: Limits | None = None, cancelled: threading.Event | None = None,
            read_only: tuple[Path, ...] = ()) -> RunResult:
        """Run argv in a copy (its cwd) under the limits; never raises for what the code does."""
        limits = limits or self.limits
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "TMPDIR": "/tmp",
            "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
            "PYTHONPATH": os.pathsep.join([str(copy), str(copy / "src"), str(self.support)]),
        }
        # pytest's own settings (PYTEST_ADDOPTS, PYTEST_DISABLE_PLUGIN_AUTOLOAD) pass through.
        full_env.update({k: v for k, v in os.environ.items() if k.startswith("PYTEST_") and k != "PYTEST_CURRENT_TEST"})
        full_env.update(env or {})
        command = self._bwrap_prefix(copy, read_only) + argv if self.isolated else argv
        # The process limit counts every task of the user the command runs as.
        base_tasks = _tasks_of(NOBODY if os.geteuid() == 0 and self.isolated else os.getuid())

        def child_setup():
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            nproc = base_tasks + limits.processes
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=copy, env=full_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, preexec_fn=child_setup, start_new_session=True,
        )
        reader = _OutputReader(process.stdout, limits.kept_output_bytes, limits.output_bytes)
        reader.start()
        timed_out = False
        deadline = started + limits.wall_s
        while process.poll() is None:
            if reader.exceeded.is_set() or (cancelled is not None and cancelled.is_set()):
                break
            if time.monotonic() >= deadline:
                timed_out = True
                break
            reader.done.wait(0.02)
        _kill_group(process)
        reader.join(5)
        wall = time.monotonic() - started
        leftover = kill_leftovers(copy)
        return RunResult(
            returncode=process.returncode, output=reader.text(), wall_s=wall, timed_out=timed_out,
            output_exceeded=reader.exceeded.is_set(), output_total_bytes=reader.total,
            leftover_killed=leftover,
        )

    def _bwrap_prefix(self, copy: Path, read_only: tuple[Path, ...]) -> list[str]:
        as_root = os.geteuid() == 0
        args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                "--perms", "1777", "--size", str(self.limits.tmp_bytes), "--tmpfs", "/tmp"]
        needed = _needs_binding((self.support, self.snapshot, *self.read_only_paths, *read_only))
        # Run as root, the command becomes `nobody`, who cannot pass through a private
        # folder such as /root (where pyenv keeps its interpreters): an empty tmpfs
        # replaces such a folder and only what the run needs is bound into it.
        mounts = [Path("/tmp")]
        for blocked in _blocked_ancestors(needed + [copy]):
            args += ["--tmpfs", str(blocked)]
            mounts.append(blocked)
        made: set[Path] = set()
        for path in [*needed, copy]:
            for folder in reversed(path.parents):  # passable folders down to each bind
                if folder not in made and any(m in folder.parents for m in mounts):
                    args += ["--perms", "0755", "--dir", str(folder)]
                    made.add(folder)
        for path in needed:
            args += ["--ro-bind", str(path), str(path)]
        args += ["--bind", str(copy), str(copy), "--chdir", str(copy), "--die-with-parent", "--new-session"]
        if as_root:
            # No user namespace (root's would still be root to the kernel's process
            # limit); setpriv drops to nobody with no capabilities and no way back.
            args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                     "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                     "--cap-add", "CAP_SETPCAP", "--",
                     "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                     "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", "--"]
        else:
            args += ["--unshare-all", "--"]
        return args

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        kill_leftovers(self.run_dir)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _needs_binding(paths) -> list[Path]:
    """The paths (and what their symlinks lead to) that the sandbox's view would hide:
    under its private /tmp, or (run as root) behind a folder `nobody` cannot enter."""
    found: list[Path] = []
    for path in paths:
        for candidate in (Path(path).absolute(), Path(path).resolve()):
            hidden = any(candidate == root or root in candidate.parents for root in HIDDEN_ROOTS)
            if (hidden or _blocked_ancestors([candidate])) and candidate.exists() and candidate not in found:
                found.append(candidate)
    return found


def _blocked_ancestors(paths) -> list[Path]:
    """Folders above the paths that `nobody` may not pass through (only when we are root)."""
    if os.geteuid() != 0:
        return []
    blocked: list[Path] = []
    for path in paths:
        for folder in reversed(Path(path).parents):
            if any(folder == root or root in folder.parents for root in HIDDEN_ROOTS):
                break  # the private /tmp is created passable
            try:
                mode = folder.stat()
            except OSError:
                break
            if not mode.st_mode & 0o001 and mode.st_uid != NOBODY:
                if folder not in blocked:
                    blocked.append(folder)
                break
    return blocked


def interpreter_paths(python: str | Path) -> tuple[Path, ...]:
    """What running `python` needs from the host: its venv and its base installation.

    Read from the files, never by running it: the project's interpreter is the
    project's (a .pth file in its venv runs at start-up), so it runs only inside."""
    python = Path(python).absolute()
    found = [python.parent.parent, Path(os.path.realpath(python)).parent.parent]
    config = python.parent.parent / "pyvenv.cfg"
    try:
        for line in config.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                found.append(Path(value.strip()).parent)
    except OSError:
        pass  # not a venv: the interpreter's own installation is all it needs
    return tuple(dict.fromkeys(found))


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process in D state
        pass


def kill_leftovers(folder: Path) -> int:
    """Kill processes still working in folder (cwd or command line); how many there were.

    In the sandbox the pid namespace ends them all with the run; without it, a process
    that left the process group (setsid, daemonize) is found here by where it works."""
    marker = str(folder)
    killed = 0
    for _ in range(3):
        found = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cwd = os.readlink(f"/proc/{entry.name}/cwd")
                with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                    cmdline = handle.read().decode(errors="replace")
            except OSError:
                continue
            if cwd.startswith(marker) or marker in cmdline:
                found.append(int(entry.name))
        if not found:
            break
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        time.sleep(0.05)
    return killed


class _OutputReader(threading.Thread):
    """Drains the pipe so the child never blocks; keeps the head, counts the rest."""

    def __init__(self, stream, keep: int, limit: int):
        super().__init__(daemon=True)
        self.stream, self.keep, self.limit = stream, keep, limit
        self.kept = bytearray()
        self.total = 0
        self.exceeded = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        try:
            while True:
                chunk = self.stream.read1(65536)
                if not chunk:
                    break
                self.total += len(chunk)
                if len(self.kept) < self.keep:
                    self.kept += chunk[: self.keep - len(self.kept)]
                if self.total > self.limit:
                    self.exceeded.set()
                    break
        finally:
            self.done.set()

    def text(self) -> str:
        text = self.kept.decode("utf-8", errors="replace")
        if self.total > len(self.kept):
            text += f"\n[... {self.total - len(self.kept)} more bytes of output not shown]"
        return text


def python_for(repo_root: Path, configured: str | None = None) -> Path:
    """The interpreter that runs the project's tests: configured, the project's venv, or ours."""
    if configured:
        return Path(configured)
    for name in (".venv", "venv"):
        candidate = repo_root / name / "bin" / "python"
        if candidate.exists():
            return candidate
    virtual_env = os.environ.get("VIRTUAL_ENV")
    if virtual_env and (Path(virtual_env) / "bin" / "python").exists():
        return Path(virtual_env) / "bin" / "python"
    return Path(sys.executable)
