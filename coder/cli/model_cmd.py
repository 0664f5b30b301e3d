"""`coder model list | pull | use | info`: the models coder knows and has."""

from __future__ import annotations

import argparse
import os

from coder.errors import CoderError, ModelError
from coder.models import registry
from coder.models.gguf_file import inspect_gguf
from coder.models.pull import is_present, model_file, pull_model


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("model", help="list, pull, choose and inspect models")
    commands = parser.add_subparsers(dest="model_command", metavar="ACTION")
    commands.add_parser("list", help="known and present models, with sizes").set_defaults(handler=run_list)
    pull = commands.add_parser("pull", help="download a model from the Hugging Face hub (resumable)")
    pull.add_argument("name", help="a name from `coder model list`")
    pull.set_defaults(handler=run_pull)
    use = commands.add_parser("use", help="make a model the default (writes the user config)")
    use.add_argument("model", metavar="NAME|PATH")
    use.set_defaults(handler=run_use)
    info = commands.add_parser("info", help="GGUF metadata: architecture, context, FIM tokens, template")
    info.add_argument("model", metavar="PATH|NAME")
    info.set_defaults(handler=run_info)
    parser.set_defaults(handler=lambda args: parser.print_help() or 0)


def _human(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)


def _current(args) -> str | None:
    from coder.models.resolve import resolve_model
    from coder.settings import load_settings

    try:
        return resolve_model(args.model, load_settings().model).name
    except CoderError:
        return None


def run_list(args: argparse.Namespace) -> int:
    from coder.models.demo import DEMO_FILE, demo_package_installed
    from coder import paths

    current = _current(args)
    print(f"{'':2}{'NAME':32}{'ROLE':12}{'QUANT':8}{'SIZE':>10}  STATUS")
    for model in registry.KNOWN_MODELS:
        if model.from_hub:
            status = "present" if is_present(model_file(model)) else "not pulled"
        else:
            assembled = (paths.models_dir() / DEMO_FILE).is_file()
            status = "present" if assembled else ("installed" if demo_package_installed() else "not installed")
        mark = "*" if model.name == current else " "
        print(f"{mark} {model.name:32}{model.role:12}{model.quantization:8}{_human(model.size_bytes):>10}  {status}")
    suggestion = registry.default_model(registry.total_ram_bytes())
    print(f"\n(* = in use) Recommended for this machine's RAM: {suggestion.name}")
    return 0


def _known(name: str) -> registry.KnownModel:
    model = registry.find_model(name)
    if model is None:
        names = ", ".join(m.name for m in registry.KNOWN_MODELS if m.from_hub)
        raise ModelError(f"unknown model {name!r}; known models: {names}")
    return model


def run_pull(args: argparse.Namespace) -> int:
    model = _known(args.name)
    if not model.from_hub:
        print(f"{model.name} is installed with the Python package; nothing to pull")
        return 0
    path = pull_model(model)
    print(f"{model.name}: {path} ({_human(path.stat().st_size)}, verified)")
    return 0


def run_use(args: argparse.Namespace) -> int:
    from coder.models.resolve import resolve_model, set_configured_model

    value = args.model
    if registry.find_model(value) is None:
        value = os.path.abspath(os.path.expanduser(value))
    resolved = resolve_model(value, None)  # fails clearly for unknown names, bad files, missing pulls
    config = set_configured_model(value)
    print(f"using {resolved.name} ({resolved.path}); saved in {config}")
    return 0


def run_info(args: argparse.Namespace) -> int:
    target = args.model
    known = registry.find_model(target)
    if known is not None:
        from coder.models.resolve import resolve_model

        target = str(resolve_model(known.name, None).path)
    summary = inspect_gguf(target)
    fim = ", ".join(f"{role}={token}" for role, token in summary.fim_tokens.items()) or "none"
    template = "yes" if summary.chat_template else "none"
    rows = [
        ("file", str(summary.path)),
        ("size", _human(summary.size_bytes)),
        ("name", summary.name or "-"),
        ("architecture", summary.architecture),
        ("parameters", f"{summary.parameters / 1e6:.0f}M"),
        ("quantization", summary.file_type or "-"),
        ("context length", str(summary.context_length or "-")),
        ("tokenizer", f"{summary.tokenizer_model or '-'} ({summary.vocab_size} tokens)"),
        ("FIM tokens", fim),
        ("chat template", template),
    ]
    for key, value in rows:
        print(f"{key + ':':16}{value}")
    return 0
