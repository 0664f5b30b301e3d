"""Typed settings, layered: defaults < user file < repository ``.coder.toml`` < env < flags.

Each field's docstring is what a user reads about it. Every value is checked when
loaded; a wrong one is a ``ConfigError`` naming the file (or variable) and the key.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from coder import paths
from coder.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO_FILE = ".coder.toml"


def _default_threads() -> int:
    # llama.cpp runs best on physical cores; sched_getaffinity respects containers.
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class CompletionSettings:
    max_tokens: int = 64
    """Most tokens the model may write for one suggestion."""
    prompt_tokens: int = 1024
    """Token budget of a completion prompt, generated tokens included."""
    context: str = "repo"
    """How much context goes into a prompt: none, local (around the cursor) or repo."""
    multiline: str = "auto"
    """auto (decided from the syntax at the cursor), always, or never."""
    grounding: str = "on"
    """Names from the repository index: off; hint (the best valid names go into the
    prompt); on (also the first name the model writes must be a valid one, and a
    suggestion naming something that does not exist is not shown)."""
    candidates: int = 3
    """Most generations for one suggestion: after the first, more are sampled when it
    names something that does not exist or does not fit the code after the cursor."""
    typing_deadline_ms: int = 400
    """A suggestion asked for automatically while typing is shown after at most this
    long (milliseconds) with the whole words the model has written by then; the model
    writes the rest in the background, and typing on into the suggestion shows it.
    0: wait for the whole suggestion. An explicit request always waits."""


@dataclass
class IndexSettings:
    max_file_bytes: int = 1_000_000
    """Files larger than this are skipped by the repository index."""
    exclude: list[str] = field(default_factory=list)
    """Extra gitignore-style patterns the index skips."""


@dataclass
class LoopSettings:
    rounds: int = 3
    """Rounds of model candidates and test feedback in `coder fix` and `coder optimize`."""
    candidates: int = 1
    """Candidates per round: the first is greedy, the others sampled."""
    timeout_s: int = 60
    """Wall-clock limit of one test or benchmark run in the sandbox (seconds)."""
    memory_mb: int = 2048
    """Address space each process in the sandbox may use (MiB)."""
    python: str | None = None
    """The interpreter that runs the project's tests (default: the repository's .venv,
    else $VIRTUAL_ENV, else coder's own)."""
    escalate_model: str | None = None
    """A larger model that gets the task when the small one fails (a name from `coder
    model list` or a GGUF path); off when unset."""
    escalate_server_url: str | None = None
    """An OpenAI-compatible server to escalate to instead of a local model."""
    escalate_rounds: int = 2
    """Rounds the larger model gets."""


@dataclass
class ReviewSettings:
    block_severity: str = "error"
    """The commit hook blocks a commit on findings of this severity or graver: error,
    warning or note."""
    time_budget: float = 20.0
    """Seconds the commit hook may take; past them the commit goes through with a
    warning and the output says what was left unreviewed."""
    min_confidence: float = 0.3
    """Model findings less sure than this (0 to 1, from the model's own token
    probabilities or repeated sampling) are not shown."""
    confidence: str = "auto"
    """How a finding's confidence is measured: logprobs, sampling (the reply sampled
    `samples` times), auto (logprobs where the backend reports them, else sampling)
    or off (every finding counts as sure)."""
    samples: int = 3
    """Replies sampled per change when confidence comes from sampling."""
    max_tokens: int = 384
    """Most tokens of one review reply."""
    prompt_tokens: int = 2048
    """Token budget of one review prompt (code, definitions from other files, map)."""
    repo_map_tokens: int = 256
    """Most tokens of the repository map in a review prompt; 0 leaves it out."""
    checks: bool = True
    """Run the sure checks (a changed line that no longer parses, a call of a name
    defined nowhere) before the model."""


@dataclass
class AskSettings:
    max_tokens: int = 1024
    """Most tokens one answer of `coder ask` (and the TUI's ask panel) may have."""
    context_tokens: int = 3072
    """Token budget of the context sent with a question: the code asked about (half),
    the definitions it touches (a third) and the repository map (the rest)."""


@dataclass
class Settings:
    model: str | None = None
    """A model name from `coder model list` or a path to a GGUF file."""
    backend: str = "llama"
    """llama (a local model through llama.cpp) or openai (an OpenAI-compatible server)."""
    server_url: str | None = None
    """Base URL of the OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1."""
    api_key: str | None = None
    """API key for the server, if it needs one (better set as CODER_API_KEY)."""
    threads: int = field(default_factory=_default_threads)
    """CPU threads llama.cpp uses."""
    context_length: int = 4096
    """Context window (tokens) the local model is opened with."""
    chat_model: str | None = None
    """The model for chat-shaped work (ask, review, fix, optimize): a name from `coder
    model list` or a GGUF path. Default: the largest installed instruct model that fits."""
    chat_context_length: int = 8192
    """Context window (tokens) the chat model is opened with."""
    store_path: str | None = None
    """Where the history store lives (default: the user data directory)."""
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    loops: LoopSettings = field(default_factory=LoopSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    ask: AskSettings = field(default_factory=AskSettings)
    sources: list[str] = field(default_factory=list, compare=False, repr=False)
    """Files and variables the values came from, in the order they were applied."""


CHOICES = {
    "backend": ("llama", "openai"),
    "completion.context": ("none", "local", "repo"),
    "completion.multiline": ("auto", "always", "never"),
    "completion.grounding": ("off", "hint", "on"),
    "review.block_severity": ("note", "warning", "error"),
    "review.confidence": ("auto", "logprobs", "sampling", "off"),
}
POSITIVE = {
    "threads", "context_length", "chat_context_length", "completion.max_tokens", "completion.prompt_tokens",
    "completion.candidates", "index.max_file_bytes", "loops.rounds", "loops.candidates", "loops.timeout_s",
    "loops.memory_mb", "loops.escalate_rounds", "review.samples", "review.max_tokens",
    "review.prompt_tokens", "review.time_budget", "ask.max_tokens", "ask.context_tokens",
}
NON_NEGATIVE = {"completion.typing_deadline_ms"}  # 0 turns the feature off
# Ranges of fractional settings (inclusive).
FRACTIONS = {"review.min_confidence": (0.0, 1.0)}
SECTIONS = {"completion": CompletionSettings, "index": IndexSettings, "loops": LoopSettings,
            "review": ReviewSettings, "ask": AskSettings}


def _fields(cls) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls) if f.name != "sources"}


def _coerce(key: str, value: Any, annotation: str, origin: str, from_text: bool) -> Any:
    """Check (and for env text, convert) one value; ``annotation`` is the field's type text."""
    def fail(expected: str) -> ConfigError:
        return ConfigError(f"{origin}: {key} must be {expected}, got {value!r}")

    if annotation.startswith("int"):
        expected = "0 or a positive integer" if key in NON_NEGATIVE else "a positive integer"
        if from_text:
            try:
                value = int(value)
            except ValueError:
                raise fail(expected) from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(expected)
        if (key in POSITIVE and value <= 0) or (key in NON_NEGATIVE and value < 0):
            raise fail(expected)
        return value
    if annotation.startswith("float"):
        if from_text:
            try:
                value = float(value)
            except ValueError:
                raise fail("a number") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("a number")
        value = float(value)
        if key in POSITIVE and value <= 0:
            raise fail("a positive number")
        low, high = FRACTIONS.get(key, (float("-inf"), float("inf")))
        if not low <= value <= high:
            raise fail(f"a number from {low:g} to {high:g}")
        return value
    if annotation.startswith("bool"):
        if from_text:
            lowered = str(value).lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if annotation.startswith("list"):
        if from_text:
            value = [part for part in str(value).split(",") if part]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("a list of strings")
        return value
    if key in CHOICES and (not isinstance(value, str) or value not in CHOICES[key]):
        raise fail("one of " + ", ".join(CHOICES[key]))
    if not isinstance(value, str):
        raise fail("a string")
    return value


def _apply(settings: Settings, values: Mapping[str, Any], origin: str, from_text: bool = False) -> None:
    for key, value in values.items():
        if key in SECTIONS:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{origin}: [{key}] must be a table")
            section = getattr(settings, key)
            known = _fields(SECTIONS[key])
            for sub_key, sub_value in value.items():
                if sub_key not in known:
                    raise ConfigError(
                        f"{origin}: unknown key {key}.{sub_key}; known: {', '.join(known)}"
                    )
                full = f"{key}.{sub_key}"
                setattr(section, sub_key, _coerce(full, sub_value, str(known[sub_key].type), origin, from_text))
            continue
        known = _fields(Settings)
        if key not in known or key in SECTIONS:
            raise ConfigError(f"{origin}: unknown key {key}; known: {', '.join(known)}")
        setattr(settings, key, _coerce(key, value, str(known[key].type), origin, from_text))


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML ({error})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None


def find_repo_file(start: Path) -> Path | None:
    """The nearest .coder.toml from start upwards, stopping at the git root."""
    directory = start if start.is_dir() else start.parent
    for folder in (directory, *directory.parents):
        candidate = folder / REPO_FILE
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def _env_values(env: Mapping[str, str]) -> dict:
    values: dict[str, Any] = {}
    for key in _fields(Settings):
        if key in SECTIONS:
            for sub_key in _fields(SECTIONS[key]):
                name = f"CODER_{key}_{sub_key}".upper()
                if name in env:
                    values.setdefault(key, {})[sub_key] = env[name]
        elif f"CODER_{key.upper()}" in env:
            values[key] = env[f"CODER_{key.upper()}"]
    return values


def load_settings(
    start: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] = os.environ,
) -> Settings:
    settings = Settings()
    user_file = paths.user_config_file()
    if user_file.is_file():
        _apply(settings, _read_toml(user_file), str(user_file))
        settings.sources.append(str(user_file))
    repo_file = find_repo_file(Path(start or Path.cwd()).resolve())
    if repo_file is not None:
        _apply(settings, _read_toml(repo_file), str(repo_file))
        settings.sources.append(str(repo_file))
    env_values = _env_values(env)
    if env_values:
        _apply(settings, env_values, "environment (CODER_*)", from_text=True)
        settings.sources.append("environment")
    if overrides:
        _apply(settings, {k: v for k, v in overrides.items() if v is not None}, "command line")
    return settings
