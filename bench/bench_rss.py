"""Memory of a process with each model loaded: the llama.cpp worker's resident set.

    .venv/bin/python bench/bench_rss.py [--models NAME_OR_PATH ...] [--n-ctx 4096]

For each model (default: every installed Qwen2.5-Coder Instruct and the demo model) a
worker is started as coder starts it, one completion of a real prompt is made (so the
KV cache and compute buffers are in use), and the worker's VmRSS and VmHWM (peak) are
read from /proc. The model file is memory-mapped, so its pages count once loaded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coder.models import registry  # noqa: E402
from coder.models.backend import GenerationRequest  # noqa: E402
from coder.models.llama_backend import LlamaWorkerBackend  # noqa: E402
from coder.models.resolve import _by_name_or_path, is_installed  # noqa: E402


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=None)
    parser.add_argument("--n-ctx", type=int, default=4096)
    args = parser.parse_args()
    names = args.models or [m.name for m in (registry.QWEN_05B_INSTRUCT, registry.QWEN_15B_INSTRUCT, registry.DEMO)
                            if is_installed(m)]
    prompt = Path(registry.__file__).read_text()[:3000]
    print(f"{'model':34}{'file MB':>9}{'RSS MB':>9}{'peak MB':>9}")
    for name in names:
        resolved = _by_name_or_path(name, "bench")
        with LlamaWorkerBackend(resolved.path, n_ctx=args.n_ctx) as backend:
            ids = backend.tokenize(prompt)[:200]  # the KV cache is allocated for n_ctx anyway
            backend.complete(GenerationRequest(ids, max_tokens=32))
            pid = backend.worker_pid
            rss, peak = status_kb(pid, "VmRSS") / 1024, status_kb(pid, "VmHWM") / 1024
        size = resolved.path.stat().st_size / 1e6
        print(f"{resolved.name:34}{size:9.0f}{rss:9.0f}{peak:9.0f}")


if __name__ == "__main__":
    main()
