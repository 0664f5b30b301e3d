"""Installing and removing coder's pre-commit hook in a repository.

The hooks folder is git's own answer (``git rev-parse --git-path hooks``), so
``core.hooksPath`` and linked worktrees are honoured. A pre-commit hook that is
already there and is not coder's is never overwritten: it is renamed to
``pre-commit.coder-chained`` and coder's hook runs it first (its failure stops the
commit as before); uninstalling puts it back.

The hook runs the Python that installed it (``python -I -m coder.review.hook_run``,
which is ``coder hook run`` without the start-up of every other command; ``-I`` keeps
the repository, its working directory, off ``sys.path``: see coder/isolation.py). When that
Python is gone, the hook says so in one line and lets the commit through.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from pathlib import Path

from coder.errors import CoderError

MARKER = "# installed by `coder hook install`"
CHAINED = "pre-commit.coder-chained"


class HookError(CoderError):
    title = "hook"
    exit_code = 2


def hooks_dir(repo) -> Path:
    folder = Path(repo.git.rev_parse("--git-path", "hooks"))
    return folder if folder.is_absolute() else Path(repo.working_tree_dir or repo.git_dir) / folder


def hook_script(python: str) -> str:
    quoted = shlex.quote(python)
    return f"""#!/bin/sh
{MARKER}; `coder hook uninstall` removes it.
# Skip the review once with CODER_SKIP_REVIEW=1 or `git commit --no-verify`.
chained="$(dirname "$0")/{CHAINED}"
if [ -x "$chained" ]; then
    "$chained" "$@" || exit $?
fi
[ "$CODER_SKIP_REVIEW" = "1" ] && exit 0
if [ ! -x {quoted} ]; then
    echo "coder review: skipped, {python} is gone (run coder hook install again); the commit proceeds" >&2
    exit 0
fi
exec {quoted} -I -m coder.review.hook_run
"""


def is_coders(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install(repo, python: str = sys.executable) -> list[str]:
    """Install the hook; lines telling the user what was done."""
    folder = hooks_dir(repo)
    folder.mkdir(parents=True, exist_ok=True)
    hook, chained = folder / "pre-commit", folder / CHAINED
    said = []
    if hook.exists() and not is_coders(hook):
        if chained.exists():
            raise HookError(f"{hook} is not coder's and {chained} exists already; move one of them away, "
                            "then run coder hook install again")
        hook.rename(chained)
        said.append(f"kept the existing hook as {chained}; it runs before the review")
    elif hook.exists():
        said.append(f"replaced coder's earlier hook in {hook}")
    hook.write_text(hook_script(python), encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    said.append(f"installed the review hook in {hook}")
    return said


def uninstall(repo) -> list[str]:
    folder = hooks_dir(repo)
    hook, chained = folder / "pre-commit", folder / CHAINED
    if not hook.exists():
        raise HookError(f"there is no pre-commit hook in {folder}; nothing to uninstall")
    if not is_coders(hook):
        raise HookError(f"{hook} is not coder's hook; it was left as it is")
    hook.unlink()
    said = [f"removed the review hook from {hook}"]
    if chained.exists():
        os.replace(chained, hook)
        said.append(f"restored the earlier hook {hook}")
    return said
