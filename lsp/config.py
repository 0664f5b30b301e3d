"""Editor settings: ``initializationOptions`` and ``workspace/didChangeConfiguration``.

Editors send camelCase JSON (optionally under a ``coder`` key). Completion settings
are handed to the core's typed settings (``Workspace.update_settings``), which check
them as they check the config files; the server's own options (debounce, features)
are checked here. A wrong value costs that value only: one message, and the setting
keeps what it had (the default at first).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# Editor key -> core settings key under [completion].
CORE_KEYS = {
    "context": "context",
    "budget": "prompt_tokens",
    "maxTokens": "max_tokens",
    "grounding": "grounding",
    "multiline": "multiline",
    "candidates": "candidates",
    "typingDeadlineMs": "typing_deadline_ms",
}
FEATURES = ("inline", "menu", "midLine")


@dataclass(frozen=True)
class ServerOptions:
    debounce_ms: int | None = None  # None: adaptive
    inline: bool = True  # textDocument/inlineCompletion
    menu: bool = True  # textDocument/completion
    mid_line: bool = False  # complete automatically with code right of the cursor


@dataclass
class ParsedSettings:
    core: dict  # {"completion": {...}} for Workspace.update_settings
    options: ServerOptions
    model: str | None  # a model asked for, or None
    model_given: bool
    problems: list[str]


def parse(raw, current: ServerOptions) -> ParsedSettings:
    problems: list[str] = []
    if isinstance(raw, dict) and isinstance(raw.get("coder"), dict):
        raw = raw["coder"]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return ParsedSettings({}, current, None, False, [f"coder settings must be an object, got {_show(raw)}"])
    completion: dict = {}
    options = current
    model, model_given = None, False
    for key, value in raw.items():
        if key in CORE_KEYS:
            completion[CORE_KEYS[key]] = value
        elif key == "model":
            if value is None or (isinstance(value, str) and value.strip()):
                model, model_given = value, True
            else:
                problems.append(f"coder setting model must be a model name or a GGUF path, got {_show(value)}")
        elif key == "debounceMs":
            if value == "auto" or value is None:
                options = replace(options, debounce_ms=None)
            elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2000:
                options = replace(options, debounce_ms=value)
            else:
                problems.append(f"coder setting debounceMs must be \"auto\" or 0..2000 milliseconds, got {_show(value)}")
        elif key == "features":
            if not isinstance(value, dict):
                problems.append(f"coder setting features must be an object, got {_show(value)}")
                continue
            for name, flag in value.items():
                if name not in FEATURES:
                    problems.append(f"unknown coder feature {name!r}; known: {', '.join(FEATURES)}")
                elif not isinstance(flag, bool):
                    problems.append(f"coder feature {name} must be true or false, got {_show(flag)}")
                else:
                    field_name = "mid_line" if name == "midLine" else name
                    options = replace(options, **{field_name: flag})
        else:
            known = ", ".join([*CORE_KEYS, "model", "debounceMs", "features"])
            problems.append(f"unknown coder setting {key!r}; known: {known}")
    return ParsedSettings({"completion": completion} if completion else {}, options, model, model_given, problems)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
