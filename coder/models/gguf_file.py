"""Read a GGUF file's header without llama.cpp: metadata, vocabulary specials, sizes.

Our own small reader rather than a full loader: it reads only the header (metadata
and tensor descriptions, never tensor data), bounds every length it reads so a random
or hostile file cannot make it allocate or loop without end, and checks that the
file is long enough for the tensors it declares, which catches truncated downloads
before llama.cpp would abort on them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from coder.errors import ModelError

# gguf's tables are imported where a header is read: importing gguf imports numpy
# (0.24 s), which a missing or misnamed file (the commit hook with no model) never needs.

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
MAX_STRING = 64 * 1024 * 1024  # a chat template or merges entry is far below this
MAX_ITEMS = 50_000_000
FIX = "pass a .gguf model file or run `coder model pull NAME`"

# GGUF metadata value types: id -> struct format (None: variable length).
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
# Control-token texts that mark FIM and repository formats, by role.
FIM_TOKEN_TEXTS = {
    "fim_prefix": ("<|fim_prefix|>", "<fim_prefix>", "<｜fim▁begin｜>", "▁<PRE>"),
    "fim_suffix": ("<|fim_suffix|>", "<fim_suffix>", "<｜fim▁hole｜>", "▁<SUF>"),
    "fim_middle": ("<|fim_middle|>", "<fim_middle>", "<｜fim▁end｜>", "▁<MID>"),
    "file_sep": ("<|file_sep|>", "<file_sep>"),
    "repo_name": ("<|repo_name|>", "<reponame>"),
}


class _Truncated(Exception):
    pass


@dataclass
class GGUFSummary:
    path: Path
    version: int
    architecture: str
    name: str | None
    context_length: int | None
    file_type: str | None
    parameters: int
    vocab_size: int
    tokenizer_model: str | None
    chat_template: str | None
    fim_tokens: dict[str, int] = field(default_factory=dict)
    metadata: dict = field(default_factory=dict, repr=False)
    size_bytes: int = 0

    @property
    def has_fim(self) -> bool:
        return {"fim_prefix", "fim_suffix", "fim_middle"} <= set(self.fim_tokens)


class _Reader:
    def __init__(self, handle: BinaryIO):
        self.handle = handle

    def take(self, size: int) -> bytes:
        data = self.handle.read(size)
        if len(data) != size:
            raise _Truncated
        return data

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        length = self.unpack("<Q")
        if length > MAX_STRING:
            raise ValueError(f"a metadata string claims {length} bytes")
        return self.take(length).decode("utf-8", errors="replace")

    def value(self, kind: int, keep: bool = True):
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, count = self.unpack("<I"), self.unpack("<Q")
            if count > MAX_ITEMS:
                raise ValueError(f"a metadata array claims {count} items")
            if item_kind in _SCALARS and not keep:
                self.take(struct.calcsize(_SCALARS[item_kind]) * count)
                return None
            return [self.value(item_kind) for _ in range(count)]
        raise ValueError(f"unknown metadata value type {kind}")


def _fail(path: Path, problem: str) -> ModelError:
    return ModelError(f"{path}: {problem}; {FIX}")


def inspect_gguf(path: str | Path) -> GGUFSummary:
    """Read and check the header; raise ModelError (one line) for anything unusable."""
    path = Path(path)
    if not path.exists():
        raise _fail(path, "no such file")
    if not path.is_file():
        raise _fail(path, "not a file")
    size = path.stat().st_size
    if size == 0:
        raise _fail(path, "the file is empty")
    try:
        with path.open("rb") as handle:
            return _read(path, handle, size)
    except _Truncated:
        raise _fail(path, "the file is truncated (it ends inside its header)") from None
    except (ValueError, OverflowError, struct.error) as error:
        raise _fail(path, f"the GGUF header is corrupt ({error})") from None
    except OSError as error:
        raise ModelError(f"{path}: cannot be read ({error.strerror})") from None


def _read(path: Path, handle: BinaryIO, size: int) -> GGUFSummary:
    reader = _Reader(handle)
    if reader.take(4) != MAGIC:
        raise _fail(path, "not a GGUF model file (bad magic)")
    version = reader.unpack("<I")
    if version not in SUPPORTED_VERSIONS:
        raise _fail(path, f"unsupported GGUF version {version}")
    tensor_count, kv_count = reader.unpack("<Q"), reader.unpack("<Q")
    if tensor_count > MAX_ITEMS or kv_count > MAX_ITEMS:
        raise ValueError("implausible tensor or metadata count")
    metadata: dict = {}
    for _ in range(kv_count):
        key = reader.string()
        kind = reader.unpack("<I")
        # Token scores and types are large numeric arrays we never need.
        metadata[key] = reader.value(kind, keep=key not in ("tokenizer.ggml.scores", "tokenizer.ggml.token_type"))
    data_end = 0
    parameters = 0
    for _ in range(tensor_count):
        reader.string()
        dims = reader.unpack("<I")
        if dims > 8:
            raise ValueError(f"a tensor claims {dims} dimensions")
        shape = [reader.unpack("<Q") for _ in range(dims)]
        ggml_type, offset = reader.unpack("<I"), reader.unpack("<Q")
        elements = 1
        for extent in shape:
            elements *= extent
        block, type_size = _quant_size(ggml_type)
        data_end = max(data_end, offset + elements // block * type_size)
        parameters += elements
    alignment = int(metadata.get("general.alignment", 32)) or 32
    data_start = -(-handle.tell() // alignment) * alignment
    if data_start + data_end > size:
        raise _fail(
            path,
            f"the file is truncated ({size} bytes, its tensors need {data_start + data_end})",
        )
    return _summary(path, version, metadata, parameters, size)


def _quant_size(ggml_type: int) -> tuple[int, int]:
    from gguf.constants import GGML_QUANT_SIZES

    for quant, sizes in GGML_QUANT_SIZES.items():
        if int(quant) == ggml_type:
            return sizes
    raise ValueError(f"unknown tensor type {ggml_type}")


def _summary(path: Path, version: int, metadata: dict, parameters: int, size: int) -> GGUFSummary:
    architecture = str(metadata.get("general.architecture", "unknown"))
    tokens = metadata.get("tokenizer.ggml.tokens") or []
    index = {text: i for i, text in enumerate(tokens) if text.startswith(("<", "▁<"))}
    fim = {}
    for role, texts in FIM_TOKEN_TEXTS.items():
        for text in texts:
            if text in index:
                fim[role] = index[text]
                break
    from gguf.constants import LlamaFileType

    file_type = metadata.get("general.file_type")
    try:
        file_type_name = LlamaFileType(file_type).name.removeprefix("MOSTLY_") if file_type is not None else None
    except ValueError:
        file_type_name = str(file_type)
    context = metadata.get(f"{architecture}.context_length")
    return GGUFSummary(
        path=path,
        version=version,
        architecture=architecture,
        name=metadata.get("general.name"),
        context_length=int(context) if context is not None else None,
        file_type=file_type_name,
        parameters=parameters,
        vocab_size=len(tokens),
        tokenizer_model=metadata.get("tokenizer.ggml.model"),
        chat_template=metadata.get("tokenizer.chat_template"),
        fim_tokens=fim,
        metadata={k: v for k, v in metadata.items() if not isinstance(v, list)},
        size_bytes=size,
    )


def validate_gguf(path: str | Path) -> None:
    """Raise ModelError (one line naming the file) unless it is a whole GGUF file."""
    inspect_gguf(path)
