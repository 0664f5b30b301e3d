"""Tiny random-weight GGUF models that llama.cpp really loads, for tests.

`build_tiny_qwen_gguf` writes a 2-layer model whose byte-level BPE vocabulary carries
Qwen2.5-Coder's control tokens (<|fim_prefix|>, <|file_sep|>, ...), so prompt formats
and tokenization are tested through the real llama.cpp tokenizer without weights
from the network. Its output is noise; only the vocabulary matters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

QWEN_CONTROL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
)
MERGES = ("d e", "de f", "r e", "re t", "ret u", "retu r", "retur n", "Ġ Ġ", "ĠĠ ĠĠ")


def _byte_tokens() -> list[str]:
    """GPT-2's byte-to-unicode map: every byte gets a printable character."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def build_tiny_qwen_gguf(
    path: str | Path, *, n_embd: int = 64, n_layer: int = 2, padding_bytes: int = 0
) -> Path:
    """``padding_bytes`` adds an unused tensor, for tests that need a large file."""
    import gguf

    path = Path(path)
    tokens = _byte_tokens()
    for merge in MERGES:
        merged = merge.replace(" ", "")
        if merged not in tokens:
            tokens.append(merged)
    normal = len(tokens)
    tokens += list(QWEN_CONTROL_TOKENS)
    types = [1] * normal + [3] * len(QWEN_CONTROL_TOKENS)
    n_vocab, n_ff, n_head = len(tokens), n_embd * 2, 4

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-qwen-vocab")
    writer.add_context_length(2048)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(list(MERGES))
    eot = tokens.index("<|endoftext|>")
    writer.add_eos_token_id(eot)
    writer.add_bos_token_id(eot)
    writer.add_add_bos_token(False)

    rng = np.random.default_rng(0)

    def weight(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    writer.add_tensor("token_embd.weight", weight(n_vocab, n_embd))
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    writer.add_tensor("output.weight", weight(n_vocab, n_embd))
    for layer in range(n_layer):
        prefix = f"blk.{layer}"
        writer.add_tensor(f"{prefix}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"{prefix}.{name}.weight", weight(n_embd, n_embd))
        writer.add_tensor(f"{prefix}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(f"{prefix}.ffn_gate.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"{prefix}.ffn_up.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"{prefix}.ffn_down.weight", weight(n_embd, n_ff))
    if padding_bytes:
        writer.add_tensor("coder.padding", np.zeros(padding_bytes // 4, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
