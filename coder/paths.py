"""Where coder keeps its files: platform directories, overridable for tests.

``CODER_HOME`` puts config, data and cache under one directory; tests point it at a
temporary directory so they never touch the real user's files.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "coder"


def _home_override() -> Path | None:
    home = os.environ.get("CODER_HOME")
    return Path(home).expanduser() if home else None


def config_dir() -> Path:
    home = _home_override()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    home = _home_override()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    home = _home_override()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME))


def user_config_file() -> Path:
    return config_dir() / "config.toml"


def store_file() -> Path:
    return data_dir() / "coder.sqlite3"


def models_dir() -> Path:
    """Where pulled and assembled model files live."""
    return data_dir() / "models"
