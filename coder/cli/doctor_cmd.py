"""`coder doctor`: what coder uses on this machine and where each piece came from.

Every check runs even when an earlier one fails, so one run shows everything that
needs fixing. Exit status 1 when an essential (a model, the store) is unusable.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
from importlib import metadata

from coder.errors import CoderError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="show the model, backend, languages, sandbox, config and store")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def sandbox_status() -> tuple[bool, str]:
    """bubblewrap present and able to start a sandbox here."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False, "bubblewrap (bwrap) not found; install it (Debian: apt-get install bubblewrap)"
    try:
        result = subprocess.run(
            [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "true"],
            capture_output=True, text=True, timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"{bwrap} could not run ({error})"
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no detail"])[-1]
        return False, f"{bwrap} cannot create a sandbox here ({reason})"
    return True, f"{bwrap} works"


def collect(args: argparse.Namespace) -> tuple[list[tuple[str, str]], bool]:
    from coder.settings import load_settings
    from coder.syntax.languages import available_languages

    rows: list[tuple[str, str]] = []
    healthy = True
    try:
        settings = load_settings()
    except CoderError as error:
        return [("config", f"error: {error.message}")], False
    if settings.backend == "openai":
        rows.append(("model", f"{args.model or settings.model or 'server default'} on {settings.server_url}"))
    else:
        from coder.models.resolve import resolve_model

        try:
            resolved = resolve_model(args.model, settings.model)
            rows.append(("model", f"{resolved.name} ({resolved.path}) from {resolved.source}"))
            if resolved.notice:
                rows.append(("note", resolved.notice))
        except CoderError as error:
            rows.append(("model", f"error: {error.message}"))
            healthy = False
        from coder.models.resolve import resolve_chat_model

        try:
            chat = resolve_chat_model(args.model, settings.chat_model)
            rows.append(("chat model", f"{chat.name} ({chat.path}) from {chat.source}"))
        except CoderError as error:
            rows.append(("chat model", f"error: {error.message}"))
    rows.append(("backend", "llama.cpp worker process" if settings.backend == "llama" else "OpenAI-compatible server"))
    rows.append(("threads", str(settings.threads)))
    rows.append(("context length", str(settings.context_length)))
    rows.append(("languages", ", ".join(available_languages()) or "none (plain text only)"))
    ok, detail = sandbox_status()
    rows.append(("sandbox", detail if ok else f"unavailable: {detail}"))
    rows.append(("config files", ", ".join(settings.sources) or "none (defaults)"))
    from coder.store import Store

    try:
        with Store.open(settings.store_path) as store:
            rows.append(("store", f"{store.path} (schema {store.schema_version()})"))
            totals = store.completion_totals()
            rows.append((
                "history",
                f"{totals['shown']} suggestions shown, {totals['accepted']} accepted, "
                f"{totals['invalid_names_caught']} invented names caught",
            ))
    except CoderError as error:
        rows.append(("store", f"error: {error.message}"))
        healthy = False
    rows.append(("python", platform.python_version()))
    rows.append(("llama-cpp-python", _version("llama-cpp-python")))
    rows.append(("tree-sitter", _version("tree-sitter")))
    return rows, healthy


def run(args: argparse.Namespace) -> int:
    rows, healthy = collect(args)
    if args.json:
        print(json.dumps({"healthy": healthy, **{key: value for key, value in rows}}, indent=2))
    else:
        width = max(len(key) for key, _ in rows) + 2
        for key, value in rows:
            print(f"{key + ':':{width}}{value}")
    return 0 if healthy else 1
