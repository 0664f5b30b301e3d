"""Suite-wide fixtures.

The whole session runs with CODER_HOME in a temporary directory, so no test reads or
writes the real user's config, store or models. The default model (Qwen2.5-Coder-0.5B
Instruct, 491 MB) and the prefix-only demo model (Gemma-3-270M, 253 MB) are joined
there once per session and shared by every test that needs a real model.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(scope="session", autouse=True)
def coder_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("coder-home")
    previous = os.environ.get("CODER_HOME")
    os.environ["CODER_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("CODER_HOME", None)
    else:
        os.environ["CODER_HOME"] = previous


@pytest.fixture(scope="session")
def qwen_model(coder_home) -> Path:
    """Path of the default model, Qwen2.5-Coder-0.5B-Instruct Q4_K_M, joined once from
    its PyPI part packages (491 MB) and verified against Qwen's published SHA-256."""
    from coder.models.registry import QWEN_05B_INSTRUCT
    from coder.models.resolve import installed_path

    path = installed_path(QWEN_05B_INSTRUCT)
    assert path is not None, "the Qwen2.5-Coder-0.5B part packages are not installed (make install-dev)"
    return path


@pytest.fixture(scope="session")
def demo_model(coder_home) -> Path:
    """Path of the real demo model (Gemma-3-270M Q4_K_M), assembled once."""
    from coder.models.demo import demo_model_path

    return demo_model_path()
