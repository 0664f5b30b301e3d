"""What a review reads: the changed files, their new content and changed lines.

Three sources, none of which touches the index, the working tree or a ref:

- the staged change (``git diff --cached``): the new content is the blob in the
  index, so a partially staged file is reviewed as it will be committed;
- a commit range (``git diff A B``), content from the commits' blobs;
- one file (or one function of it) as it is on disk, every line counting as changed.

Git is asked through GitPython's ``repo.git.diff`` (``--raw -z`` for the file list,
``-U0`` for each file's hunks). ``index.diff('HEAD')`` is not used: it reports added
files as deleted and fails in a repository without commits, where ``git diff
--cached`` compares with the empty tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from coder.errors import UsageError
from coder.syntax.languages import detect_language

BINARY_SNIFF_BYTES = 8000  # git's own test: a NUL in the first 8000 bytes
MAX_REVIEW_BYTES = 1_000_000
SUBMODULE_MODE = "160000"
SYMLINK_MODE = "120000"
NULL_SHA = "0" * 40
HUNK_HEADER = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
# Options that keep a user's git config (colour, external diff tools, textconv
# filters) out of output we parse.
PLAIN_DIFF = ("--no-color", "--no-ext-diff", "--no-textconv", "-M")


class ReviewTargetError(UsageError):
    title = "review"


@dataclass(frozen=True)
class Hunk:
    """One changed region; lines are 1-based on the new side."""

    new_start: int
    new_count: int
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()

    @property
    def new_lines(self) -> range:
        return range(self.new_start, self.new_start + self.new_count)


@dataclass
class FileChange:
    path: str  # repository-relative, posix; the new path of a rename
    status: str  # A added, M modified, R renamed, C copied, T type changed, W whole file
    text: str  # the new content, CRLF line ends read as LF (line numbers are the same)
    hunks: list[Hunk]
    old_path: str | None = None
    crlf: bool = False

    @property
    def language(self) -> str:
        return detect_language(self.path, self.text.split("\n", 1)[0])

    @property
    def changed_lines(self) -> set[int]:
        """Lines added or changed, and for a pure deletion the line now in its place
        (a removed check is a change a finding may point at)."""
        return {line for hunk in self.hunks for line in (hunk.new_lines or (hunk.new_start,))}

    def line(self, number: int) -> str:
        lines = self.text.split("\n")
        return lines[number - 1] if 1 <= number <= len(lines) else ""


@dataclass
class Changes:
    files: list[FileChange] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why it is not reviewed)
    label: str = "staged"  # what was reviewed, for output and the store
    base: str | None = None  # the commit the change applies to (None: no commits yet)
    commit: str | None = None  # the reviewed commit, for a range or one commit

    @property
    def changed_line_count(self) -> int:
        return sum(len(f.changed_lines) for f in self.files)


def open_repo(start: Path):
    """The git repository containing start; a clear error outside one."""
    import git

    try:
        return git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise ReviewTargetError(f"{start}: not inside a git repository; run coder review in one, or give PATH") from None


def head_commit(repo) -> str | None:
    try:
        return repo.head.commit.hexsha
    except ValueError:  # an unborn branch: no commits yet
        return None


def staged_changes(repo) -> Changes:
    """The change `git commit` would record now."""
    changes = _diff(repo, ("--cached",), label="staged")
    changes.base = head_commit(repo)
    return changes


def range_changes(repo, spec: str) -> Changes:
    """``A..B``: what B changes relative to A; ``A...B``: what B changes since it
    branched from A (their merge base); ``REV``: what the commit REV changed."""
    import git

    if "..." in spec:
        start, _, end = spec.partition("...")
        start, end = start or "HEAD", end or "HEAD"
        try:
            start = repo.git.merge_base(start, end)
        except git.GitCommandError:
            raise ReviewTargetError(f"--diff {spec}: {start} and {end} have no common commit") from None
    elif ".." in spec:
        start, _, end = spec.partition("..")
        start, end = start or "HEAD", end or "HEAD"
    else:
        start, end = f"{spec}~", spec
    try:
        end_sha = repo.commit(end).hexsha
        if ".." not in spec and not repo.commit(end).parents:
            start_sha = repo.git.hash_object("-t", "tree", "/dev/null")  # a root commit: the empty tree
        else:
            start_sha = repo.commit(start).hexsha
    except (git.BadName, git.BadObject, ValueError, git.GitCommandError):
        raise ReviewTargetError(f"--diff {spec}: no such revision; give a commit or a range A..B") from None
    changes = _diff(repo, (start_sha, end_sha), label=spec)
    changes.base, changes.commit = start_sha, end_sha
    return changes


def _diff(repo, sides: tuple[str, ...], *, label: str) -> Changes:
    raw = repo.git.diff(*sides, "--raw", "-z", "--no-abbrev", *PLAIN_DIFF)
    changes = Changes(label=label)
    for entry in parse_raw(raw):
        old_mode, new_mode, new_sha, status, paths = entry
        path = paths[-1]
        kind = status[0]
        if kind == "U":
            changes.skipped.append((path, "unmerged (resolve the conflict first)"))
        elif kind == "D":
            changes.skipped.append((path, "deleted"))
        elif SUBMODULE_MODE in (old_mode, new_mode):
            changes.skipped.append((path, "submodule"))
        elif new_mode == SYMLINK_MODE:
            changes.skipped.append((path, "symbolic link"))
        elif new_sha == NULL_SHA:
            changes.skipped.append((path, "not staged"))
        else:
            data = repo.odb.stream(bytes.fromhex(new_sha)).read()
            reason = _unreviewable(data)
            if reason:
                changes.skipped.append((path, reason))
                continue
            hunks = file_hunks(repo, sides, paths)
            if not hunks:
                changes.skipped.append((path, "mode or name change only"))
                continue
            text = data.decode("utf-8", errors="replace")
            changes.files.append(FileChange(
                path=path, status=kind, text=text.replace("\r\n", "\n"), hunks=hunks,
                old_path=paths[0] if len(paths) == 2 else None, crlf="\r\n" in text,
            ))
    return changes


def parse_raw(raw: str) -> list[tuple[str, str, str, str, list[str]]]:
    """(old mode, new mode, new sha, status, [path] or [old path, new path]) per entry
    of ``git diff --raw -z``."""
    fields = raw.split("\0")
    entries = []
    position = 0
    while position < len(fields) and fields[position].startswith(":"):
        old_mode, new_mode, _old_sha, new_sha, status = fields[position][1:].split(" ")
        count = 2 if status[0] in "RC" else 1
        paths = fields[position + 1 : position + 1 + count]
        entries.append((old_mode, new_mode, new_sha, status, paths))
        position += 1 + count
    return entries


def _unreviewable(data: bytes) -> str | None:
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return "binary"
    if len(data) > MAX_REVIEW_BYTES:
        return f"larger than {MAX_REVIEW_BYTES // 1000} kB"
    return None


def file_hunks(repo, sides: tuple[str, ...], paths: list[str]) -> list[Hunk]:
    """The hunks of one file (both names of a rename, so git pairs them)."""
    patch = repo.git.diff(*sides, "-U0", *PLAIN_DIFF, "--", *paths, stdout_as_string=False)
    return parse_hunks(patch)


def parse_hunks(patch: bytes) -> list[Hunk]:
    hunks: list[Hunk] = []
    current = None
    for line in patch.split(b"\n"):
        header = HUNK_HEADER.match(line)
        if header:
            if current:
                hunks.append(_hunk(*current))
            old_start, old_count, new_start, new_count = header.groups()
            start = int(new_start)
            count = 1 if new_count is None else int(new_count)
            current = (start if count else start + 1, count, [], [])  # -U0 names the line before a pure deletion
        elif current is not None and line[:1] in (b"+", b"-"):
            text = line[1:].decode("utf-8", errors="replace").rstrip("\r")
            (current[3] if line[:1] == b"+" else current[2]).append(text)
    if current:
        hunks.append(_hunk(*current))
    return hunks


def _hunk(start: int, count: int, removed: list[str], added: list[str]) -> Hunk:
    return Hunk(start, count, tuple(removed), tuple(added))


def file_target(root: Path, target: str) -> Changes:
    """``PATH`` or ``PATH::FUNCTION`` (``Class.method`` too) as it is on disk."""
    path_text, _, function = target.partition("::")
    path = Path(path_text)
    if not path.is_file():
        raise ReviewTargetError(f"{path_text}: no such file; give PATH or PATH::FUNCTION")
    data = path.read_bytes()
    reason = _unreviewable(data)
    if reason:
        raise ReviewTargetError(f"{path_text}: {reason}; coder reviews text files")
    text = data.decode("utf-8", errors="replace")
    normalised = text.replace("\r\n", "\n")
    try:
        relative = path.resolve().relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    line_count = normalised.count("\n") + (0 if normalised.endswith("\n") else 1)
    start, end = 1, max(1, line_count)
    if function:
        start, end = function_lines(relative, normalised, function)
    hunk = Hunk(start, end - start + 1, (), tuple(normalised.split("\n")[start - 1 : end]))
    change = FileChange(path=relative, status="W", text=normalised, hunks=[hunk], crlf="\r\n" in text)
    return Changes(files=[change], label=target)


def function_lines(path: str, text: str, function: str) -> tuple[int, int]:
    """1-based first and last line of the definition named ``function``."""
    from coder.index.tags import extract_tags

    owner, _, name = function.rpartition(".")
    language = detect_language(path, text.split("\n", 1)[0])
    for tag in extract_tags(language, text.encode("utf-8"), path):
        if tag.role == "definition" and tag.name == name and tag.kind not in ("import", "field", "variable"):
            if not owner or tag.scope == owner or (tag.scope or "").endswith("." + owner):
                return tag.line + 1, tag.end_line + 1
    raise ReviewTargetError(f"{path}: no function or class named {function}; give PATH::NAME as defined in the file")
