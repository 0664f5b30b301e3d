"""Download a known model from the Hugging Face hub, resumably, and verify it.

huggingface_hub does the transfer (progress bar, resume of an interrupted download
from its ``.incomplete`` file). Files land in coder's models directory under their own
name, so `coder model list` finds them without knowing the hub's cache layout. A file
counts as present only once verified: its size and SHA-256 match what the hub
announced, and its GGUF header is whole. The marker beside it records that.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from coder import paths
from coder.errors import ModelError
from coder.models.registry import KnownModel

DEFAULT_ENDPOINT = "https://huggingface.co"


def model_file(model: KnownModel) -> Path:
    return paths.models_dir() / model.filename


def verified_marker(path: Path) -> Path:
    return path.with_suffix(".verified.json")


def is_present(path: Path) -> bool:
    """True when the file exists and was verified as it is now (size and mtime)."""
    marker = verified_marker(path)
    if not (path.is_file() and marker.is_file()):
        return False
    try:
        stamp = json.loads(marker.read_text())
        stat = path.stat()
        return stamp.get("size") == stat.st_size and stamp.get("mtime_ns") == stat.st_mtime_ns
    except (OSError, ValueError):
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(4 * 1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def pull_model(model: KnownModel, *, endpoint: str | None = None, progress: bool = True) -> Path:
    """Download (or resume) a hub model into the models directory; return its path."""
    if not model.from_hub:
        raise ModelError(f"{model.name} ships as a Python package, not on the hub; it needs no pull")
    import huggingface_hub
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    target = model_file(model)
    if is_present(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    url = huggingface_hub.hf_hub_url(model.repo, model.filename, endpoint=endpoint)
    (disable_progress_bars if not progress else enable_progress_bars)()
    try:
        announced = huggingface_hub.get_hf_file_metadata(url)
        downloaded = Path(
            huggingface_hub.hf_hub_download(
                model.repo, model.filename, local_dir=target.parent, endpoint=endpoint
            )
        )
    except Exception as error:  # the hub client raises many kinds; all mean "not downloaded"
        raise ModelError(
            f"could not download {model.filename} from {model.repo} at {endpoint} "
            f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else 'no detail'}); "
            "check the network and run `coder model pull` again, it resumes"
        ) from None
    _verify(downloaded, announced, model.sha256)
    stat = downloaded.stat()
    verified_marker(downloaded).write_text(
        json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "repo": model.repo})
    )
    return downloaded


def _verify(path: Path, announced, published_sha256: str | None = None) -> None:
    """Size and SHA-256 as the hub announced them and, for a model whose publisher
    states its hash (the registry holds it), as published: a hub mirror that serves
    another file under the same name is refused too."""
    problems = []
    if announced.size is not None and path.stat().st_size != announced.size:
        problems.append(f"size {path.stat().st_size} instead of {announced.size}")
    etag = (announced.etag or "").strip('"')
    expected = [sha for sha in (etag, published_sha256) if sha and len(sha) == 64
                and all(c in "0123456789abcdef" for c in sha)]  # an LFS etag is a sha256
    if expected:
        actual = _sha256(path)
        for sha in dict.fromkeys(expected):
            if actual != sha:
                which = "published" if sha == published_sha256 else "announced"
                problems.append(f"sha256 {actual[:12]}… instead of the {which} {sha[:12]}…")
    if problems:
        path.unlink(missing_ok=True)
        raise ModelError(
            f"the download of {path.name} is corrupt ({'; '.join(problems)}); it was removed, "
            "run `coder model pull` again"
        )
    from coder.models.gguf_file import validate_gguf  # gguf brings numpy: only after a download

    validate_gguf(path)
